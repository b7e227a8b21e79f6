"""A Shopify cart's whole recovery, as a shopper and time would drive it: the app installed
through the fake Shopify, signed checkouts/create in, each step's exact Graph request out of
the real send jobs (the starter templates cart_recovery_1..3 with the default sequence), the
step 3 code made once through the fake's Admin GraphQL, the click through /t/, and the order
naming the checkout recovering it, with its revenue in the JSON API."""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask

from tests.conftest import make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.shopify import FakeShopify
from tests.pipeline.test_recovery_send import Clock
from tests.worlds.recovery_flow import (
    APP_SECRET,
    Flow,
    RecoveryScenarios,
    T,
    body_texts,
    template_request,
)
from tests.worlds.recovery_flow import clock as clock  # noqa: F401 - the test clock fixture
from tests.worlds.recovery_flow import graph as graph  # noqa: F401 - the fake Graph fixture
from tests.worlds.shopify import API_KEY, API_SECRET, OLD_SECRET, SHOP, id_token
from webhooks.signatures import hmac_sha256_base64

PUBLIC_URL = "http://127.0.0.1:8000"
PHONE = "+34612345678"
CHECKOUT_ID, CHECKOUT_TOKEN = 4401, "c0ffee0ddba11"
RECOVER = f"https://{SHOP}/1/checkouts/{CHECKOUT_TOKEN}/recover?key=k"


@pytest.fixture
def shop_app(tmp_path: Path, fake: tuple[FakeShopify, str],
             graph: tuple[FakeGraph, str]) -> Iterator[Flask]:
    """The Shopify app of tests/worlds/shopify.py, also talking to the fake Graph."""
    app = make_app(tmp_path / "instance", shopify_api_key=API_KEY,
                   shopify_api_secret=API_SECRET, shopify_old_api_secret=OLD_SECRET,
                   shopify_admin_url=f"{fake[1]}/{{shop}}", public_url=PUBLIC_URL,
                   whatsapp_graph_url=graph[1], whatsapp_app_secret=APP_SECRET)
    yield app
    app.extensions["storechat.engine"].dispose()
    http = app.extensions.get("storechat.shopify_http")
    if http is not None:
        http.close()


