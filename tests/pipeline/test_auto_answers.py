"""Greeting and away messages through the signed WhatsApp webhook and the fake Graph: the
exact bodies sent, once per message and per window, only outside business hours for the
away note, and never to a reaction, a button tap or a STOP."""
from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.domain import auto_answers
from plugin.infra import db
from plugin.models import AnswerSettings, Customer, Message, Store, WidgetSettings
from tests.fakes.graph import FakeGraph
from tests.pipeline import test_conversation_e2e as conversation
from tests.pipeline.test_conversation_e2e import SHOPPER, deliver

world = conversation.world

World = tuple[Flask, FakeGraph, int]
GREETING = "Hi Ana! Thanks for writing to Linen & Co. We'll answer you right here."


def switch_on(app: Flask, store_id: int, *, greeting: bool = True, away: bool = False,
              **columns: Any) -> None:
    with app.app_context(), db.transaction() as session:
        session.add(AnswerSettings(store_id=store_id, greeting_enabled=greeting,
                                   away_enabled=away, greeting_after_days=14,
                                   greetings=dict(auto_answers.GREETINGS),
                                   aways=dict(auto_answers.AWAYS), **columns))


def closed_today(app: Flask, store_id: int) -> date:
    """Today (UTC) is a holiday of the store (timezone UTC): closed until tomorrow 00:00."""
    today = db.utcnow().date()
    with app.app_context(), db.transaction() as session:
        session.get(Store, store_id).timezone = "UTC"  # type: ignore[union-attr]
        session.add(WidgetSettings(store_id=store_id, settings={
            "hours": {}, "holidays": [today.isoformat()]}))
    return today + timedelta(days=1)


def writes(app: Flask, wamid: str, words: str = "Do you have this in blue?") -> None:
    deliver(app, {"id": wamid, "type": "text", "text": {"body": words}})


def bodies(fake: FakeGraph) -> list[str]:
    return [sent.payload["text"]["body"] for sent in fake.sent]


def text_body(to: str, words: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "text", "text": {"preview_url": False, "body": words}}


def test_nothing_is_answered_until_the_owner_turns_it_on(world: World) -> None:
    app, fake, _ = world
    writes(app, "wamid.IN.1")
    assert fake.sent == []


def test_the_first_message_is_greeted_once_with_the_exact_body(world: World) -> None:
    app, fake, store_id = world
    switch_on(app, store_id)
    writes(app, "wamid.IN.1")
    writes(app, "wamid.IN.1")  # Meta redelivers
    writes(app, "wamid.IN.2", "and in size M?")
    [sent] = fake.sent
    body = dict(sent.payload)
    assert body.pop("biz_opaque_callback_data").startswith("storechat:")
    assert body == text_body(SHOPPER, GREETING)
    with app.app_context():
        [row] = db.session().scalars(select(Message)).all()
        assert (row.cause, row.step, row.state) == ("answer:wamid.IN.1", "greeting", "sent")


def test_a_shopper_silent_for_the_set_days_is_greeted_again(world: World) -> None:
    app, fake, store_id = world
    switch_on(app, store_id)
    writes(app, "wamid.IN.1")
    for days, greeted in ((13, 1), (15, 2)):
        with app.app_context(), db.transaction() as session:
            customer = session.scalars(select(Customer)).one()
            customer.last_inbound_at = db.utcnow() - timedelta(days=days)
        # Meta's pair limit spaces messages to one shopper by 6 s: the test's days have passed.
        app.extensions["storechat.limiter"].storage.reset()
        writes(app, f"wamid.IN.after{days}")
        assert len(fake.sent) == greeted, days


def test_the_greeting_is_in_the_shoppers_language_when_the_store_wrote_it(
        world: World) -> None:
    app, fake, store_id = world
    switch_on(app, store_id)
    with app.app_context(), db.transaction() as session:
        session.add(Customer(store_id=store_id, platform_id="c-1", first_name="Lucía",
                             phone_e164=f"+{SHOPPER}", wa_id=SHOPPER, locale="es-ES", tags=[]))
    writes(app, "wamid.IN.1", "¿Lo tienen en azul?")
    assert bodies(fake) == ["¡Hola Lucía! Gracias por escribir a Linen & Co. "
                            "Te responderemos por aquí."]


def test_away_outside_hours_only_once_a_window_and_with_the_greeting(world: World) -> None:
    app, fake, store_id = world
    switch_on(app, store_id, away=True)
    back = closed_today(app, store_id)
    weekday = back.strftime("%A")
    away = f"Our team is away right now. We're back {weekday} at 00:00 and will answer you then."
    writes(app, "wamid.IN.1")
    writes(app, "wamid.IN.2", "hello?")
    assert bodies(fake) == [f"{GREETING}\n\n{away}"]
    with app.app_context():
        assert db.session().scalars(select(Message.step)).all() == ["greeting_away"]


def test_no_away_while_open(world: World) -> None:
    app, fake, store_id = world
    switch_on(app, store_id, greeting=False, away=True)
    writes(app, "wamid.IN.1")  # no hours set: always open
    assert fake.sent == []
    back = closed_today(app, store_id)
    writes(app, "wamid.IN.2")
    weekday = back.strftime("%A")  # the C locale's English names, as the rules' table
    assert bodies(fake) == [f"Our team is away right now. We're back {weekday} at 00:00 "
                            "and will answer you then."]


@pytest.mark.parametrize("message", [
    {"type": "reaction", "reaction": {"message_id": "wamid.OUT", "emoji": "👍"}},
    {"type": "text", "text": {"body": "STOP"}},
    {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {
        "id": "SOMETHING", "title": "Yes"}}},
])
def test_reactions_taps_and_stop_get_no_greeting(world: World, message: dict[str, Any]) -> None:
    app, fake, store_id = world
    switch_on(app, store_id, away=True)
    closed_today(app, store_id)
    deliver(app, {"id": f"wamid.IN.{time.time_ns()}", **message})
    assert fake.sent == []


def test_a_sentence_naming_stop_gets_only_the_opt_out_question(world: World) -> None:
    app, fake, store_id = world
    switch_on(app, store_id)
    writes(app, "wamid.IN.1", "stop sending me the wrong size")
    [asked] = fake.sent
    assert asked.payload["type"] == "interactive"


def test_a_conversation_handed_to_a_person_gets_no_automatic_answer_until_resolved(
        world: World) -> None:
    from plugin.models import Conversation
    from plugin.pipeline.inbox import handover, manage

    app, fake, store_id = world
    switch_on(app, store_id, greeting=False, away=True)
    closed_today(app, store_id)
    with app.app_context(), db.transaction() as session:
        customer = Customer(store_id=store_id, platform_id="c-1", first_name="Ana",
                            phone_e164=f"+{SHOPPER}", wa_id=SHOPPER, tags=[])
        session.add(customer)
        session.flush()
        handover.hand_over(session, store_id, customer.id)
    writes(app, "wamid.IN.1")
    assert fake.sent == []
    with app.app_context(), db.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        manage.set_status(session, conversation, "resolved")
        assert conversation.bot_silenced_until is None
    writes(app, "wamid.IN.2")
    assert len(fake.sent) == 1 and "away right now" in bodies(fake)[0]
