"""A WooCommerce cart's whole recovery, as a shopper and time would drive it: the site
connected through the fake's WC-Auth, the companion plugin's signed cart.updated in, each
step's exact Graph request out of the real send jobs (the starter templates cart_recovery_1..3
with the default sequence), the step 3 coupon made once through the fake site's REST API, the
click through /t/ to the restore link with the coupon, and the site's signed order webhook
naming the cart recovering it, with its revenue in the JSON API."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.woocommerce import FakeWooCommerce
from tests.pipeline.test_recovery_send import Clock
from tests.worlds.recovery_flow import (
    APP_SECRET,
    Flow,
    RecoveryScenarios,
    T,
    template_request,
)
from tests.worlds.recovery_flow import clock as clock  # noqa: F401 - the test clock fixture
from tests.worlds.recovery_flow import graph as graph  # noqa: F401 - the fake Graph fixture
from tests.worlds.woocommerce import PUBLIC_URL, connect, creds, woo_store
from webhooks.signatures import hmac_sha256_base64

PHONE = "+351912345678"
CART = "woo-cart-7f3a"


@pytest.fixture
def woo_app(tmp_path: Path, graph: tuple[FakeGraph, str]) -> Iterator[Flask]:
    """StoreChat of tests/worlds/woocommerce.py, also talking to the fake Graph."""
    app = make_app(tmp_path / "instance", allow_http_stores=True, public_url=PUBLIC_URL,
                   whatsapp_graph_url=graph[1], whatsapp_app_secret=APP_SECRET)
    yield app
    app.extensions["storechat.engine"].dispose()


@pytest.fixture
def flow(woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce,
         graph: tuple[FakeGraph, str], clock: Clock) -> Flow:
    """The fake site connected by its owner through WC-Auth, then set up."""
    connect(owner_client, site)
    return Flow(woo_app, graph[0], clock, PUBLIC_URL)


def restore_url(site: FakeWooCommerce) -> str:
    """The companion plugin's signed link that restores the cart."""
    return f"{site.url}/?storechat_restore={CART}&sig=9f2c"


def cart(site: FakeWooCommerce, **changes: Any) -> dict[str, Any]:
    """Rui's cart as the companion plugin sends it: two mugs and a tray, €53.90, at T."""
    body = {"cart_token": CART, "customer_id": 0, "phone": "+351 912 345 678",
            "first_name": "Rui", "country": "PT", "currency": "EUR", "total": "53.90",
            "items": [{"name": "Caneca", "quantity": 2, "price": "17.95", "product_id": 31,
                       "variation_id": 32, "variant_title": "Azul"},
                      {"name": "Tabuleiro", "quantity": 1, "price": "18.00"}],
            "restore_url": restore_url(site), "updated_at": T.isoformat() + "Z"}
    body.update(changes)
    return body


def post_cart(flow: Flow, payload: dict[str, Any]) -> None:
    """The companion plugin sends a cart event, signed with the connection secret."""
    body = json.dumps(payload).encode()
    store = woo_store(flow.app)
    response = flow.client.post(f"/webhooks/woocommerce/{store.key}", data=body, headers={
        "X-StoreChat-Topic": "cart.updated", "Content-Type": "application/json",
        "X-StoreChat-Hmac-Sha256": hmac_sha256_base64(
            creds(flow.app)["connection_secret"].encode(), body)})
    assert response.status_code == 200


def place_order(site: FakeWooCommerce, **changes: Any) -> dict[str, Any]:
    """Rui checks out that cart: the site makes the order (with the companion plugin's cart
    meta) and delivers its signed order.created webhook."""
    fields: dict[str, Any] = {
        "status": "processing", "currency": "EUR", "total": "48.51",
        "billing": {"first_name": "Rui", "last_name": "Sousa", "phone": "+351 912 345 678",
                    "country": "PT"},
        "line_items": [{"id": 1, "name": "Caneca", "quantity": 2, "total": "32.31"},
                       {"id": 2, "name": "Tabuleiro", "quantity": 1, "total": "16.20"}],
        "meta_data": [{"id": 901, "key": "_storechat_cart_token", "value": CART}]}
    fields.update(changes)
    return site.add_order(**fields)