@pytest.fixture
def flow(shop_app: Flask, graph: tuple[FakeGraph, str], clock: Clock) -> Flow:
    """The app installed on SHOP from App Home (token exchange with the fake), then set up."""
    response = shop_app.test_client().get(f"/shopify/app?shop={SHOP}&id_token={id_token()}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return Flow(shop_app, graph[0], clock, PUBLIC_URL)


def _iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def checkout(**changes: Any) -> dict[str, Any]:
    """Lucía's checkout: two shirts and a belt, €99.50, last touched at T."""
    body = {"id": CHECKOUT_ID, "token": CHECKOUT_TOKEN, "currency": "EUR",
            "total_price": "99.50", "phone": "+34 612 345 678", "updated_at": _iso(T),
            "customer": {"id": 77, "first_name": "Lucía"}, "abandoned_checkout_url": RECOVER,
            "line_items": [
                {"title": "Linen shirt", "variant_title": "White / M", "quantity": 2,
                 "price": "40.00", "variant_id": 9, "product_id": 8},
                {"title": "Belt", "variant_title": None, "quantity": 1, "price": "19.50",
                 "variant_id": 11, "product_id": 10}]}
    body.update(changes)
    return body


def post(flow: Flow, topic: str, payload: dict[str, Any], event_id: str | None = None) -> None:
    """Shopify delivers a webhook, signed with the app's secret."""
    body = json.dumps(payload).encode()
    response = flow.client.post("/webhooks/shopify", data=body, headers={
        "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": uuid.uuid4().hex, "X-Shopify-API-Version": "2025-10",
        "X-Shopify-Event-Id": event_id or uuid.uuid4().hex, "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": hmac_sha256_base64(API_SECRET.encode(), body)})
    assert response.status_code == 200


def order(**changes: Any) -> dict[str, Any]:
    """The order Shopify makes when Lucía completes that checkout (with 10% off)."""
    body = {"id": 820982911946154508, "order_number": 1001, "name": "#1001",
            "currency": "EUR", "total_price": "89.55", "financial_status": "paid",
            "checkout_id": CHECKOUT_ID, "checkout_token": CHECKOUT_TOKEN,
            "customer": {"id": 77, "first_name": "Lucía", "phone": "+34 612 345 678"},
            "line_items": [{"title": "Linen shirt", "quantity": 2, "price": "40.00"},
                           {"title": "Belt", "quantity": 1, "price": "19.50"}]}
    body.update(changes)
    return body


def _token(payload: dict[str, Any]) -> str:
    [button] = [c for c in payload["template"]["components"] if c["type"] == "button"]
    return str(button["parameters"][0]["text"])


def test_a_shopify_cart_from_checkout_to_recovered_revenue(
        flow: Flow, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    flow.opt_in(PHONE)
    # 1. The checkout, then the same delivery again, then the same body under a new id.
    event_id = uuid.uuid4().hex
    post(flow, "checkouts/create", checkout(), event_id)
    first_rows = [(r.id, r.step, r.state, r.due_at) for r in flow.rows()]
    assert [(s, state, due) for _, s, state, due in first_rows] == [
        (1, "scheduled", T + timedelta(minutes=60)), (2, "scheduled", T + timedelta(days=1)),
        (3, "scheduled", T + timedelta(days=3))]
    post(flow, "checkouts/create", checkout(), event_id)
    post(flow, "checkouts/create", checkout())
    assert [(r.id, r.step, r.state, r.due_at) for r in flow.rows()] == first_rows

    # 2. An hour later: step 1, the exact request, really posted to the fake Graph.
    assert flow.at(T + timedelta(minutes=59)) == 0
    assert flow.at(T + timedelta(minutes=61)) == 1
    [message_1] = flow.messages()
    row_1 = flow.rows()[0]
    assert flow.sent() == [template_request(
        "cart_recovery_1", PHONE, message_1.id,
        ["Lucía", "Linen shirt (White / M)", "3", "€99.50"], row_1.link_token)]
    assert (row_1.state, row_1.sent_at, message_1.state) == (
        "sent", T + timedelta(minutes=61), "sent")

    # 3. A day later step 2; three days later step 3 with its code, made once at Shopify.
    assert flow.at(T + timedelta(days=1, minutes=1)) == 1
    assert flow.at(T + timedelta(days=3, minutes=1)) == 1
    _m1, message_2, message_3 = flow.messages()
    _r1, row_2, row_3 = flow.rows()
    [code] = shopify.discounts.codes[SHOP]
    assert shopify.discounts.creates == 1
    assert row_3.discount_code == code
    assert flow.sent()[1:] == [
        template_request("cart_recovery_2", PHONE, message_2.id,
                         ["Lucía", "Linen shirt (White / M)", "€99.50"],
                         row_2.link_token),
        template_request("cart_recovery_3", PHONE, message_3.id,
                         ["Lucía", "Linen shirt (White / M)", "10%", code],
                         row_3.link_token)]
    created = shopify.discounts.codes[SHOP][code]
    assert created["customerGets"] == {"value": {"percentage": 0.1}, "items": {"all": True}}
    assert created["usageLimit"] == 1
    sent_3 = (T + timedelta(days=3, minutes=1)).replace(tzinfo=UTC)
    assert datetime.fromisoformat(created["endsAt"]) == sent_3 + timedelta(hours=48)
    # Two marketing messages this week did not cap the third: one cart is one touch.
    assert [r.state for r in flow.rows()] == ["sent", "sent", "sent"]
    assert len({r.link_token for r in flow.rows()}) == 3

    # 4. The shopper taps step 3's button: Shopify's discount link to the recovery URL.
    tapped = flow.client.get(f"/t/{row_3.link_token}")
    assert tapped.status_code == 302
    redirect = quote(f"/1/checkouts/{CHECKOUT_TOKEN}/recover?key=k", safe="")
    assert tapped.headers["Location"] == f"https://{SHOP}/discount/{code}?redirect={redirect}"
    clicked_at = flow.rows()[2].clicked_at
    assert clicked_at == T + timedelta(days=3, minutes=1)
    flow.clock.now = T + timedelta(days=3, minutes=5)
    assert flow.client.get(f"/t/{row_3.link_token}").status_code == 302
    assert flow.rows()[2].clicked_at == clicked_at

    # 5. The order names the checkout: recovered by step 3, its revenue in the API.
    flow.clock.now = T + timedelta(days=3, minutes=20)
    post(flow, "orders/create", order())
    recovered = flow.checkout()
    assert (recovered.recovered_total, recovered.recovered_currency, recovered.recovered_step,
            recovered.recovered_clicked) == ("89.55", "EUR", 3, True)
    assert flow.at(T + timedelta(days=30)) == 0
    assert len(flow.rows()) == 3 and len(flow.recovery_sent()) == 3
    figures = flow.api("/api/v1/recovery")["figures"]
    assert {s["step"]: (s["sent"], s["clicked"], s["recovered"]) for s in figures["steps"]} == {
        1: (1, 0, 0), 2: (1, 0, 0), 3: (1, 1, 1)}
    [step_3] = [s for s in figures["steps"] if s["step"] == 3]
    assert step_3["revenue"] == [{"currency": "EUR", "amount": "89.55"}]
    assert figures["total"]["revenue"] == [{"currency": "EUR", "amount": "89.55"}]
    [cart] = flow.api("/api/v1/checkouts")["data"]
    assert cart["recovered"] == {"currency": "EUR", "amount": "89.55"}
    assert (cart["recovered_step"], cart["recovered_clicked"]) == (3, True)


@pytest.mark.parametrize(("currency", "total", "shown"), [
    ("JPY", "12800", "¥12,800"), ("KWD", "12.345", "KWD\u00a012.345"), ("EUR", "0.50", "€0.50")])
def test_a_shopify_step_shows_the_total_in_the_carts_currency(
        flow: Flow, currency: str, total: str, shown: str) -> None:
    flow.opt_in(PHONE)
    post(flow, "checkouts/create", checkout(currency=currency, total_price=total))
    flow.at(T + timedelta(minutes=61))
    [payload] = flow.sent()
    assert body_texts(payload)[3] == shown


def test_a_shopify_product_name_full_of_markup_and_emoji_reaches_graph_as_text(
        flow: Flow) -> None:
    flow.opt_in(PHONE)
    hostile = "Caf\u00e9 & <b>\"Tea\"</b> 'n' #1 100% \U0001F375"
    items = [{"title": hostile, "variant_title": None, "quantity": 1, "price": "9.00",
              "variant_id": 5, "product_id": 4}]
    post(flow, "checkouts/create", checkout(line_items=items, total_price="9.00"))
    flow.at(T + timedelta(minutes=61))
    [payload] = flow.sent()
    assert body_texts(payload)[1] == hostile

class ShopifyShop:
    """Lucía's checkout and order, as Shopify delivers them."""

    phone = PHONE

    def __init__(self, flow: Flow, shopify: FakeShopify) -> None:
        self.flow, self.shopify = flow, shopify

    def open_cart(self, at: datetime) -> None:
        post(self.flow, "checkouts/create", checkout(updated_at=_iso(at)))

    def order(self) -> None:
        post(self.flow, "orders/create", order())

    def codes_made(self) -> int:
        return self.shopify.discounts.creates


@pytest.fixture
def shop(flow: Flow, fake: tuple[FakeShopify, str]) -> ShopifyShop:
    return ShopifyShop(flow, fake[0])


class TestScenarios(RecoveryScenarios):
    """The issue's scenarios on Shopify."""
