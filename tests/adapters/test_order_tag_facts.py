"""What customer tags read from an order, parsed from recorded Shopify and WooCommerce
payloads: when it was placed, whether a discount code was used, where it ships."""
from __future__ import annotations

import json
from typing import Any

from adapters.shopify.webhooks import parse_event as shopify_event
from adapters.woocommerce.webhooks import parse_event as woocommerce_event
from plugin.domain.events import OrderEvent
from tests.conftest import shared_fixture


def _load(*parts: str) -> Any:
    return json.loads(shared_fixture(*parts).read_bytes())


def test_a_shopify_order_with_a_discount_code() -> None:
    order = _load("shopify", "shopify-python-api", "order.json")["order"]
    event = shopify_event("orders/create", json.dumps(order).encode())
    assert isinstance(event, OrderEvent)
    assert order["discount_codes"] == [{"code": "TENOFF", "amount": "10.00"}]
    assert event.discounted is True
    assert event.placed_at == "2008-01-10T11:00:00-05:00"
    assert event.country == "US"
    # Survives the order's snapshot, so a later event without it keeps it.
    assert OrderEvent.from_snapshot(event.to_snapshot()).discounted is True


def test_a_shopify_order_without_one() -> None:
    order = _load("shopify", "trigger-dev", "Order.json")
    event = shopify_event("orders/create", json.dumps(order).encode())
    assert isinstance(event, OrderEvent)
    assert order["discount_codes"] == [] and event.discounted is False
    assert event.placed_at == order["created_at"]


def test_woocommerce_coupon_lines_and_the_gmt_time() -> None:
    order = _load("woocommerce", "airbyte", "orders.json")[0]
    event = woocommerce_event("order.created", json.dumps(order).encode())
    assert isinstance(event, OrderEvent)
    assert (event.discounted, event.placed_at, event.country) == \
        (False, "2024-03-15T10:30:00+00:00", "US")
    coupon = {**order, "coupon_lines": [{"id": 1, "code": "summer10", "discount": "5.00"}]}
    event = woocommerce_event("order.updated", json.dumps(coupon).encode())
    assert isinstance(event, OrderEvent) and event.discounted is True


def test_a_fulfillment_does_not_say() -> None:
    order = _load("shopify", "shopify-python-api", "order.json")["order"]
    fulfillment = {**order["fulfillments"][0], "status": "success"}
    event = shopify_event("fulfillments/create", json.dumps(fulfillment).encode())
    assert isinstance(event, OrderEvent) and event.discounted is None and event.placed_at == ""
