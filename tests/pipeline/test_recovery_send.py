"""Sending due cart recovery steps: signed checkout webhooks in, the sweeper claims the due
steps, and the exact Graph request comes out of the fake Graph API; or the step is skipped,
stopped or deferred with the reason the owner reads. Time is a test clock (db.utcnow)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from plugin.infra import db
from plugin.models import (
    Automation,
    Checkout,
    ConsentEntry,
    Customer,
    Message,
    RecoveryStep,
    Store,
    Template,
    WhatsAppAccount,
)
from plugin.pipeline import outbox, sweep
from plugin.pipeline.recovery import send as recovery_send
from plugin.pipeline.recovery import steps as recovery_steps
from plugin.pipeline.recovery import timers as recovery_timers
from tests.conftest import make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.pipeline.test_checkouts import SHOPIFY_SECRET, World, _cart, _checkout, _order

PUBLIC_URL = "https://chat.example.com"
NUMBERS = {"shopify": ("111000111", "EAAG-shop"), "woocommerce": ("222000222", "EAAG-woo")}
SHOP_PHONE, WOO_PHONE = "+34612345678", "+351912345678"
# The test clock's start: tomorrow 10:00 UTC (a discount's deadline must be in the future for
# the stores), a whole minute so that times compare exactly.
T = (db.utcnow() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
Row = tuple[int, str, str | None]


def components(step: int, *, image: bool) -> list[dict[str, Any]]:
    """A cart template as Meta returns it: an optional image header, a body with {{n}}, a
    URL button to our /t/ link and a quick reply to stop promotions."""
    bodies = {1: "Hi {{1}}, you left {{2}} in your cart ({{3}} items, {{4}}).",
              2: "{{1}}, {{2}} is still waiting: {{3}}.",
              3: "{{1}}, here is {{3}} off {{2}} with the code {{4}}."}
    parts: list[dict[str, Any]] = []
    if image:
        parts.append({"type": "HEADER", "format": "IMAGE",
                      "example": {"header_handle": ["4::aW1hZ2U=:ARb"]}})
    parts.append({"type": "BODY", "text": bodies[step],
                  "example": {"body_text": [["Ana", "Linen shirt", "2", "€10.00"][:4]]}})
    parts.append({"type": "BUTTONS", "buttons": [
        {"type": "URL", "text": "Back to my cart", "url": f"{PUBLIC_URL}/t/{{{{1}}}}",
         "example": [f"{PUBLIC_URL}/t/abc"]},
        {"type": "QUICK_REPLY", "text": "Stop promotions"}]})
    return parts


class Clock:
    """The time every part of StoreChat reads (db.utcnow), moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Recovery(World):
    """The checkouts' world (a Shopify and a WooCommerce store), each with a WhatsApp number
    on the fake Graph, the default sequence on, its three templates approved in English
    (Shopify's first step with an image header), and UTC as the stores' time zone."""

    def __init__(self, app: Flask, graph: FakeGraph, clock: Clock) -> None:
        super().__init__(app)
        self.graph, self.clock = graph, clock
        with app.app_context(), db.transaction() as session:
            for store in session.scalars(select(Store)):
                store.timezone, store.locale = "UTC", "en"
                recovery_steps.set_enabled(session, store, True)
                number, token = NUMBERS[store.platform]
                session.add(WhatsAppAccount(store_id=store.id, phone_number_id=number,
                                            waba_id="1", access_token=token))
                for step in (1, 2, 3):
                    session.add(Template(
                        store_id=store.id, name=f"cart_recovery_{step}", language="en",
                        category="MARKETING", status="APPROVED", parameter_format="POSITIONAL",
                        components=components(step, image=store.platform == "shopify"
                                              and step == 1)))

    def store_id(self, platform: str) -> int:
        with self.app.app_context():
            return db.session().scalars(select(Store.id).where(
                Store.platform == platform)).one()

    def opt_in(self, phone: str, platform: str, *, granted: bool = True,
               source: str = "woocommerce_checkout") -> int:
        """A customer with this phone whose newest marketing consent says `granted`."""
        store_id = self.store_id(platform)
        with self.app.app_context(), db.transaction() as session:
            customer = session.scalars(select(Customer).where(
                Customer.store_id == store_id, Customer.phone_e164 == phone)).first()
            if customer is None:
                customer = Customer(store_id=store_id, platform_id=f"test:{phone}",
                                    phone_e164=phone, tags=[])
                session.add(customer)
                session.flush()
            session.add(ConsentEntry(store_id=store_id, customer_id=customer.id,
                                     purpose="marketing", granted=granted, source=source,
                                     text_shown="WhatsApp offers", created_at=self.clock.now))
            return customer.id

    def at(self, moment: datetime) -> int:
        """Time passes to `moment`; a worker's sweeper runs (jobs run inline)."""
        self.clock.now = moment
        # The 6 s spacing between two messages to one shopper has passed too.
        self.app.extensions["storechat.limiter"].storage.reset()
        with self.app.app_context():
            return recovery_send.enqueue_due()

    def steps(self) -> list[Row]:
        """(step, state, reason) of every timer row, by checkout, cycle and step."""
        with self.app.app_context():
            return [(r.step, r.state, r.reason) for r in db.session().scalars(
                select(RecoveryStep).order_by(RecoveryStep.checkout_id, RecoveryStep.cycle,
                                              RecoveryStep.step))]

    def rows(self) -> list[RecoveryStep]:
        with self.app.app_context():
            session = db.session()
            rows = list(session.scalars(select(RecoveryStep).order_by(RecoveryStep.id)))
            session.expunge_all()
            return rows

    def sent(self, platform: str) -> list[dict[str, Any]]:
        return [s.payload for s in self.graph.sent if s.phone_number_id == NUMBERS[platform][0]]

    def messages(self) -> list[Message]:
        with self.app.app_context():
            session = db.session()
            rows = list(session.scalars(select(Message).order_by(Message.id)))
            session.expunge_all()
            return rows

    def change(self, model: type, *where: Any, **values: Any) -> None:
        with self.app.app_context(), db.transaction() as session:
            session.execute(update(model).where(*where).values(**values))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    now = Clock(T)
    monkeypatch.setattr(db, "utcnow", now)
    return now


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Iterator[Recovery]:
    graph = FakeGraph(tokens=dict(NUMBERS.values()))
    with LoopbackServer(graph) as server:
        app = make_app(tmp_path / "instance", whatsapp_graph_url=server.url,
                       shopify_api_key="key", shopify_api_secret=SHOPIFY_SECRET,
                       public_url=PUBLIC_URL, allow_http_stores=True)
        yield Recovery(app, graph, clock)
        app.extensions["storechat.engine"].dispose()


