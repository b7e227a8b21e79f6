"""Checkouts as state (cart recovery's groundwork): signed Shopify checkout and WooCommerce
companion-plugin cart webhooks go in; one checkout row per cart comes out, kept at its newest
state and completed by the order that names it, whichever arrives first."""
from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Checkout, Customer, EventState, InboundEvent, Order, Store
from plugin.pipeline.checkouts import INVALID_PHONE, NO_COUNTRY, NO_PHONE
from plugin.platforms.stores import set_credentials
from tests.conftest import make_app, shared_fixture
from webhooks.signatures import hmac_sha256_base64

SHOPIFY_SECRET = "shpss_checkouts_secret_0123456789abcdef"
SHOP = "acme.myshopify.com"
WOO_WEBHOOK, WOO_SECRET, WOO_CONNECTION = "31", "wc-checkouts-secret", "wc-connection-secret"
CHECKOUT_ID, CHECKOUT_TOKEN = 981820079255243537, "b1946ac92492d2347c6235b4d2611184"
ORDER_ID = 820982911946154508
HOSTILE = "Caf\u00e9 & <b>\"Tea\"</b> 'n' #1 100% \U0001F375\U0001F1F5\U0001F1F9"


class World:
    """StoreChat with a Shopify store (no country set) and a WooCommerce store (Portugal)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self.ticks = count(1)
        with app.app_context(), db.transaction() as session:
            shop = Store(platform="shopify", domain=SHOP, name="Acme")
            woo = Store(platform="woocommerce", domain="https://woo.example.com", country="PT")
            set_credentials(woo, {"webhooks": {WOO_WEBHOOK: WOO_SECRET},
                                  "connection_secret": WOO_CONNECTION})
            session.add_all([shop, woo])
            session.flush()
            self.woo_key = woo.key

    def shopify(self, topic: str, payload: dict[str, Any], event_id: str | None = None,
                shop: str = SHOP) -> int:
        body = json.dumps(payload).encode()
        response = self.client.post("/webhooks/shopify", data=body, headers={
            "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop,
            "X-Shopify-Webhook-Id": uuid.uuid4().hex, "X-Shopify-API-Version": "2025-10",
            "X-Shopify-Event-Id": event_id or uuid.uuid4().hex,
            "X-Shopify-Hmac-Sha256": hmac_sha256_base64(SHOPIFY_SECRET.encode(), body),
            "Content-Type": "application/json"})
        return response.status_code

    def woo_cart(self, payload: dict[str, Any], topic: str = "cart.updated") -> None:
        body = json.dumps(payload).encode()
        response = self.client.post(f"/webhooks/woocommerce/{self.woo_key}", data=body, headers={
            "X-StoreChat-Topic": topic, "Content-Type": "application/json",
            "X-StoreChat-Hmac-Sha256": hmac_sha256_base64(WOO_CONNECTION.encode(), body)})
        assert response.status_code == 200

    def woo_order(self, payload: dict[str, Any]) -> None:
        payload = dict(payload, date_modified_gmt=f"2026-11-20T10:{next(self.ticks):02d}:00")
        body = json.dumps(payload).encode()
        response = self.client.post(f"/webhooks/woocommerce/{self.woo_key}", data=body, headers={
            "X-WC-Webhook-Source": "https://woo.example.com/",
            "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": "created",
            "X-WC-Webhook-Signature": hmac_sha256_base64(WOO_SECRET.encode(), body),
            "X-WC-Webhook-ID": WOO_WEBHOOK, "X-WC-Webhook-Delivery-ID": "1",
            "Content-Type": "application/json"})
        assert response.status_code == 200

    def checkouts(self) -> list[Checkout]:
        with self.app.app_context():
            session = db.session()
            rows = list(session.scalars(select(Checkout).order_by(Checkout.id)))
            session.expunge_all()
            return rows

    def events(self) -> list[tuple[str, str | None]]:
        """(state, error) of every stored delivery: none may be left failing or pending."""
        with self.app.app_context():
            return [(e.state, e.error) for e in
                    db.session().scalars(select(InboundEvent).order_by(InboundEvent.id))]

    def order_row_id(self, platform_id: str) -> int:
        with self.app.app_context():
            return db.session().scalars(select(Order.id).where(
                Order.platform_id == platform_id)).one()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    app = make_app(tmp_path / "instance", shopify_api_key="key",
                   shopify_api_secret=SHOPIFY_SECRET, allow_http_stores=True)
    yield World(app)
    app.extensions["storechat.engine"].dispose()


def _processed(world: World) -> None:
    assert {state for state, _ in world.events()} == {EventState.PROCESSED.value}, world.events()


def _checkout(**changes: Any) -> dict[str, Any]:
    """A Shopify checkout as recorded (shared fixture), made ours: ids, a Spanish phone."""
    recorded = json.loads(shared_fixture("shopify", "trigger-dev", "CheckoutsCreate.json")
                          .read_text())
    body = copy.deepcopy(recorded)
    body.update({"id": CHECKOUT_ID, "token": CHECKOUT_TOKEN, "phone": "+34 612 345 678",
                 "currency": "EUR", "updated_at": "2026-11-20T10:00:00+01:00",
                 "abandoned_checkout_url": "https://acme.myshopify.com/1/checkouts/"
                                           f"{CHECKOUT_TOKEN}/recover?key=k"})
    body["line_items"][0].update({"variant_id": 39072856, "variant_title": "Blue / M",
                                  "image_url": "https://cdn.example.com/mug.jpg"})
    body.update(changes)
    return body


def _order(**changes: Any) -> dict[str, Any]:
    order = {"id": ORDER_ID, "order_number": 1001, "name": "#1001", "currency": "EUR",
             "total_price": "398.00", "financial_status": "paid",
             "checkout_id": CHECKOUT_ID, "checkout_token": CHECKOUT_TOKEN,
             "customer": {"id": 115310627314723954, "first_name": "Lucía",
                          "phone": "+34 612 345 678"},
             "line_items": [{"title": "IPod Nano - 8GB", "quantity": 2, "price": "199.00"}]}
    order.update(changes)
    return order


# Shopify -------------------------------------------------------------------------------------

def test_shopify_checkout_created_updated_then_ordered_is_one_completed_row(world: World) -> None:
    assert world.shopify("checkouts/create", _checkout()) == 200
    [created] = world.checkouts()
    assert (created.platform_id, created.token, created.phone_e164, created.currency) == (
        str(CHECKOUT_ID), CHECKOUT_TOKEN, "+34612345678", "EUR")
    assert created.items[0] == {"variant_id": "39072856", "product_id": "632910392",
                                "title": "IPod Nano - 8GB", "variant_title": "Blue / M",
                                "quantity": 1, "price": "199.00",
                                "image_url": "https://cdn.example.com/mug.jpg"}
    assert (created.item_count, created.total, created.completed_at) == (2, "398.00", None)
    assert created.recovery_url and created.recovery_url.endswith("/recover?key=k")
    assert str(created.activity_at) == "2026-11-20 09:00:00"  # the payload's time, in UTC

    line = _checkout()["line_items"][0]
    world.shopify("checkouts/update", _checkout(
        updated_at="2026-11-20T10:30:00+01:00", total_price="597.00",
        line_items=[dict(line, quantity=3)]))
    world.shopify("orders/create", _order())

    [checkout] = world.checkouts()
    assert (checkout.id, checkout.total, checkout.item_count) == (created.id, "597.00", 3)
    assert checkout.completed_at is not None
    assert checkout.order_id == world.order_row_id(str(ORDER_ID))
    _processed(world)


def test_an_order_before_its_checkout_leaves_the_checkout_completed(world: World) -> None:
    world.shopify("orders/create", _order())
    [placeholder] = world.checkouts()
    assert placeholder.completed_at is not None and placeholder.items == []

    world.shopify("checkouts/update", _checkout(completed_at=None))
    [checkout] = world.checkouts()
    assert checkout.id == placeholder.id
    assert checkout.completed_at == placeholder.completed_at
    assert checkout.order_id == world.order_row_id(str(ORDER_ID))
    assert (checkout.total, checkout.phone_e164) == ("398.00", "+34612345678")
    _processed(world)


def test_an_order_naming_only_the_token_completes_the_checkout(world: World) -> None:
    world.shopify("checkouts/create", _checkout())
    world.shopify("orders/create", _order(checkout_id=None))
    [checkout] = world.checkouts()
    assert checkout.completed_at is not None and checkout.order_id is not None


def test_an_order_naming_no_checkout_creates_none(world: World) -> None:
    world.shopify("orders/create", _order(checkout_id=None, checkout_token=None))
    assert world.checkouts() == []
    _processed(world)


def test_a_checkout_that_says_it_is_completed_is_completed(world: World) -> None:
    world.shopify("checkouts/update", _checkout(completed_at="2026-11-20T11:00:00+01:00"))
    [checkout] = world.checkouts()
    assert checkout.completed_at is not None and checkout.order_id is None


def test_the_same_webhook_twice_changes_nothing(world: World) -> None:
    world.shopify("checkouts/create", _checkout(), event_id="evt-1")
    [first] = world.checkouts()
    world.shopify("checkouts/create", _checkout(), event_id="evt-1")  # a redelivery
    world.shopify("checkouts/create", _checkout())  # the same state, under a new event id
    [again] = world.checkouts()
    assert len(world.events()) == 2
    assert {c: getattr(again, c) for c in Checkout.__table__.columns.keys()} == \
        {c: getattr(first, c) for c in Checkout.__table__.columns.keys()}


def test_a_late_older_update_does_not_overwrite_a_newer_one(world: World) -> None:
    world.shopify("checkouts/update", _checkout(updated_at="2026-11-20T12:00:00Z",
                                                total_price="10.00"))
    world.shopify("checkouts/update", _checkout(updated_at="2026-11-20T11:59:59Z",
                                                total_price="99.00", phone="+351912345678"))
    [checkout] = world.checkouts()
    assert (checkout.total, checkout.phone_e164) == ("10.00", "+34612345678")
    assert str(checkout.activity_at) == "2026-11-20 12:00:00"
    _processed(world)


# WooCommerce ---------------------------------------------------------------------------------

def _cart(**changes: Any) -> dict[str, Any]:
    cart = {"cart_token": "9f86d081884c7d659a2feaa0c55ad015", "customer_id": 0,
            "phone": "912 345 678", "email": "rui@example.com", "first_name": "Rui",
            "country": "PT", "locale": "pt_PT", "currency": "EUR", "total": "59.90",
            "items": [{"name": "Caneca", "quantity": 2, "price": "29.95"}],
            "restore_url": "https://woo.example.com/?storechat_restore=9f86d081",
            "completed": False, "updated_at": "2026-11-20T10:00:00Z"}
    cart.update(changes)
    return cart


def test_a_woocommerce_cart_then_its_order_is_completed(world: World) -> None:
    world.woo_cart(_cart())
    world.woo_cart(_cart(total="89.85", updated_at="2026-11-20T10:05:00Z",
                         items=[{"name": "Caneca", "quantity": 3, "price": "29.95"}]),
                   topic="checkout.updated")
    [cart] = world.checkouts()
    assert (cart.platform_id, cart.phone_e164, cart.total, cart.item_count, cart.first_name) == (
        "9f86d081884c7d659a2feaa0c55ad015", "+351912345678", "89.85", 3, "Rui")
    assert cart.recovery_url == "https://woo.example.com/?storechat_restore=9f86d081"
    assert cart.completed_at is None

    world.woo_order({"id": 727, "number": "727", "status": "processing", "currency": "EUR",
                     "total": "89.85", "billing": {"first_name": "Rui", "phone": "912345678",
                                                   "country": "PT"},
                     "meta_data": [{"id": 1, "key": "_storechat_cart_token",
                                    "value": "9f86d081884c7d659a2feaa0c55ad015"}]})
    [completed] = world.checkouts()
    assert completed.completed_at is not None
    assert completed.order_id == world.order_row_id("727")
    _processed(world)


def test_a_woocommerce_cart_the_plugin_marks_completed_is_completed(world: World) -> None:
    world.woo_cart(_cart(completed=True))
    [cart] = world.checkouts()
    assert cart.completed_at is not None


# Bad input: each a clear outcome, and the process job ends cleanly -------------------------

def test_a_checkout_without_phone_is_kept_and_says_so(world: World) -> None:
    world.shopify("checkouts/create", _checkout(phone=None, billing_address=None,
                                                shipping_address=None, customer=None,
                                                sms_marketing_phone=None))
    [checkout] = world.checkouts()
    assert (checkout.phone_e164, checkout.phone_raw, checkout.phone_problem) == (
        None, None, NO_PHONE)
    _processed(world)


def test_a_national_number_with_no_country_is_kept_as_typed(world: World) -> None:
    # The Shopify store has no country, and neither has the checkout.
    world.shopify("checkouts/create", _checkout(phone="612 345 678", billing_address=None,
                                                shipping_address=None, customer=None,
                                                sms_marketing_phone=None))
    [checkout] = world.checkouts()
    assert (checkout.phone_e164, checkout.phone_raw, checkout.phone_problem) == (
        None, "612 345 678", NO_COUNTRY)
    _processed(world)


def test_a_national_number_is_read_with_the_store_country(world: World) -> None:
    world.woo_cart(_cart(country=""))  # the Portuguese store's country reads the number
    [cart] = world.checkouts()
    assert (cart.phone_e164, cart.phone_problem) == ("+351912345678", None)


def test_a_number_that_cannot_be_valid_is_kept_with_why(world: World) -> None:
    world.woo_cart(_cart(phone="+351 12"))
    [cart] = world.checkouts()
    assert (cart.phone_e164, cart.phone_raw, cart.phone_problem) == (
        None, "+351 12", INVALID_PHONE)


def test_five_hundred_lines_are_all_kept_and_counted(world: World) -> None:
    line = _checkout()["line_items"][0]
    lines = [dict(line, variant_id=n, quantity=2) for n in range(1, 501)]
    world.shopify("checkouts/create", _checkout(line_items=lines))
    [checkout] = world.checkouts()
    assert (len(checkout.items), checkout.item_count) == (500, 1000)
    assert checkout.items[-1]["variant_id"] == "500"
    _processed(world)


def test_a_hostile_product_name_is_stored_exactly(world: World) -> None:
    line = _checkout()["line_items"][0]
    world.shopify("checkouts/create", _checkout(line_items=[dict(line, title=HOSTILE,
                                                                 variant_title=HOSTILE)]))
    world.woo_cart(_cart(items=[{"name": HOSTILE, "quantity": 1, "price": "1"}],
                         first_name=HOSTILE))
    shop, woo = world.checkouts()
    assert shop.items[0]["title"] == shop.items[0]["variant_title"] == HOSTILE
    assert woo.items[0]["title"] == woo.first_name == HOSTILE
    _processed(world)


@pytest.mark.parametrize(("currency", "total", "price"), [("JPY", "12000", "6000"),
                                                          ("KWD", "12.345", "4.115")])
def test_totals_keep_their_currency_decimals(world: World, currency: str, total: str,
                                             price: str) -> None:
    line = _checkout()["line_items"][0]
    world.shopify("checkouts/create", _checkout(currency=currency, total_price=total,
                                                line_items=[dict(line, price=price)]))
    [checkout] = world.checkouts()
    assert (checkout.currency, checkout.total, checkout.items[0]["price"]) == (
        currency, total, price)


def test_an_event_for_an_unknown_store_stores_no_checkout(world: World) -> None:
    # Stored and answered 200 as promised to the platform, then ignored by the process job.
    assert world.shopify("checkouts/create", _checkout(), shop="stranger.myshopify.com") == 200
    assert world.checkouts() == []
    assert world.events() == [(EventState.IGNORED.value, None)]


def test_a_checkout_links_the_customer_we_already_know(world: World) -> None:
    world.shopify("orders/create", _order(checkout_id=None, checkout_token=None))
    world.shopify("checkouts/create", _checkout(
        id=1, token="t-1", customer={"id": 115310627314723954, "first_name": "Lucía"}))
    [checkout] = world.checkouts()
    with world.app.app_context():
        known = db.session().scalars(select(Customer.id).where(
            Customer.platform_id == "115310627314723954")).one()
    assert checkout.customer_id == known


def test_erasing_a_customer_erases_their_checkouts(world: World) -> None:
    world.shopify("checkouts/create", _checkout())
    world.shopify("checkouts/create", _checkout(id=2, token="t-2", phone="+351912345678",
                                                customer=None, email="other@example.com",
                                                billing_address=None, shipping_address=None))
    world.shopify("customers/redact", {"shop_domain": SHOP, "customer": {
        "id": 1, "email": "nobody@example.com", "phone": "+34612345678"},
        "orders_to_redact": []})
    assert [c.phone_e164 for c in world.checkouts()] == ["+351912345678"]


def test_a_block_checkout_draft_does_not_complete_its_cart_until_placed(world: World) -> None:
    world.woo_cart(_cart())
    order = {"id": 728, "number": "728", "status": "checkout-draft", "currency": "EUR",
             "total": "59.90", "billing": {"first_name": "Rui", "country": "PT"},
             "meta_data": [{"id": 1, "key": "_storechat_cart_token",
                            "value": "9f86d081884c7d659a2feaa0c55ad015"}]}
    world.woo_order(order)
    [cart] = world.checkouts()
    assert cart.completed_at is None  # the shopper may still walk away from the payment
    world.woo_order(dict(order, status="processing"))
    [cart] = world.checkouts()
    assert cart.completed_at is not None and cart.order_id == world.order_row_id("728")
    _processed(world)
