"""Bad cart input through POST /webhooks/woocommerce/<store key>: the companion plugin's
signed cart events (plugin 1.0 and 1.1 bodies) that a real shop can send, each with a clear
outcome and never a 500. The Shopify checkout counterparts (no phone, a national number, 500
lines, a hostile title, JPY/KWD, an unknown shop) are in tests/pipeline/test_checkouts.py.

Outcomes: a stored checkout that says why it has no phone (`phone_problem`); every line kept
and counted; text stored exactly and rendered on one line; amounts in their currency's
decimals; an unknown store 404, a bad signature 401, an unknown topic 400, before anything is
stored; a body the adapter cannot read stored and marked failed with the reason.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.domain.money import format_money
from plugin.domain.recovery import (
    cart_view,
    first_image,
    first_item,
    render_cart_parameters,
)
from plugin.infra import db
from plugin.models import Checkout, EventState, InboundEvent, Store
from plugin.pipeline.checkouts import NO_COUNTRY, NO_PHONE
from plugin.platforms.stores import set_credentials
from tests.conftest import make_app
from webhooks.signatures import hmac_sha256_base64

CONNECTION = "wc-bad-input-connection-secret"
TOKEN = "5e884898da28047151d0e56f8dc62927"
HOSTILE = "Caf\u00e9 & <b>\"Tea\"</b> 'n' #1 100% \U0001F375\U0001F1F5\U0001F1F9"
RECOVERY_STEP_1 = ("first_name", "first_item", "item_count", "cart_total")


class Shop:
    """StoreChat with one WooCommerce store whose country is unknown (none set)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        with app.app_context(), db.transaction() as session:
            store = Store(platform="woocommerce", domain="https://woo.example.com")
            set_credentials(store, {"webhooks": {}, "connection_secret": CONNECTION})
            session.add(store)
            session.flush()
            self.key = store.key

    def send(self, payload: dict[str, Any] | bytes, *, topic: str = "cart.updated",
             key: str | None = None, secret: str = CONNECTION) -> int:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = self.client.post(f"/webhooks/woocommerce/{key or self.key}", data=body,
                                    headers={"X-StoreChat-Topic": topic,
                                             "Content-Type": "application/json",
                                             "X-StoreChat-Hmac-Sha256": hmac_sha256_base64(
                                                 secret.encode(), body)})
        return response.status_code

    def checkout(self) -> Checkout:
        with self.app.app_context():
            session = db.session()
            [row] = session.scalars(select(Checkout))
            session.expunge_all()
            return row

    def checkouts(self) -> list[Checkout]:
        with self.app.app_context():
            return list(db.session().scalars(select(Checkout)))

    def events(self) -> list[tuple[str, str | None]]:
        with self.app.app_context():
            return [(e.state, e.error) for e in
                    db.session().scalars(select(InboundEvent).order_by(InboundEvent.id))]


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    app = make_app(tmp_path / "instance")
    yield Shop(app)
    app.extensions["storechat.engine"].dispose()


def _cart(**changes: Any) -> dict[str, Any]:
    """A plugin 1.1 cart event (ids, variant title and image per line)."""
    cart: dict[str, Any] = {
        "cart_token": TOKEN, "customer_id": 0, "phone": "+351 912 345 678",
        "email": "rui@example.com", "first_name": "Rui", "country": "PT", "locale": "pt_PT",
        "currency": "EUR", "total": "59.90",
        "items": [{"name": "Caneca", "quantity": 2, "price": "29.95", "product_id": 40,
                   "variation_id": 41, "variant_title": "Azul",
                   "image_url": "https://woo.example.com/caneca-600x600.jpg"}],
        "restore_url": f"https://woo.example.com/?storechat_restore={TOKEN}",
        "completed": False, "updated_at": "2026-11-20T10:00:00Z"}
    cart.update(changes)
    return cart


def _processed(shop: Shop) -> None:
    assert shop.events() == [(EventState.PROCESSED.value, None)]


def test_a_cart_without_phone_is_kept_and_says_so(shop: Shop) -> None:
    assert shop.send(_cart(phone="")) == 200
    checkout = shop.checkout()
    assert (checkout.phone_e164, checkout.phone_raw, checkout.phone_problem) == (
        None, None, NO_PHONE)
    _processed(shop)


def test_a_national_number_with_no_country_anywhere_is_kept_as_typed(shop: Shop) -> None:
    # Neither the shopper's billing country nor the store's is known.
    assert shop.send(_cart(phone="912 345 678", country="")) == 200
    checkout = shop.checkout()
    assert (checkout.phone_e164, checkout.phone_raw, checkout.phone_problem) == (
        None, "912 345 678", NO_COUNTRY)
    _processed(shop)