def _iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def _shop_checkout(world: Recovery, **changes: Any) -> None:
    assert world.shopify("checkouts/create", _checkout(updated_at=_iso(T), **changes)) == 200


def _token(payload: dict[str, Any]) -> str:
    [button] = [c for c in payload["template"]["components"] if c["type"] == "button"]
    return str(button["parameters"][0]["text"])


# The message ---------------------------------------------------------------------------------

def test_step_1_is_the_exact_graph_request_with_image_and_link(world: Recovery) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    _shop_checkout(world)
    assert world.at(T + timedelta(minutes=59)) == 0  # not due yet
    assert world.at(T + timedelta(minutes=61)) == 1
    [payload] = world.sent("shopify")
    [message] = world.messages()
    [first, *_] = world.rows()
    assert payload == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "34612345678",
        "type": "template", "biz_opaque_callback_data": f"storechat:{message.id}",
        "template": {"name": "cart_recovery_1", "language": {"code": "en"}, "components": [
            {"type": "header", "parameters": [
                {"type": "image", "image": {"link": "https://cdn.example.com/mug.jpg"}}]},
            {"type": "body", "parameters": [
                {"type": "text", "text": "John"},
                {"type": "text", "text": "IPod Nano - 8GB (Blue / M)"},
                {"type": "text", "text": "2"},
                {"type": "text", "text": "€398.00"}]},
            {"type": "button", "sub_type": "url", "index": "0",
             "parameters": [{"type": "text", "text": first.link_token}]}]}}
    assert first.link_token and len(first.link_token) >= 20
    assert (first.step, first.state, first.message_id, first.sent_at) == (
        1, "sent", message.id, T + timedelta(minutes=61))
    assert (message.cause, message.step, message.state, message.to) == (
        f"checkout:{first.checkout_id}:1", "cart_recovery_1", "sent", SHOP_PHONE)
    assert world.steps()[1:] == [(2, "scheduled", None), (3, "scheduled", None)]


