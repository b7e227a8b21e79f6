"""Shared world of the cart recovery flow tests (one per platform): a store installed or
connected through its fake (Shopify's App Home, WooCommerce's WC-Auth), a WhatsApp number on
the fake Graph, the starter templates cart_recovery_1..3 synced as approved, the default
sequence switched on, and a test clock every part of StoreChat reads (db.utcnow)."""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.auth import api_tokens
from plugin.auth.api_tokens import Scope
from plugin.domain.starter_templates import definitions
from plugin.infra import db
from plugin.models import (
    Checkout,
    ConsentEntry,
    Customer,
    Message,
    RecoveryStep,
    Store,
    Template,
    WhatsAppAccount,
)
from plugin.pipeline import recovery_send, recovery_steps
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.pipeline.test_recovery_send import Clock

APP_SECRET = "meta-app-secret-for-cart-recovery"
PHONE_NUMBER_ID, GRAPH_TOKEN = "333000333", "EAAG-recovery-flow"
# The test clock's start: tomorrow 10:00 UTC (a discount's deadline must be in the future for
# the stores), a whole minute so that times compare exactly.
T = (db.utcnow() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
Row = tuple[int, str, str | None]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    now = Clock(T)
    monkeypatch.setattr(db, "utcnow", now)
    return now


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    """The fake Graph API on loopback, knowing the store's number; yields (fake, base URL)."""
    fake = FakeGraph(tokens={PHONE_NUMBER_ID: GRAPH_TOKEN})
    with LoopbackServer(fake) as server:
        yield fake, server.url


class Flow:
    """One store's cart recovery, driven as its shoppers and time would drive it."""

    def __init__(self, app: Flask, graph: FakeGraph, clock: Clock, public_url: str) -> None:
        self.app, self.graph, self.clock = app, graph, clock
        self.client = app.test_client()
        with app.app_context(), db.transaction() as session:
            [store] = session.scalars(select(Store))
            # UTC and English: quiet hours and the template language are what the test says.
            store.timezone, store.locale = "UTC", "en"
            recovery_steps.set_enabled(session, store, True)
            session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PHONE_NUMBER_ID,
                                        waba_id="WABA", access_token=GRAPH_TOKEN))
            # The starters as the WABA holds them once Meta approved them, in every language.
            for d in definitions(public_url):
                if d.name.startswith("cart_recovery_"):
                    session.add(Template(store_id=store.id, name=d.name, language=d.language,
                                         category=d.category, status="APPROVED",
                                         parameter_format="POSITIONAL",
                                         components=d.create_request()["components"]))
            self.store_id = store.id
            _row, self.read_token = api_tokens.issue(session, store.id, "flow", Scope.READ,
                                                     "test")

    def opt_in(self, phone: str, *, granted: bool = True) -> int:
        """A customer with this phone who ticked the checkout's marketing box."""
        with self.app.app_context(), db.transaction() as session:
            customer = Customer(store_id=self.store_id, platform_id=f"test:{phone}",
                                phone_e164=phone, tags=[])
            session.add(customer)
            session.flush()
            session.add(ConsentEntry(store_id=self.store_id, customer_id=customer.id,
                                     purpose="marketing", granted=granted, source="checkout",
                                     text_shown="Send me offers on WhatsApp",
                                     created_at=self.clock.now))
            return customer.id

    def at(self, moment: datetime) -> int:
        """Time passes to `moment`; a worker's sweeper runs (its send jobs run inline)."""
        self.clock.now = moment
        # The 6 s spacing between two messages to one shopper has passed too.
        self.app.extensions["storechat.limiter"].storage.reset()
        with self.app.app_context():
            return recovery_send.enqueue_due()

    def steps(self) -> list[Row]:
        """(step, state, reason) of every timer row, by checkout, cycle and step."""
        return [(r.step, r.state, r.reason) for r in self.rows()]

    def rows(self) -> list[RecoveryStep]:
        with self.app.app_context():
            session = db.session()
            rows = list(session.scalars(select(RecoveryStep).order_by(
                RecoveryStep.checkout_id, RecoveryStep.cycle, RecoveryStep.step)))
            session.expunge_all()
            return rows

    def checkout(self) -> Checkout:
        with self.app.app_context():
            session = db.session()
            [row] = session.scalars(select(Checkout))
            session.expunge(row)
            return row

    def sent(self) -> list[dict[str, Any]]:
        """The Graph requests that reached the fake, in order."""
        return [s.payload for s in self.graph.sent if s.phone_number_id == PHONE_NUMBER_ID]

    def recovery_sent(self) -> list[dict[str, Any]]:
        return [p for p in self.sent() if p.get("type") == "template"
                and p["template"]["name"].startswith("cart_recovery_")]

    def messages(self) -> list[Message]:
        with self.app.app_context():
            session = db.session()
            rows = list(session.scalars(select(Message).where(
                Message.step.startswith("cart_recovery_")).order_by(Message.id)))
            session.expunge_all()
            return rows

    def api(self, path: str) -> Any:
        """GET an API path with the store's read token; its JSON."""
        response = self.client.get(path, headers={"Authorization": f"Bearer {self.read_token}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json

    def shopper_writes(self, phone: str, text: str) -> None:
        """Meta delivers the shopper's text message, signed, to our WhatsApp webhook."""
        wa_id = phone.lstrip("+")
        stamp = int((self.clock.now - datetime(1970, 1, 1)).total_seconds())
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": "15550000000",
                              "phone_number_id": PHONE_NUMBER_ID},
                 "contacts": [{"profile": {"name": "Shopper"}, "wa_id": wa_id}],
                 "messages": [{"from": wa_id, "id": f"wamid.IN{stamp}{len(text)}",
                               "timestamp": str(stamp), "type": "text",
                               "text": {"body": text}}]}
        body = json.dumps({"object": "whatsapp_business_account",
                           "entry": [{"id": "WABA", "changes": [{"field": "messages",
                                                                 "value": value}]}]}).encode()
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = self.client.post("/webhooks/whatsapp", data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": signature})
        assert response.status_code == 200


def body_texts(payload: dict[str, Any]) -> list[str]:
    """The body parameters of a template request, as text."""
    return [p["text"] for c in payload["template"]["components"] if c["type"] == "body"
            for p in c["parameters"]]


def template_request(name: str, to: str, message_id: int, body: list[str],
                     token: str) -> dict[str, Any]:
    """The exact Graph request of a cart starter: English, its body, its /t/ link token."""
    return {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": to.lstrip("+"),
        "type": "template", "biz_opaque_callback_data": f"storechat:{message_id}",
        "template": {"name": name, "language": {"code": "en"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": t} for t in body]},
            {"type": "button", "sub_type": "url", "index": "0",
             "parameters": [{"type": "text", "text": token}]}]}}
