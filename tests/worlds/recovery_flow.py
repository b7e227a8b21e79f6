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
from typing import Any, Protocol

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
from plugin.pipeline import sweep
from plugin.pipeline.recovery import send as recovery_send
from plugin.pipeline.recovery import steps as recovery_steps
from plugin.pipeline.recovery import timers as recovery_timers
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
                     token: str | None) -> dict[str, Any]:
    """The exact Graph request of a cart starter: English, its body, its /t/ link token
    (the step's own: a step sent without one fails here)."""
    assert token and len(token) >= 20, token
    return {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": to.lstrip("+"),
        "type": "template", "biz_opaque_callback_data": f"storechat:{message_id}",
        "template": {"name": name, "language": {"code": "en"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": t} for t in body]},
            {"type": "button", "sub_type": "url", "index": "0",
             "parameters": [{"type": "text", "text": token}]}]}}


class Shop(Protocol):
    """What a scenario needs of a platform: the shopper's cart and its order, as webhooks."""

    phone: str

    def open_cart(self, at: datetime) -> None:
        """The platform's signed checkout (or cart) event, last touched `at`."""

    def order(self) -> None:
        """The platform's signed order webhook naming that cart."""

    def codes_made(self) -> int:
        """Every discount code creation the platform's fake received."""


class RecoveryScenarios:
    """The issue's scenarios, run by each platform's module as `class TestScenarios(...)`
    with its own `flow` and `shop` fixtures."""

    def test_a_purchase_between_step_1_and_2_skips_the_rest(self, flow: Flow,
                                                              shop: Shop) -> None:
        flow.opt_in(shop.phone)
        shop.open_cart(T)
        flow.at(T + timedelta(minutes=61))
        flow.clock.now = T + timedelta(hours=5)
        shop.order()
        assert flow.at(T + timedelta(days=4)) == 0
        assert flow.steps() == [(1, "sent", None),
                                (2, "skipped", "recovered before step 2"),
                                (3, "skipped", "recovered before step 2")]
        assert [p["template"]["name"] for p in flow.recovery_sent()] == ["cart_recovery_1"]
        assert flow.checkout().recovered_step == 1
        assert shop.codes_made() == 0

    def test_a_whatsapp_reply_after_step_1_stops_the_rest(self, flow: Flow,
                                                          shop: Shop) -> None:
        flow.opt_in(shop.phone)
        shop.open_cart(T)
        flow.at(T + timedelta(minutes=61))
        flow.clock.now = T + timedelta(hours=3)
        flow.shopper_writes(shop.phone, "Does the shirt come in L?")
        assert flow.at(T + timedelta(days=4)) == 0
        assert flow.steps() == [(1, "sent", None), (2, "stopped", "the shopper replied"),
                                (3, "stopped", "the shopper replied")]
        assert len(flow.recovery_sent()) == 1 and shop.codes_made() == 0

    def test_stop_after_step_1_stops_the_rest(self, flow: Flow, shop: Shop) -> None:
        flow.opt_in(shop.phone)
        shop.open_cart(T)
        flow.at(T + timedelta(minutes=61))
        flow.clock.now = T + timedelta(hours=3)
        flow.shopper_writes(shop.phone, "STOP")
        assert flow.at(T + timedelta(days=4)) == 0
        assert flow.steps() == [(1, "sent", None), (2, "stopped", "the shopper opted out"),
                                (3, "stopped", "the shopper opted out")]
        assert len(flow.recovery_sent()) == 1 and shop.codes_made() == 0

    def test_without_marketing_consent_every_step_is_skipped_and_no_code_made(
            self, flow: Flow, shop: Shop) -> None:
        shop.open_cart(T)
        for moment in (timedelta(minutes=61), timedelta(days=1, minutes=1),
                       timedelta(days=3, minutes=1)):
            flow.at(T + moment)
        assert flow.steps() == [(step, "skipped", "no marketing opt-in") for step in (1, 2, 3)]
        assert flow.recovery_sent() == [] and shop.codes_made() == 0

    def test_other_marketing_this_week_still_counts_against_the_cap(self, flow: Flow,
                                                                    shop: Shop) -> None:
        """A campaign and another cart's message this week: two touches, so this cart's
        first step is capped (its own steps are left out, the others' are not)."""
        customer_id = flow.opt_in(shop.phone)
        with flow.app.app_context(), db.transaction() as session:
            for n, cause in ((1, "campaign:1"), (2, "checkout:999999:1")):
                session.add(Message(store_id=flow.store_id, customer_id=customer_id,
                                    cause=cause, step="cart_recovery_2", to=shop.phone,
                                    template="cart_recovery_2", payload={},
                                    state="delivered", sent_at=T - timedelta(days=n)))
        shop.open_cart(T)
        flow.at(T + timedelta(minutes=61))
        assert flow.steps()[0] == (1, "skipped", "marketing cap reached (2 a week)")
        assert flow.recovery_sent() == []

    def test_quiet_hours_defer_the_step_and_it_is_sent_in_the_morning(
            self, flow: Flow, shop: Shop) -> None:
        """The store's time zone is the shopper's here (StoreChat reads no shopper zone)."""
        flow.opt_in(shop.phone)
        with flow.app.app_context(), db.transaction() as session:
            session.get_one(Store, flow.store_id).timezone = "Asia/Kolkata"  # UTC+5:30
        evening = T.replace(hour=14)  # 19:30 in Kolkata: step 1 falls due at 20:30...
        shop.open_cart(evening)
        flow.at(evening + timedelta(hours=1, minutes=40))  # ...and is claimed at 21:10
        [first, *_] = flow.rows()
        assert (first.state, first.reason) == ("scheduled", "quiet hours until 09:00")
        morning = T.replace(hour=3, minute=30) + timedelta(days=1)  # 09:00 in Kolkata
        assert first.due_at == morning
        assert flow.at(morning - timedelta(minutes=1)) == 0
        assert flow.at(morning + timedelta(minutes=1)) == 1
        assert flow.steps()[0] == (1, "sent", None)
        assert len(flow.recovery_sent()) == 1

    def test_a_worker_killed_holding_a_due_step_sends_it_once_after_restart(
            self, flow: Flow, shop: Shop) -> None:
        flow.opt_in(shop.phone)
        shop.open_cart(T)
        flow.clock.now = T + timedelta(minutes=61)
        with flow.app.app_context(), db.transaction() as session:
            # A worker claimed the step, then was killed before its job ran.
            assert len(recovery_timers.claim_due(session, flow.clock.now, 10)) == 1
        assert flow.at(T + timedelta(minutes=62)) == 0  # its claim still holds
        flow.clock.now = T + timedelta(minutes=61) + recovery_timers.CLAIM_LEASE \
            + timedelta(seconds=1)
        with flow.app.app_context():
            sweep.recover()  # the restarted worker's sweeper
            recovery_send.send_step(flow.rows()[0].id)  # the killed worker's job, late
        assert flow.steps()[0] == (1, "sent", None)
        assert len(flow.recovery_sent()) == 1 and len(flow.messages()) == 1