def test_woocommerce_step_2_after_step_1_with_the_carts_restore_link_token(
        world: Recovery) -> None:
    world.opt_in(WOO_PHONE, "woocommerce")
    world.woo_cart(_cart(updated_at=_iso(T)))
    world.at(T + timedelta(hours=2))
    world.at(T + timedelta(days=1, minutes=1))
    first, second = world.sent("woocommerce")
    assert [p["template"]["name"] for p in (first, second)] == ["cart_recovery_1",
                                                                 "cart_recovery_2"]
    assert second["to"] == "351912345678"
    assert [p["text"] for c in second["template"]["components"] if c["type"] == "body"
            for p in c["parameters"]] == ["Rui", "Caneca", "€59.90"]
    rows = world.rows()
    assert [_token(first), _token(second)] == [rows[0].link_token, rows[1].link_token]
    assert rows[0].link_token != rows[1].link_token
    assert all("header" not in str(c) for c in second["template"]["components"])


def test_a_checkout_with_no_customer_row_gets_one_by_phone_for_its_message(
        world: Recovery) -> None:
    world.change(Template, category="UTILITY")  # no consent needed: a customer is made
    world.woo_cart(_cart(updated_at=_iso(T)))
    assert world.checkouts()[0].customer_id is None
    world.at(T + timedelta(hours=2))
    [message] = world.messages()
    [checkout] = world.checkouts()
    with world.app.app_context():
        customer = db.session().get(Customer, message.customer_id)
        assert customer is not None
        assert (customer.platform_id, customer.phone_e164) == (f"phone:{WOO_PHONE}", WOO_PHONE)
    assert checkout.customer_id == message.customer_id


# Why a step is not sent ------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "reason"), [
    ("uninstalled", "the store is uninstalled"),
    ("reconnect-needed", "the store needs reconnecting")])
def test_a_store_not_active_stops_the_sequence(world: Recovery, status: str,
                                               reason: str) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    _shop_checkout(world)
    world.change(Store, status=status)
    world.at(T + timedelta(hours=2))
    assert world.steps() == [(1, "stopped", reason), (2, "stopped", reason),
                             (3, "stopped", reason)]
    assert world.graph.sent == []


def test_a_sequence_turned_off_skips_its_due_steps(world: Recovery) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    _shop_checkout(world)
    world.change(Automation, enabled=False)
    world.at(T + timedelta(hours=2))
    assert world.steps()[0] == (1, "skipped", "cart recovery is off")
    assert world.graph.sent == []


def test_a_checkout_completed_after_the_claim_is_skipped_as_recovered(world: Recovery) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    _shop_checkout(world)
    world.clock.now = T + timedelta(hours=2)
    with world.app.app_context(), db.transaction() as session:
        [step_id] = recovery_timers.claim_due(session, world.clock.now, 10)
    world.change(Checkout, completed_at=T + timedelta(hours=1))
    with world.app.app_context():
        recovery_send.send_step(step_id)
    assert world.steps()[0] == (1, "skipped", "recovered before step 1")
    assert world.graph.sent == []


def test_an_order_since_the_cart_not_naming_it_completes_it_and_skips_the_rest(
        world: Recovery) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    _shop_checkout(world)
    # An order from the same phone that names no checkout (placed another way).
    world.shopify("orders/create", _order(checkout_id=None, checkout_token=None))
    world.at(T + timedelta(hours=2))
    # The order completes the cart at once (attribution finds it by phone), before step 1.
    assert world.steps() == [(1, "skipped", "ordered before step 1"),
                             (2, "skipped", "ordered before step 1"),
                             (3, "skipped", "ordered before step 1")]
    assert world.checkouts()[0].completed_at == T
    assert world.graph.sent == []


def test_a_reply_after_step_1_stops_the_rest(world: Recovery) -> None:
    customer_id = world.opt_in(SHOP_PHONE, "shopify")
    _shop_checkout(world)
    world.at(T + timedelta(hours=2))
    with world.app.app_context(), db.transaction() as session:
        session.get_one(Customer, customer_id).last_inbound_at = T + timedelta(hours=3)
    world.at(T + timedelta(days=2))
    assert world.steps() == [(1, "sent", None), (2, "stopped", "the shopper replied"),
                             (3, "stopped", "the shopper replied")]
    assert len(world.graph.sent) == 1


def test_a_cart_emptied_after_the_claim_stops_the_sequence(world: Recovery) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    _shop_checkout(world)
    world.clock.now = T + timedelta(hours=2)
    with world.app.app_context(), db.transaction() as session:
        [step_id] = recovery_timers.claim_due(session, world.clock.now, 10)
    world.change(Checkout, items=[], item_count=0)
    with world.app.app_context():
        recovery_send.send_step(step_id)
    assert {state for _, state, _ in world.steps()} == {"stopped"}
    assert world.steps()[0][2] == "the cart was emptied"


