"""POST /webhooks/shopify: HMAC with the current or old secret, dedupe, store, answer."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from plugin.infra import db
from plugin.models import InboundEvent, Store
from tests.conftest import make_app
from webhooks.signatures import hmac_sha256_base64

SECRET, OLD_SECRET = "shpss_current_secret_for_tests_0001", "shpss_previous_secret_for_tests_01"
SHOP = "dev-shop.myshopify.com"


@pytest.fixture
def shop_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path / "instance", shopify_api_key="key",
                   shopify_api_secret=SECRET, shopify_old_api_secret=OLD_SECRET)
    with app.app_context(), db.transaction() as session:
        session.add(Store(platform="shopify", domain=SHOP, name="Dev shop"))
    yield app
    app.extensions["storechat.engine"].dispose()


def _post(app: Flask, body: bytes, *, secret: str = SECRET, topic: str = "orders/create",
          event_id: str | None = "evt-1", shop: str = SHOP, signature: str | None = None) -> Any:
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop,
               "X-Shopify-Webhook-Id": "wh-1", "X-Shopify-API-Version": "2025-10",
               "X-Shopify-Hmac-Sha256": signature or hmac_sha256_base64(secret.encode(), body),
               "Content-Type": "application/json"}
    if event_id:
        headers["X-Shopify-Event-Id"] = event_id
    return app.test_client().post("/webhooks/shopify", data=body, headers=headers)


def _events(app: Flask) -> list[InboundEvent]:
    with app.app_context():
        return list(db.session().scalars(select(InboundEvent)))


def test_a_signed_delivery_is_stored_for_its_store(shop_app: Flask) -> None:
    response = _post(shop_app, json.dumps({"id": 1, "note": "é"}).encode())
    assert response.status_code == 200
    [event] = _events(shop_app)
    assert (event.source, event.topic, event.headers["shop"]) == ("shopify", "orders/create", SHOP)
    assert event.store_id is not None


def test_the_published_signature_vector_verifies(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", shopify_api_key="key",
                   shopify_api_secret="test_secret_key")
    body = b'{"foo": "bar"}'
    assert _post(app, body,
                 signature="B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=").status_code == 200
    assert _post(app, body, event_id="evt-2",
                 signature="b/rWdZdcB2yqHc0eitdWqmRDdepHw4phdZNa68NHBSY=").status_code == 401


def test_the_old_secret_still_verifies_during_rotation(shop_app: Flask) -> None:
    assert _post(shop_app, b'{"id": 2}', secret=OLD_SECRET).status_code == 200


def test_a_redelivery_stores_nothing_new(shop_app: Flask) -> None:
    body = b'{"id": 3}'
    assert _post(shop_app, body).status_code == 200
    assert _post(shop_app, body).status_code == 200
    assert len(_events(shop_app)) == 1


@pytest.mark.parametrize("topic", ["orders/create", "customers/redact", "shop/redact",
                                   "customers/data_request"])
def test_a_bad_signature_is_401_and_not_stored(shop_app: Flask, topic: str) -> None:
    response = _post(shop_app, b'{"id": 4}', topic=topic, signature="bm90IGl0")
    assert response.status_code == 401
    assert _events(shop_app) == []


def test_without_the_app_secret_everything_is_refused(app: Flask) -> None:
    body = b'{"id": 5}'
    response = _post(app, body)
    assert response.status_code == 401
    assert _events(app) == []


@pytest.mark.parametrize(("body", "shop", "status"), [
    (b"{not json", SHOP, 400),
    (b"[1, 2]", SHOP, 400),
    (b'{"id": 6}', "evil.example.com", 400),
    (b"\xff\xfe", SHOP, 400),
])
def test_bad_input_is_refused_and_not_stored(shop_app: Flask, body: bytes, shop: str,
                                             status: int) -> None:
    assert _post(shop_app, body, shop=shop).status_code == status
    assert _events(shop_app) == []


def test_a_delivery_for_an_unknown_shop_is_kept_without_a_store(shop_app: Flask) -> None:
    # shop/redact may arrive 48 hours after uninstall, for a shop we no longer hold.
    assert _post(shop_app, b'{"shop_id": 1}', topic="shop/redact",
                 shop="gone.myshopify.com").status_code == 200
    [event] = _events(shop_app)
    assert event.store_id is None
    with shop_app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Store)) == 1


ORDER = {
    "id": 5551234567890, "order_number": 1042, "name": "#1042", "currency": "EUR",
    "total_price": "64.90", "financial_status": "pending", "fulfillment_status": None,
    "payment_gateway_names": ["Cash on Delivery (COD)"],
    "order_status_url": "https://dev-shop.myshopify.com/orders/abc/authenticate",
    "customer": {"id": 7770001112223, "first_name": "Inês", "last_name": "Costa",
                 "phone": None, "email": "ines@example.com"},
    "billing_address": {"phone": "912 345 678", "country_code": "PT"},
    "line_items": [{"title": "Linen shirt", "quantity": 1, "price": "59.90"}],
}


def _processed(app: Flask) -> list[str]:
    return [e.state for e in _events(app)]


def test_an_order_and_its_delivery_become_domain_events(shop_app: Flask) -> None:
    from plugin.models import Customer, Order

    assert _post(shop_app, json.dumps(ORDER).encode(), event_id="e-order").status_code == 200
    delivered = {"id": 99, "order_id": ORDER["id"], "status": "success", "name": "#1042.1",
                 "shipment_status": "delivered", "tracking_company": "CTT",
                 "tracking_number": "RR123456785PT", "tracking_url": "https://ctt.example/RR"}
    assert _post(shop_app, json.dumps(delivered).encode(), topic="fulfillments/update",
                 event_id="e-fulfil").status_code == 200
    assert _processed(shop_app) == ["processed", "processed"]
    with shop_app.app_context():
        order = db.session().scalars(select(Order)).one()
        customer = db.session().scalars(select(Customer)).one()
    assert (order.number, order.currency, order.total) == ("1042", "EUR", "64.90")
    assert "Cash on Delivery" in order.payment_gateway
    assert order.tracking["number"] == "RR123456785PT"
    assert (customer.first_name, customer.phone_e164) == ("Inês", "+351912345678")


def test_customers_redact_through_the_webhook(shop_app: Flask) -> None:
    _post(shop_app, json.dumps(ORDER).encode(), event_id="e-order")
    redact = {"shop_id": 1, "shop_domain": SHOP,
              "customer": {"id": ORDER["customer"]["id"], "email": "ines@example.com",
                           "phone": "+351912345678"},
              "orders_to_redact": [ORDER["id"]]}
    assert _post(shop_app, json.dumps(redact).encode(), topic="customers/redact",
                 event_id="e-redact").status_code == 200
    with shop_app.app_context(), db.engine().connect() as connection:
        from sqlalchemy import text

        dump = str(connection.execute(text("SELECT * FROM inbound_events")).fetchall())
        dump += str(connection.execute(text("SELECT * FROM customers")).fetchall())
        dump += str(connection.execute(text("SELECT * FROM orders")).fetchall())
    for trace in ("912345678", "ines@example.com", "Inês", "Costa"):
        assert trace not in dump


def test_app_uninstalled_stops_the_store(shop_app: Flask) -> None:
    body = json.dumps({"id": 1, "name": "Dev shop", "domain": SHOP}).encode()
    response = _post(shop_app, body, topic="app/uninstalled", event_id="e-uninstall")
    assert response.status_code == 200
    with shop_app.app_context():
        assert db.session().scalars(select(Store)).one().status == "uninstalled"


def test_a_delivery_from_shopify_reaches_the_inbound_store(shop_app: Flask) -> None:
    from tests.fakes.server import LoopbackServer
    from tests.fakes.shopify_webhooks import WebhookSender

    with LoopbackServer(shop_app) as server:
        sender = WebhookSender(url=f"{server.url}/webhooks/shopify", secret=SECRET, shop=SHOP)
        assert sender.send("orders/create", ORDER, event_id="evt-42") == 200
        # Shopify retries when it thinks a delivery failed: same event id, new webhook id.
        assert sender.send("orders/create", ORDER, event_id="evt-42") == 200
        forged = WebhookSender(url=sender.url, secret="not-the-app-secret", shop=SHOP, retries=2)
        assert forged.send("orders/create", ORDER) == 401
        assert forged.statuses == [401, 401, 401]
    [event] = _events(shop_app)
    assert (event.topic, event.state) == ("orders/create", "processed")
