"""A conversation through the real webhook and the fake Graph API: the shopper's message
opens the 24-hour window, a free-form reply goes out; a day later the same reply goes out as
its template; STOP keeps the next marketing message from being sent, and the log says why."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.infra import db, queue
from plugin.models import ConsentEntry, Customer, Message, Store, Template, WhatsAppAccount
from plugin.pipeline import replies
from tests.conftest import make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer

APP_SECRET = "meta-app-secret-for-conversations"
PHONE_NUMBER_ID = "106540352242922"
TOKEN = "EAAG-conversation-token"
SHOPPER = "351912345678"
REPLY = "Your order #1001 left our warehouse this morning."
FALLBACK = replies.Fallback("order_update_reply", "en", ("#1001",))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Flask, FakeGraph, int]]:
    fake = FakeGraph(tokens={PHONE_NUMBER_ID: TOKEN})
    with LoopbackServer(fake) as server:
        app = make_app(tmp_path / "instance", whatsapp_graph_url=server.url,
                       whatsapp_app_secret=APP_SECRET)
        with app.app_context(), db.transaction() as session:
            store = Store(platform="woocommerce", domain="linen.example", name="Linen & Co",
                          country="PT")
            session.add(store)
            session.flush()
            session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PHONE_NUMBER_ID,
                                        waba_id="WABA", access_token=TOKEN))
            store_id = store.id
        yield app, fake, store_id
        app.extensions["storechat.engine"].dispose()


def deliver(app: Flask, message: dict[str, Any]) -> None:
    """Meta delivers one inbound message from the shopper, signed, to our webhook."""
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550000000",
                          "phone_number_id": PHONE_NUMBER_ID},
             "contacts": [{"profile": {"name": "Ana"}, "wa_id": SHOPPER}],
             "messages": [{"from": SHOPPER, "timestamp": str(int(time.time())), **message}]}
    body = json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "WABA", "changes": [{"field": "messages",
                                                             "value": value}]}]}).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = app.test_client().post("/webhooks/whatsapp", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})
    assert response.status_code == 200


def shopper_writes(app: Flask, text: str) -> None:
    """Meta delivers the shopper's text message, signed, to our webhook, as it is sent."""
    deliver(app, {"id": f"wamid.IN{int(time.time())}{len(text)}", "type": "text",
                  "text": {"body": text}})


def reply(app: Flask, store_id: int, step: str) -> Message:
    """The store answers the shopper (as its inbox or a keyword rule would), then sends."""
    with app.app_context():
        with db.transaction() as session:
            customer = session.scalars(select(Customer).where(
                Customer.wa_id == SHOPPER)).one()
            message_id = replies.queue_text(session, session.get(Store, store_id), customer,
                                            REPLY, cause="conversation:1", step=step,
                                            fallback=FALLBACK)
        assert message_id is not None
        # Meta's pair limit spaces messages to one shopper by 6 s: the test's time has passed.
        app.extensions["storechat.limiter"].storage.reset()
        queue.enqueue("send_message", message_id)
        return db.session().get(Message, message_id)


def test_inside_the_window_a_reply_is_free_form_and_a_day_later_its_template(
        world: tuple[Flask, FakeGraph, int], monkeypatch: pytest.MonkeyPatch) -> None:
    app, fake, store_id = world
    shopper_writes(app, "Hi, where is my order?")

    first = reply(app, store_id, "reply-1")
    assert first.state == "sent" and first.template is None
    [sent] = fake.sent
    assert sent.payload["type"] == "text" and sent.payload["text"]["body"] == REPLY
    assert sent.payload["to"] == SHOPPER

    # 24 hours and a minute later, with no word from the shopper: the window is closed.
    later = db.utcnow() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(db, "utcnow", lambda: later)
    second = reply(app, store_id, "reply-2")
    assert second.state == "sent" and second.template == FALLBACK.template
    assert second.fallback is None
    body = fake.sent[-1].payload
    assert body["type"] == "template"
    assert body["template"]["name"] == FALLBACK.template
    assert body["template"]["language"] == {"code": "en"}
    assert body["template"]["components"][0]["parameters"] == [{"type": "text", "text": "#1001"}]
    assert len(fake.sent) == 2