@pytest.mark.parametrize(("consent", "phone", "reason"), [
    (None, SHOP_PHONE, "no marketing opt-in"),
    (False, SHOP_PHONE, "the customer opted out of marketing"),
    (True, "+12025550143", "Meta does not deliver marketing templates to +1 (US) numbers"),
])
def test_marketing_policy_skips_the_step_with_its_reason(world: Recovery, consent: bool | None,
                                                          phone: str, reason: str) -> None:
    if consent is not None:
        world.opt_in(phone, "shopify", granted=consent)
    _shop_checkout(world, phone=phone)
    world.at(T + timedelta(hours=2))
    assert world.steps()[0] == (1, "skipped", reason)
    assert world.graph.sent == []


def test_the_weekly_marketing_cap_skips_the_step(world: Recovery) -> None:
    customer_id = world.opt_in(SHOP_PHONE, "shopify")
    with world.app.app_context(), db.transaction() as session:
        for n in (1, 2):  # two marketing messages already went out this week
            session.add(Message(store_id=world.store_id("shopify"), customer_id=customer_id,
                                cause=f"campaign:{n}", step="campaign", to=SHOP_PHONE,
                                template="cart_recovery_2", payload={}, state="delivered",
                                sent_at=T - timedelta(days=n)))
    _shop_checkout(world)
    world.at(T + timedelta(hours=2))
    assert world.steps()[0] == (1, "skipped", "marketing cap reached (2 a week)")


def test_a_template_not_approved_skips_the_step_naming_it(world: Recovery) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    world.change(Template, status="PENDING")
    _shop_checkout(world)
    world.at(T + timedelta(hours=2))
    assert world.steps()[0] == (1, "skipped", "template cart_recovery_1 is not approved")


def test_an_image_header_and_a_cart_without_images_skips_the_step(world: Recovery) -> None:
    world.opt_in(WOO_PHONE, "woocommerce")
    world.change(Template, components=components(1, image=True))
    world.woo_cart(_cart(updated_at=_iso(T)))  # the plugin's carts carry no images
    world.at(T + timedelta(hours=2))
    assert world.steps()[0] == (
        1, "skipped", "the template needs a product image and the cart has none")
    assert world.graph.sent == []


def test_a_message_over_a_whatsapp_limit_is_skipped_with_the_limit(world: Recovery) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    # Named variables that do not match the step's four values.
    world.change(Template, parameter_format="NAMED", components=[
        {"type": "BODY", "text": "Hi {{first_name}}"}])
    _shop_checkout(world)
    world.at(T + timedelta(hours=2))
    [(step, state, reason)] = world.steps()[:1]
    assert state == "skipped" and reason and "breaks a WhatsApp limit" in reason
    assert world.messages() == []


def test_a_worker_that_was_behind_sends_only_the_latest_due_step(world: Recovery) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    world.change(Template, components=components(2, image=False))
    world.change(Automation, conditions={})  # no discount on step 3 here
    world.change(Automation, variables=["first_name", "first_item", "cart_total"])
    _shop_checkout(world)
    world.at(T + timedelta(days=4))
    assert world.steps() == [(1, "skipped", "step 3 is due too: only the latest step is sent"),
                             (2, "skipped", "step 3 is due too: only the latest step is sent"),
                             (3, "sent", None)]
    assert [p["template"]["name"] for p in world.sent("shopify")] == ["cart_recovery_3"]


def test_a_store_that_refuses_the_discount_code_puts_the_step_back_then_stops_it(
        world: Recovery) -> None:
    """This world's Shopify store has no access token: the code cannot be made, the step
    waits 10 minutes, and by then the store is marked as needing reconnecting."""
    world.opt_in(SHOP_PHONE, "shopify")
    # Steps 1 and 3 only: with step 2 sent too, the cap of 2 a week would skip step 3.
    world.change(Automation, Automation.journey == "cart_recovery_2", enabled=False)
    _shop_checkout(world)
    world.at(T + timedelta(hours=2))
    due = T + timedelta(days=3)
    world.at(due + timedelta(minutes=1))
    [row] = [r for r in world.rows() if r.step == 3]
    assert (row.state, row.due_at) == ("scheduled", due + timedelta(minutes=11))
    assert row.reason and row.reason.startswith(
        "the discount code could not be created yet (try 1 of 3): ")
    world.at(due + timedelta(minutes=11))
    assert world.steps()[-1] == (3, "stopped", "the store needs reconnecting")
    assert len(world.sent("shopify")) == 1


# Quiet hours, crashes and two workers ---------------------------------------------------------

