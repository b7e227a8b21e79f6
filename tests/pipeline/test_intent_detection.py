"""The intent detection seam, with a local fake detector and no network: off by default
(keywords and button payloads only); when configured, the plugged detector reads typed text
through the signed WhatsApp webhook and the assistant answers at the fake Graph API, while
button taps stay the keyword detector's, a failing detector leaves the keywords answering,
and a reading that claims more than a question (a confirmed cancellation) is not believed.
A wrong setting fails at start-up."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.config import load_settings
from plugin.domain.assistant import KeywordDetector
from plugin.domain.errors import ConfigError
from plugin.infra import db
from plugin.models import ConversationNote, Order, Store, WhatsAppAccount
from plugin.pipeline import intent_detection
from tests.conftest import environ_for, make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.pipeline import test_conversation_e2e as conversation
from tests.pipeline.test_assistant import bodies, customer, order, says, taps, turn_on
from tests.pipeline.test_conversation_e2e import SHOPPER
from tests.worlds.intent_detectors import PhraseDetector

PLUGGED = "tests.worlds.intent_detectors:phrases"
World = tuple[Flask, FakeGraph, int]


def build(tmp_path: Path, **settings: str) -> Iterator[World]:
    fake = FakeGraph(tokens={conversation.PHONE_NUMBER_ID: conversation.TOKEN})
    with LoopbackServer(fake) as server:
        app = make_app(tmp_path / "instance", whatsapp_graph_url=server.url,
                       whatsapp_app_secret=conversation.APP_SECRET, **settings)
        with app.app_context(), db.transaction() as session:
            store = Store(platform="woocommerce", domain="linen.example", name="Linen & Co",
                          country="PT")
            session.add(store)
            session.flush()
            session.add(WhatsAppAccount(store_id=store.id,
                                        phone_number_id=conversation.PHONE_NUMBER_ID,
                                        waba_id="WABA", access_token=conversation.TOKEN))
            store_id = store.id
        turn_on(app, store_id)
        ana = customer(app, store_id, SHOPPER, "c-ana")
        order(app, store_id, ana, "1001")
        yield app, fake, store_id
        app.extensions["storechat.engine"].dispose()


@pytest.fixture
def off(tmp_path: Path) -> Iterator[World]:
    yield from build(tmp_path)


@pytest.fixture
def plugged(tmp_path: Path) -> Iterator[World]:
    yield from build(tmp_path, intent_detector=PLUGGED)


def model(app: Flask) -> PhraseDetector:
    seam = app.extensions[intent_detection.EXTENSION]
    assert isinstance(seam, intent_detection.PluggedDetector)
    assert isinstance(seam.plugged, PhraseDetector)
    return seam.plugged


def test_off_by_default_only_keywords_and_payloads(off: World, tmp_path: Path) -> None:
    app, fake, _ = off
    assert load_settings(environ_for(tmp_path)).intent_detector == ""
    assert isinstance(app.extensions[intent_detection.EXTENSION], KeywordDetector)
    says(app, "Wo ist meine Bestellung?")  # not a keyword: nothing answers
    assert bodies(fake) == []
    says(app, "where is my order")  # a keyword: the assistant answers
    [answer] = bodies(fake)
    assert answer["text"]["body"].startswith("Order #1001")


def test_plugged_detector_reads_typed_text(plugged: World) -> None:
    app, fake, _ = plugged
    says(app, "Wo ist meine Bestellung?")
    [answer] = bodies(fake)
    assert answer["text"]["body"].startswith("Order #1001")
    assert model(app).asked == [("Wo ist meine Bestellung?", "")]


def test_button_taps_never_reach_the_plugged_detector(plugged: World) -> None:
    app, fake, _ = plugged
    taps(app, "bot:order:en:901001")  # the assistant's own row: read as our payload
    [answer] = bodies(fake)
    assert answer["text"]["body"].startswith("Order #1001")
    assert model(app).asked == []


def test_a_failing_or_unknowing_detector_leaves_the_keywords_answering(
        plugged: World) -> None:
    app, fake, _ = plugged
    says(app, "boom, where is my order")  # the model raises
    says(app, "track my order please")  # the model finds nothing; a keyword does
    assert [b["text"]["body"][:11] for b in bodies(fake)] == ["Order #1001"] * 2
    assert len(model(app).asked) == 2


def test_a_detector_cannot_confirm_a_cancellation(plugged: World) -> None:
    app, fake, _ = plugged
    says(app, "ja")  # the model claims "yes, cancel order 1001"
    [answer] = bodies(fake)
    # Read as the question only: the shopper is asked to confirm with the buttons.
    buttons = answer["interactive"]["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == ["bot:cancel_yes:en:901001",
                                                   "bot:cancel_no:en:901001"]
    with app.app_context():
        assert db.session().scalars(select(ConversationNote)).all() == []
        assert db.session().scalars(select(Order.status)).one() == "paid"


def test_a_wrong_setting_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="package.module:factory"):
        load_settings(environ_for(tmp_path), intent_detector="not a path")
    with pytest.raises(ConfigError, match="cannot be loaded"):
        make_app(tmp_path / "a", intent_detector="tests.worlds.intent_detectors:missing")
    with pytest.raises(ConfigError, match="gave no detector"):
        make_app(tmp_path / "b", intent_detector="tests.worlds.intent_detectors:nothing")