def test_a_woocommerce_cart_from_cart_event_to_recovered_revenue(
        flow: Flow, site: FakeWooCommerce) -> None:
    flow.opt_in(PHONE)
    # 1. The cart event, then the very same signed body again (the plugin retries).
    post_cart(flow, cart(site))
    first_rows = [(r.id, r.step, r.state, r.due_at) for r in flow.rows()]
    assert [(s, state, due) for _, s, state, due in first_rows] == [
        (1, "scheduled", T + timedelta(minutes=60)), (2, "scheduled", T + timedelta(days=1)),
        (3, "scheduled", T + timedelta(days=3))]
    post_cart(flow, cart(site))
    post_cart(flow, cart(site))
    assert [(r.id, r.step, r.state, r.due_at) for r in flow.rows()] == first_rows

    # 2. An hour later: step 1, the exact request, really posted to the fake Graph.
    assert flow.at(T + timedelta(minutes=59)) == 0
    assert flow.at(T + timedelta(minutes=61)) == 1
    [message_1] = flow.messages()
    row_1 = flow.rows()[0]
    assert flow.recovery_sent() == [template_request(
        "cart_recovery_1", PHONE, message_1.id, ["Rui", "Caneca (Azul)", "3", "€53.90"],
        row_1.link_token)]

    # 3. A day later step 2; three days later step 3 with its coupon, made once at the site.
    assert flow.at(T + timedelta(days=1, minutes=1)) == 1
    assert flow.at(T + timedelta(days=3, minutes=1)) == 1
    _m1, message_2, message_3 = flow.messages()
    _r1, row_2, row_3 = flow.rows()
    assert site.coupon_creates == 1
    [coupon] = site.coupons.values()
    code = row_3.discount_code
    assert code and coupon["code"] == code.lower()
    assert flow.recovery_sent()[1:] == [
        template_request("cart_recovery_2", PHONE, message_2.id,
                         ["Rui", "Caneca (Azul)", "€53.90"], row_2.link_token),
        template_request("cart_recovery_3", PHONE, message_3.id,
                         ["Rui", "Caneca (Azul)", "10%", code], row_3.link_token)]
    assert (coupon["discount_type"], coupon["amount"], coupon["usage_limit"]) == (
        "percent", "10.00", 1)
    expires = datetime.fromisoformat(str(coupon["date_expires_gmt"]).removesuffix("Z"))
    assert expires.replace(tzinfo=None) == T + timedelta(days=3, minutes=1, hours=48)
    assert [r.state for r in flow.rows()] == ["sent", "sent", "sent"]

    # 4. The shopper taps step 3's button: the restore link with the coupon added.
    tapped = flow.client.get(f"/t/{row_3.link_token}")
    assert tapped.status_code == 302
    assert tapped.headers["Location"] == f"{restore_url(site)}&coupon={code}"
    clicked_at = flow.rows()[2].clicked_at
    assert clicked_at == T + timedelta(days=3, minutes=1)
    flow.clock.now = T + timedelta(days=3, minutes=5)
    assert flow.client.get(f"/t/{row_3.link_token}").status_code == 302
    assert flow.rows()[2].clicked_at == clicked_at

    # 5. The site's order names the cart: recovered by step 3, its revenue in the API.
    flow.clock.now = T + timedelta(days=3, minutes=20)
    place_order(site)
    assert site.deliveries[-1]["status"] == 200
    recovered = flow.checkout()
    assert (recovered.recovered_total, recovered.recovered_currency, recovered.recovered_step,
            recovered.recovered_clicked) == ("48.51", "EUR", 3, True)
    assert flow.at(T + timedelta(days=30)) == 0
    assert len(flow.rows()) == 3 and len(flow.recovery_sent()) == 3
    figures = flow.api("/api/v1/recovery")["figures"]
    assert {s["step"]: (s["sent"], s["clicked"], s["recovered"]) for s in figures["steps"]} == {
        1: (1, 0, 0), 2: (1, 0, 0), 3: (1, 1, 1)}
    [step_3] = [s for s in figures["steps"] if s["step"] == 3]
    assert step_3["revenue"] == [{"currency": "EUR", "amount": "48.51"}]
    assert figures["total"]["revenue"] == [{"currency": "EUR", "amount": "48.51"}]
    [listed] = flow.api("/api/v1/checkouts")["data"]
    assert listed["recovered"] == {"currency": "EUR", "amount": "48.51"}
    assert (listed["recovered_step"], listed["recovered_clicked"]) == (3, True)


def test_a_national_number_with_the_cart_country_reaches_the_shopper(
        flow: Flow, site: FakeWooCommerce) -> None:
    """The plugin sends the number as typed; the billing country makes it international."""
    flow.opt_in(PHONE)
    post_cart(flow, cart(site, phone="912 345 678", country="PT"))
    flow.at(T + timedelta(minutes=61))
    [payload] = flow.recovery_sent()
    assert payload["to"] == PHONE.lstrip("+")
    assert flow.checkout().phone_e164 == PHONE


class WooShop:
    """Rui's cart and order, as the companion plugin and the site deliver them."""

    phone = PHONE

    def __init__(self, flow: Flow, site: FakeWooCommerce) -> None:
        self.flow, self.site = flow, site

    def open_cart(self, at: datetime) -> None:
        post_cart(self.flow, cart(self.site, updated_at=at.isoformat() + "Z"))

    def order(self) -> None:
        place_order(self.site)
        assert self.site.deliveries[-1]["status"] == 200

    def codes_made(self) -> int:
        return self.site.coupon_creates


@pytest.fixture
def shop(flow: Flow, site: FakeWooCommerce) -> WooShop:
    return WooShop(flow, site)


class TestScenarios(RecoveryScenarios):
    """The issue's scenarios on WooCommerce."""
