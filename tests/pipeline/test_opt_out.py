"""Opt-outs through the real webhook: STOP with an emoji or "please" opts out at once; a
sentence that names STOP gets a confirmation question with two buttons, once, through the
outbox; the "Stop messages" tap opts out and "Keep messages" changes nothing."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import ConsentEntry, Message
from tests.fakes.graph import FakeGraph
from tests.pipeline import test_conversation_e2e as conversation
from tests.pipeline.test_conversation_e2e import SHOPPER, deliver

# The conversation test's world (an app, the fake Graph, a store with a number) as this
# module's fixture.
world = conversation.world

World = tuple[Flask, FakeGraph, int]


def text(app: Flask, wamid: str, words: str) -> None:
    deliver(app, {"id": wamid, "type": "text", "text": {"body": words}})


def tap(app: Flask, wamid: str, button: dict[str, str], context: str) -> None:
    deliver(app, {"id": wamid, "type": "interactive", "context": {"id": context},
                  "interactive": {"type": "button_reply", "button_reply": button}})


def consent_log(app: Flask) -> list[tuple[bool, str, str]]:
    with app.app_context():
        return [(e.granted, e.source, e.text_shown) for e in db.session().scalars(
            select(ConsentEntry).order_by(ConsentEntry.id))]


@pytest.mark.parametrize("words", ["STOP🙏", "stop please", "Cancelar", "ＳＴＯＰ", "Stop."])
def test_stop_with_emoji_or_filler_opts_out_at_once(world: World, words: str) -> None:
    app, fake, _ = world
    text(app, "wamid.IN.stop", words)
    assert consent_log(app) == [(False, "whatsapp_stop", words)]
    assert fake.sent == []


def test_a_sentence_naming_stop_asks_once_and_the_stop_button_opts_out(world: World) -> None:
    app, fake, _ = world
    text(app, "wamid.IN.sentence", "stop sending me the wrong size")
    text(app, "wamid.IN.sentence", "stop sending me the wrong size")  # Meta redelivers
    assert consent_log(app) == []
    [asked] = fake.sent
    body = asked.payload
    assert body["type"] == "interactive" and body["to"] == SHOPPER
    assert body["interactive"]["type"] == "button"
    buttons = [b["reply"] for b in body["interactive"]["action"]["buttons"]]
    assert [b["title"] for b in buttons] == ["Stop messages", "Keep messages"]
    with app.app_context():
        [row] = db.session().scalars(select(Message)).all()
        assert (row.step, row.state, row.template) == ("opt_out_confirm", "sent", None)

    tap(app, "wamid.IN.tap", buttons[0], context=asked.wamid)
    assert consent_log(app) == [(False, "whatsapp_stop", "Stop messages")]
    # Already opted out: another such sentence asks nothing more.
    text(app, "wamid.IN.again", "please stop the wrong size")
    assert len(fake.sent) == 1


def test_the_keep_button_changes_nothing(world: World) -> None:
    app, fake, _ = world
    text(app, "wamid.IN.sentence", "Can you stop sending the same photo?")
    [asked] = fake.sent
    keep = asked.payload["interactive"]["action"]["buttons"][1]["reply"]
    tap(app, "wamid.IN.keep", keep, context=asked.wamid)
    assert consent_log(app) == []
    assert len(fake.sent) == 1
