"""Keyword rules through the signed WhatsApp webhook and the fake Graph: the exact bodies a
rule sends, its tags and assignment, only the first matching rule acting, RE2 on a long
catastrophic input, accents and case, and the messages no rule may answer."""
from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Conversation, Customer, CustomerTag, Message
from plugin.pipeline.inbox import handover
from tests.fakes.graph import FakeGraph
from tests.pipeline import test_conversation_e2e as conversation
from tests.pipeline.test_auto_answers import GREETING, switch_on, text_body
from tests.pipeline.test_conversation_e2e import SHOPPER, deliver
from tests.worlds.keyword_rules import add_rule
from tests.worlds.team import add_member

world = conversation.world

World = tuple[Flask, FakeGraph, int]
SHIPPING = "We ship in 2 working days, free from 50 EUR."


def writes(app: Flask, words: str, wamid: str | None = None) -> str:
    wamid = wamid or f"wamid.IN.{time.time_ns()}"
    # Meta's pair limit spaces messages to one shopper by 6 s: the test's time has passed.
    app.extensions["storechat.limiter"].storage.reset()
    deliver(app, {"id": wamid, "type": "text", "text": {"body": words}})
    return wamid


def sent_bodies(fake: FakeGraph) -> list[dict[str, Any]]:
    """What reached the fake Graph, without our per-message callback data."""
    out = []
    for sent in fake.sent:
        body = dict(sent.payload)
        assert str(body.pop("biz_opaque_callback_data", "storechat:")).startswith("storechat:")
        out.append(body)
    return out


def test_a_rule_replies_tags_and_assigns_with_the_exact_body(world: World) -> None:
    app, fake, store_id = world
    agent = add_member(app, store_id, "agent@example.com")
    rule_id = add_rule(app, store_id, ["shipping", "envío"], reply=SHIPPING,
                       tags=["shipping", "pre-sale"], assignee_id=agent)
    wamid = writes(app, "How much is SHIPPING to Porto?")
    assert sent_bodies(fake) == [text_body(SHOPPER, SHIPPING)]
    with app.app_context():
        session = db.session()
        [row] = session.scalars(select(Message)).all()
        assert (row.cause, row.step, row.state) == (f"answer:{wamid}", f"rule:{rule_id}", "sent")
        customer = session.scalars(select(Customer)).one()
        assert customer.tags == ["pre-sale", "shipping"]
        assert sorted(session.execute(select(CustomerTag.tag, CustomerTag.source)).all()) == [
            ("pre-sale", "keyword"), ("shipping", "keyword")]
        thread = session.scalars(select(Conversation)).one()
        assert (thread.tags, thread.assignee_id) == (["shipping", "pre-sale"], agent)
    writes(app, "shipping?", wamid)  # Meta redelivers: answered once
    assert len(fake.sent) == 1


def test_a_rule_replies_with_buttons_and_the_greeting_stays_quiet(world: World) -> None:
    app, fake, store_id = world
    switch_on(app, store_id)
    rule_id = add_rule(app, store_id, ["size"], match="all", reply="Which size do you wear?",
                       buttons=["S", "M", "L"])
    writes(app, "do you have my size")
    [body] = sent_bodies(fake)
    assert body == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": SHOPPER,
        "type": "interactive", "interactive": {
            "type": "button", "body": {"text": "Which size do you wear?"},
            "action": {"buttons": [
                {"type": "reply", "reply": {"id": f"rule:{rule_id}:{i}", "title": title}}
                for i, title in enumerate(["S", "M", "L"], 1)]}}}
    # A message no rule matches gets the greeting as before (the shopper wrote already:
    # not greeted twice), and a tap on the rule's own button is never matched again.
    deliver(app, {"id": "wamid.TAP", "type": "interactive", "interactive": {
        "type": "button_reply", "button_reply": {"id": f"rule:{rule_id}:1", "title": "size"}}})
    assert len(fake.sent) == 1


def test_more_than_three_choices_go_out_as_a_list(world: World) -> None:
    app, fake, store_id = world
    sizes = ["XS", "S", "M", "L", "XL"]
    rule_id = add_rule(app, store_id, ["size"], reply="Which size do you wear?", buttons=sizes)
    writes(app, "what size should I take")
    assert sent_bodies(fake) == [{
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": SHOPPER,
        "type": "interactive", "interactive": {
            "type": "list", "body": {"text": "Which size do you wear?"},
            "action": {"button": "Choose", "sections": [{"rows": [
                {"id": f"rule:{rule_id}:{i}", "title": title}
                for i, title in enumerate(sizes, 1)]}]}}}]


