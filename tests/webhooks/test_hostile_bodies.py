"""Bodies that are not what they seem: deep nesting and chunked floods, on every receiver.

A body of 100,000 `[` is unreadable JSON like any other: 400 when it is signed, 401 when it
is not, never a 500. A chunked body (no Content-Length) over the cap is 413, like one that
announces its size.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from plugin.infra import db
from plugin.models import InboundEvent, Store
from plugin.platforms.stores import set_credentials
from tests.conftest import DemoPlatform, make_app
from webhooks.signatures import hmac_sha256_base64

SHOPIFY_SECRET, WHATSAPP_SECRET = "shpss_hostile_bodies_secret_0001", "wa-app-secret"
WC_WEBHOOK_SECRET, WC_CONNECTION_SECRET = "wc-webhook-secret", "wc-connection-secret"
SHOP = "dev-shop.myshopify.com"
CAP = 150_000  # room for the nested bodies below, small enough to flood cheaply
NESTED = b"[" * 100_000
NESTED_OBJECT = b'{"a":' * 20_000


@dataclass(frozen=True)
class Receivers:
    app: Flask
    demo_key: str
    demo_secret: bytes
    woo_key: str


@pytest.fixture
def receivers(tmp_path: Path) -> Iterator[Receivers]:
    app = make_app(tmp_path / "instance", shopify_api_key="key",
                   shopify_api_secret=SHOPIFY_SECRET, whatsapp_app_secret=WHATSAPP_SECRET,
                   max_body_bytes=CAP)
    demo = DemoPlatform(app, app.test_client())
    with app.app_context(), db.transaction() as session:
        session.add(Store(platform="shopify", domain=SHOP, name="Dev shop"))
        woo = Store(platform="woocommerce", domain="https://shop.example.com")
        set_credentials(woo, {"webhooks": {"12": WC_WEBHOOK_SECRET},
                              "connection_secret": WC_CONNECTION_SECRET})
        session.add(woo)
        session.flush()
        woo_key = woo.key
    yield Receivers(app, demo.key, demo.secret, woo_key)
    app.extensions["storechat.engine"].dispose()


def _b64(secret: str | bytes, body: bytes) -> str:
    return hmac_sha256_base64(secret if isinstance(secret, bytes) else secret.encode(), body)


def _shopify(r: Receivers, body: bytes, signed: bool) -> tuple[str, dict[str, str]]:
    return "/webhooks/shopify", {
        "X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": "wh-1", "X-Shopify-Event-Id": "evt-1",
        "X-Shopify-Hmac-Sha256": _b64(SHOPIFY_SECRET if signed else "wrong", body)}


def _woocommerce(r: Receivers, body: bytes, signed: bool) -> tuple[str, dict[str, str]]:
    return f"/webhooks/woocommerce/{r.woo_key}", {
        "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Resource": "order",
        "X-WC-Webhook-ID": "12", "X-WC-Webhook-Delivery-ID": "1",
        "X-WC-Webhook-Signature": _b64(WC_WEBHOOK_SECRET if signed else "wrong", body)}


def _companion(r: Receivers, body: bytes, signed: bool) -> tuple[str, dict[str, str]]:
    return f"/webhooks/woocommerce/{r.woo_key}", {
        "X-StoreChat-Topic": "cart.updated",
        "X-StoreChat-Hmac-Sha256": _b64(WC_CONNECTION_SECRET if signed else "wrong", body)}


def _whatsapp(r: Receivers, body: bytes, signed: bool) -> tuple[str, dict[str, str]]:
    secret = WHATSAPP_SECRET if signed else "wrong"
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return "/webhooks/whatsapp", {"X-Hub-Signature-256": f"sha256={digest}"}


def _demo(r: Receivers, body: bytes, signed: bool) -> tuple[str, dict[str, str]]:
    return f"/webhooks/demo/{r.demo_key}", {
        "X-StoreChat-Topic": "orders/create", "X-StoreChat-Event-Id": "evt-1",
        "X-StoreChat-Hmac-Sha256": _b64(r.demo_secret if signed else b"wrong", body)}


Receiver = Callable[[Receivers, bytes, bool], tuple[str, dict[str, str]]]
RECEIVERS: dict[str, Receiver] = {"shopify": _shopify, "woocommerce": _woocommerce,
                                  "companion-plugin": _companion, "whatsapp": _whatsapp,
                                  "demo": _demo}


def _stored(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(InboundEvent)) or 0


@pytest.mark.parametrize("nested", [NESTED, NESTED_OBJECT], ids=["arrays", "objects"])
@pytest.mark.parametrize(("signed", "status"), [(True, 400), (False, 401)],
                         ids=["signed", "unsigned"])
@pytest.mark.parametrize("name", sorted(RECEIVERS))
def test_deeply_nested_json_is_refused_never_a_500(receivers: Receivers, name: str, signed: bool,
                                                   status: int, nested: bytes) -> None:
    path, headers = RECEIVERS[name](receivers, nested, signed)
    response = receivers.app.test_client().post(
        path, data=nested, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == status
    assert _stored(receivers.app) == 0


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("name", sorted(RECEIVERS))
def test_a_chunked_body_over_the_cap_is_413(receivers: Receivers, name: str,
                                            signed: bool) -> None:
    body = json.dumps({"id": 1, "padding": "x" * (CAP * 2)}).encode()
    path, headers = RECEIVERS[name](receivers, body, signed)
    response = receivers.app.test_client().post(
        path, input_stream=io.BytesIO(body),
        headers={**headers, "Content-Type": "application/json",
                 "Transfer-Encoding": "chunked"},
        environ_base={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert _stored(receivers.app) == 0


@pytest.mark.parametrize("name", sorted(RECEIVERS))
def test_a_chunked_body_under_the_cap_is_read_whole(receivers: Receivers, name: str) -> None:
    """The chunked path still accepts what fits: the cap is not a refusal of chunking."""
    body = json.dumps(_valid_body(name)).encode()
    path, headers = RECEIVERS[name](receivers, body, True)
    response = receivers.app.test_client().post(
        path, input_stream=io.BytesIO(body),
        headers={**headers, "Content-Type": "application/json",
                 "Transfer-Encoding": "chunked"},
        environ_base={"wsgi.input_terminated": True})
    assert response.status_code == 200
    assert _stored(receivers.app) == 1


def test_the_woocommerce_key_callback_refuses_nested_json(receivers: Receivers) -> None:
    response = receivers.app.test_client().post("/woocommerce/callback", data=NESTED,
                                                content_type="application/json")
    assert response.status_code == 400


def test_a_widget_beacon_refuses_nested_json(receivers: Receivers) -> None:
    with receivers.app.app_context():
        key = db.session().scalars(select(Store.key).where(Store.platform == "demo")).one()
    response = receivers.app.test_client().post(f"/widget/{key}/events", data=NESTED[:2048],
                                                content_type="application/json")
    assert response.status_code == 400


def _valid_body(name: str) -> dict[str, Any]:
    if name == "whatsapp":
        return {"object": "whatsapp_business_account", "entry": []}
    return {"id": 1}