def test_quiet_hours_defer_the_step_then_it_is_sent(world: Recovery) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    evening = T.replace(hour=20)
    world.shopify("checkouts/create", _checkout(updated_at=_iso(evening)))
    world.at(evening + timedelta(hours=1, minutes=5))  # 21:05 at the store (UTC)
    assert world.steps()[0] == (1, "scheduled", "quiet hours until 09:00")
    [row, *_] = world.rows()
    assert row.due_at == T.replace(hour=9) + timedelta(days=1)
    assert world.at(T.replace(hour=8, minute=59) + timedelta(days=1)) == 0
    assert world.at(T.replace(hour=9, minute=1) + timedelta(days=1)) == 1
    assert world.steps()[0] == (1, "sent", None)
    assert len(world.sent("shopify")) == 1


def test_a_worker_that_died_holding_a_due_step_is_replaced_and_it_is_sent_once(
        world: Recovery) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    _shop_checkout(world)
    world.clock.now = T + timedelta(hours=2)
    with world.app.app_context(), db.transaction() as session:
        # A worker claimed the step and died before its job ran.
        assert len(recovery_timers.claim_due(session, world.clock.now, 10)) == 1
    assert world.at(T + timedelta(hours=2, minutes=4)) == 0  # its claim still holds
    assert world.graph.sent == []
    world.clock.now = T + timedelta(hours=2) + recovery_timers.CLAIM_LEASE + timedelta(
        seconds=1)
    with world.app.app_context():
        sweep.recover()  # the restarted worker's sweeper
    assert world.steps()[0] == (1, "sent", None)
    assert len(world.graph.sent) == 1
    with world.app.app_context():
        recovery_send.send_step(world.rows()[0].id)  # the lost job turns up after all
        sweep.recover()
    assert len(world.graph.sent) == 1 and len(world.messages()) == 1


def test_a_crash_before_the_commit_leaves_nothing_and_the_step_is_sent_later(
        world: Recovery, monkeypatch: pytest.MonkeyPatch) -> None:
    world.opt_in(SHOP_PHONE, "shopify")
    _shop_checkout(world)
    real_write = outbox.write

    def dies_after_writing(*args: Any, **kwargs: Any) -> int | None:
        real_write(*args, **kwargs)
        raise RuntimeError("the worker died here")

    monkeypatch.setattr(outbox, "write", dies_after_writing)
    world.at(T + timedelta(hours=2))  # the job fails (the queue logs it)
    assert world.messages() == []  # the message row went with the rest of the transaction
    assert world.steps()[0] == (1, "due-claimed", None)
    monkeypatch.setattr(outbox, "write", real_write)
    world.at(T + timedelta(hours=2) + recovery_timers.CLAIM_LEASE + timedelta(minutes=1))
    assert world.steps()[0] == (1, "sent", None)
    assert len(world.graph.sent) == 1


def test_two_workers_at_once_send_each_due_step_once(world: Recovery) -> None:
    for n in range(4):
        phone = f"+3461234560{n}"
        world.opt_in(phone, "woocommerce")
        world.woo_cart(_cart(cart_token=f"cart-{n}", phone=phone, updated_at=_iso(T)))
    world.clock.now = T + timedelta(hours=2)
    start, errors = threading.Barrier(2), []

    def worker() -> None:
        try:
            start.wait()
            with world.app.app_context():
                recovery_send.enqueue_due()
                for step_id in range(1, 13):  # every job twice: once per worker
                    recovery_send.send_step(step_id)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(p["to"] for p in world.sent("woocommerce")) == [
        f"3461234560{n}" for n in range(4)]
    assert len(world.messages()) == 4
    assert [state for _, state, _ in world.steps()].count("sent") == 4


def test_a_cart_consent_box_counts_once_the_shopper_has_written_to_us(world: Recovery) -> None:
    """The companion plugin's cart event carries the checkout box; it is logged as the cart's
    consent (source woocommerce_cart), a form opt-in that counts once its number wrote."""
    world.woo_cart(_cart(updated_at=_iso(T), consent={"marketing": True,
                                                      "text": "Send me offers on WhatsApp"}))
    with world.app.app_context():
        [entry] = db.session().scalars(select(ConsentEntry))
        assert (entry.purpose, entry.granted, entry.source) == (
            "marketing", True, "woocommerce_cart")
    world.at(T + timedelta(hours=2))
    assert world.steps()[0] == (
        1, "skipped", "the widget opt-in awaits the shopper's first WhatsApp message")
    world.change(Customer, last_inbound_at=T + timedelta(hours=3))  # "hi, is it in stock?"
    world.at(T + timedelta(days=1, minutes=1))
    assert world.steps()[1] == (2, "sent", None)
    [message] = world.messages()
    assert message.customer_id == entry.customer_id