def test_no_rule_matches_so_the_greeting_answers(world: World) -> None:
    app, fake, store_id = world
    switch_on(app, store_id)
    add_rule(app, store_id, ["refund"], reply="Refunds take 5 days.")
    writes(app, "Do you have this in blue?")
    assert [b["text"]["body"] for b in sent_bodies(fake)] == [GREETING]


def test_fifty_rules_that_all_match_answer_once_with_the_first(world: World) -> None:
    app, fake, store_id = world
    for n in range(50):
        add_rule(app, store_id, ["hello"], reply=f"Answer {n}", tags=[f"t{n}"])
    writes(app, "hello hello")
    assert [b["text"]["body"] for b in sent_bodies(fake)] == ["Answer 0"]
    with app.app_context():
        assert db.session().scalars(select(CustomerTag.tag)).all() == ["t0"]
        assert len(db.session().scalars(select(Message)).all()) == 1


def test_a_catastrophic_regex_on_4096_characters_completes_and_matches(world: World) -> None:
    app, fake, store_id = world
    add_rule(app, store_id, ["(a+)+$"], match="regex", reply="Lots of a.")
    add_rule(app, store_id, ["(x+x+)+y"], match="regex", reply="Never.")
    writes(app, "a" * 4096)
    writes(app, "x" * 4095 + "!")  # the second rule must not match, and must not hang
    assert [b["text"]["body"] for b in sent_bodies(fake)] == ["Lots of a."]


def test_case_and_accents_do_not_count(world: World) -> None:
    app, fake, store_id = world
    add_rule(app, store_id, ["café"], reply="Coffee beans are back.")
    add_rule(app, store_id, ["ENVIO GRATIS"], match="exact", reply="Gratis desde 50 EUR.")
    add_rule(app, store_id, ["^pedido \\d+$"], match="regex", reply="Buscamos tu pedido.")
    writes(app, "CAFE please")
    writes(app, "  Envío   gratis? ")
    writes(app, "PEDÍDO 1001")
    assert [b["text"]["body"] for b in sent_bodies(fake)] == [
        "Coffee beans are back.", "Gratis desde 50 EUR.", "Buscamos tu pedido."]


def test_an_emoji_only_message_matches_no_word_rule(world: World) -> None:
    app, fake, store_id = world
    add_rule(app, store_id, ["hi"], reply="Hello!")
    writes(app, "👋😀")
    assert fake.sent == []
    add_rule(app, store_id, ["👋"], match="regex", reply="Wave back!")
    writes(app, "👋😀")
    assert [b["text"]["body"] for b in sent_bodies(fake)] == ["Wave back!"]


def test_a_reaction_a_media_and_an_unsupported_message_get_nothing(world: World) -> None:
    app, fake, store_id = world
    add_rule(app, store_id, [".*"], match="regex", reply="Anything.")
    deliver(app, {"id": "wamid.R", "type": "reaction",
                  "reaction": {"message_id": "wamid.OUT", "emoji": "👍"}})
    deliver(app, {"id": "wamid.U", "type": "unsupported",
                  "errors": [{"code": 131051, "title": "Message type unknown"}]})
    deliver(app, {"id": "wamid.I", "type": "image", "image": {
        "id": "MEDIA1", "mime_type": "image/jpeg", "caption": "anything"}})
    assert fake.sent == []


@pytest.mark.parametrize(("words", "kinds"), [
    ("STOP", []),  # obeyed silently, as without rules
    ("START", []),
    ("stop sending me the wrong size", ["interactive"]),  # only the opt-out question
])
def test_stop_and_start_get_only_the_opt_out(world: World, words: str,
                                             kinds: list[str]) -> None:
    app, fake, store_id = world
    add_rule(app, store_id, ["stop", "start"], reply="Rule answer.", tags=["stopper"])
    writes(app, words)
    bodies = sent_bodies(fake)
    assert [b["type"] for b in bodies] == kinds
    assert "Rule answer." not in str(bodies)
    with app.app_context():
        assert db.session().scalars(select(CustomerTag)).all() == []


def test_a_handed_over_conversation_is_not_answered_by_rules(world: World) -> None:
    app, fake, store_id = world
    add_rule(app, store_id, ["human"], reply="A person will answer.", hand_over=True)
    add_rule(app, store_id, ["price"], reply="Prices are on the site.")
    writes(app, "I want a human")
    writes(app, "what price?")  # silenced by the hand-over the first rule made
    assert [b["text"]["body"] for b in sent_bodies(fake)] == ["A person will answer."]
    with app.app_context(), db.transaction() as session:
        customer = session.scalars(select(Customer)).one()
        assert handover.silenced(session, store_id, customer.id)
        handover.end(session.scalars(select(Conversation)).one())
    writes(app, "what price?")
    assert [b["text"]["body"] for b in sent_bodies(fake)][-1] == "Prices are on the site."