def test_a_131047_sends_the_replys_template_instead(
        world: tuple[Flask, FakeGraph, int]) -> None:
    app, fake, store_id = world
    shopper_writes(app, "Hello?")
    # Our clock says the window is open, Meta says it is not (a message we never saw).
    fake.fail_next(131047, 400, "Re-engagement message")
    message = reply(app, store_id, "reply-1")
    # Switched to its template at once, queued behind the 6 s spacing to this shopper.
    assert message.state == "pending" and message.template == FALLBACK.template
    with app.app_context():
        with db.transaction() as session:
            session.get(Message, message.id).not_before = None
        app.extensions["storechat.limiter"].storage.reset()  # the 6 s have passed
        queue.enqueue("send_message", message.id)
        message = db.session().get(Message, message.id)
    assert message.state == "sent" and message.template == FALLBACK.template
    assert message.attempts == 3  # the 131047, the spacing pause, the send
    [sent] = fake.sent
    assert sent.payload["template"]["name"] == FALLBACK.template


def test_after_stop_the_next_marketing_message_is_not_sent_and_the_log_says_why(
        world: tuple[Flask, FakeGraph, int]) -> None:
    app, fake, store_id = world
    shopper_writes(app, "Hi!")
    with app.app_context(), db.transaction() as session:
        customer = session.scalars(select(Customer)).one()
        session.add(ConsentEntry(store_id=store_id, customer_id=customer.id,
                                 purpose="marketing", granted=True, source="checkout",
                                 text_shown="Send me offers on WhatsApp"))
        session.add(Template(store_id=store_id, name="abandoned_cart", language="en",
                             category="MARKETING", status="APPROVED", components=[]))
    shopper_writes(app, "STOP")

    with app.app_context():
        with db.transaction() as session:
            customer = session.scalars(select(Customer)).one()
            message = Message(store_id=store_id, customer_id=customer.id, cause="cart:77",
                              step="abandoned_cart", to=customer.phone_e164,
                              template="abandoned_cart", state="pending", attempts=0,
                              payload={"messaging_product": "whatsapp", "to": SHOPPER,
                                       "type": "template",
                                       "template": {"name": "abandoned_cart",
                                                    "language": {"code": "en"}}})
            session.add(message)
        queue.enqueue("send_message", message.id)
        skipped = db.session().get(Message, message.id)
        log = [(e.granted, e.source, e.text_shown) for e in db.session().scalars(
            select(ConsentEntry).order_by(ConsentEntry.id))]
    assert (skipped.state, skipped.reason) == ("skipped", "the customer opted out of marketing")
    assert fake.sent == []
    assert log[-1] == (False, "whatsapp_stop", "STOP")


def test_a_widget_opt_in_counts_once_its_number_has_written_to_the_store(
        world: tuple[Flask, FakeGraph, int]) -> None:
    app, fake, store_id = world
    with app.app_context(), db.transaction() as session:
        # Typed into the storefront widget: anyone could have typed this number.
        customer = Customer(store_id=store_id, platform_id="widget:1", tags=[],
                            phone_e164=f"+{SHOPPER}")
        session.add(customer)
        session.flush()
        session.add(ConsentEntry(store_id=store_id, customer_id=customer.id,
                                 purpose="marketing", granted=True, source="widget",
                                 text_shown="Tell me about offers on WhatsApp"))
        session.add(Template(store_id=store_id, name="back_in_stock", language="en",
                             category="MARKETING", status="APPROVED", components=[]))

    def offer(step: str) -> Message:
        with app.app_context():
            with db.transaction() as session:
                customer = session.scalars(select(Customer)).one()
                message = Message(store_id=store_id, customer_id=customer.id, cause="stock:9",
                                  step=step, to=customer.phone_e164, template="back_in_stock",
                                  state="pending", attempts=0,
                                  payload={"messaging_product": "whatsapp", "to": SHOPPER,
                                           "type": "template",
                                           "template": {"name": "back_in_stock",
                                                        "language": {"code": "en"}}})
                session.add(message)
            app.extensions["storechat.limiter"].storage.reset()
            queue.enqueue("send_message", message.id)
            return db.session().get(Message, message.id)

    unconfirmed = offer("first")
    assert unconfirmed.state == "skipped" and "awaits" in unconfirmed.reason
    assert fake.sent == []

    shopper_writes(app, "Hi, is the blue one back?")  # the number is theirs
    confirmed = offer("second")
    assert confirmed.state == "sent"
    assert [s.payload["template"]["name"] for s in fake.sent] == ["back_in_stock"]