def test_five_hundred_lines_are_kept_counted_and_the_first_one_named(shop: Shop) -> None:
    lines = [{"name": f"Caneca {n}", "quantity": 2, "price": "1.50", "product_id": 40,
              "variation_id": n, "variant_title": f"Cor {n}"} for n in range(1, 501)]
    assert shop.send(_cart(items=lines, total="1500.00")) == 200
    checkout = shop.checkout()
    assert (len(checkout.items), checkout.item_count) == (500, 1000)
    assert checkout.items[-1]["variant_id"] == "500"
    name, item, count, total = render_cart_parameters(cart_view(checkout), RECOVERY_STEP_1,
                                                      "pt_BR")
    assert (name, item, count) == ("Rui", "Caneca 1 (Cor 1)", "1000")
    assert "€" in total and "1.500,00" in total  # the whole cart, written for Brazil
    _processed(shop)


def test_a_hostile_name_variant_and_image_are_stored_exactly_and_read_safely(
        shop: Shop) -> None:
    line = {"name": HOSTILE, "quantity": 1, "price": "1", "product_id": 7,
            "variation_id": 8, "variant_title": HOSTILE + "\n\tsize M",
            "image_url": "javascript:alert('x')"}
    assert shop.send(_cart(items=[line], first_name=HOSTILE)) == 200
    checkout = shop.checkout()
    assert checkout.items[0]["title"] == checkout.first_name == HOSTILE
    assert checkout.items[0]["variant_title"] == HOSTILE + "\n\tsize M"
    assert checkout.items[0]["image_url"] == ""  # not a web address: no image, no error
    view = cart_view(checkout)
    assert first_item(view) == f"{HOSTILE} ({HOSTILE}\n\tsize M)"
    assert first_image(view) == ""
    # A WhatsApp parameter is one line: the tab and newline become single spaces.
    _, item, _, _ = render_cart_parameters(view, RECOVERY_STEP_1)
    assert item == f"{HOSTILE} ({HOSTILE} size M)"
    _processed(shop)


@pytest.mark.parametrize(("currency", "total", "price", "shown"), [
    ("JPY", "12000", "6000", "12,000"),  # no decimals, none invented
    ("KWD", "12.345", "4.115", "12.345"),  # three decimals, none dropped
])
def test_totals_keep_their_currency_decimals(shop: Shop, currency: str, total: str,
                                             price: str, shown: str) -> None:
    line = dict(_cart()["items"][0], price=price)
    assert shop.send(_cart(currency=currency, total=total, items=[line])) == 200
    checkout = shop.checkout()
    assert (checkout.currency, checkout.total, checkout.items[0]["price"]) == (
        currency, total, price)
    *_, formatted = render_cart_parameters(cart_view(checkout), RECOVERY_STEP_1)
    assert shown in formatted and not formatted.endswith((".00", ".0"))
    assert formatted.split() == format_money(Decimal(total), currency, "en").split()
    _processed(shop)


def test_an_old_plugins_cart_reads_without_variant_or_image(shop: Shop) -> None:
    assert shop.send(_cart(items=[{"name": "Caneca", "quantity": 2, "price": "29.95"}])) == 200
    checkout = shop.checkout()
    assert checkout.items == [{"variant_id": "", "product_id": "", "title": "Caneca",
                               "variant_title": "", "quantity": 2, "price": "29.95",
                               "image_url": ""}]
    assert first_item(cart_view(checkout)) == "Caneca"
    _processed(shop)


def test_an_event_for_an_unknown_store_is_404_and_stores_nothing(shop: Shop) -> None:
    assert shop.send(_cart(), key="no-such-store-key") == 404
    assert shop.events() == [] and shop.checkouts() == []


@pytest.mark.parametrize(("changes", "status"), [
    ({"secret": "not-the-connection-secret"}, 401),
    ({"topic": "cart.deleted"}, 400),
])
def test_a_forged_or_unknown_event_is_refused_before_it_is_stored(
        shop: Shop, changes: dict[str, str], status: int) -> None:
    assert shop.send(_cart(), **changes) == status
    assert shop.events() == [] and shop.checkouts() == []


def test_a_body_that_is_not_json_is_400(shop: Shop) -> None:
    assert shop.send(b"cart_token=" + TOKEN.encode()) == 400
    assert shop.events() == []


@pytest.mark.parametrize("changes", [
    {"cart_token": ""},
    {"items": "Caneca x2"},
    {"items": [{"name": "Caneca", "quantity": "two"}]},
    {"items": [{"name": "Caneca", "quantity": 1, "variation_id": True}]},
    {"total": "a lot"},
    {"restore_url": "javascript:alert(1)"},
], ids=["no-token", "items-text", "quantity-text", "variation-bool", "total-text",
        "restore-script"])
def test_an_unreadable_cart_is_kept_as_failed_with_why(shop: Shop,
                                                       changes: dict[str, Any]) -> None:
    assert shop.send(_cart(**changes)) == 200  # signed by the store: acknowledged, then read
    [(state, error)] = shop.events()
    assert state == EventState.FAILED.value and error
    assert shop.checkouts() == []
