"""The demo store's platform: payloads shaped like a small e-commerce platform's webhooks.

The demo store lets a newcomer watch StoreChat work before connecting a real store; its
events take the same path as Shopify's and WooCommerce's, so this adapter is a real one.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.json_body import load_object
from plugin.domain.errors import PayloadError
from plugin.domain.events import CustomerRef, EventKind, LineItem, OrderEvent, Tracking

TOPICS: dict[str, EventKind] = {
    "orders/create": EventKind.ORDER_PLACED,
    "orders/paid": EventKind.ORDER_PAID,
    "orders/fulfilled": EventKind.ORDER_FULFILLED,
    "orders/out_for_delivery": EventKind.ORDER_OUT_FOR_DELIVERY,
    "orders/delivered": EventKind.ORDER_DELIVERED,
    "orders/delivery_failed": EventKind.ORDER_DELIVERY_FAILED,
    "orders/cancelled": EventKind.ORDER_CANCELLED,
    "orders/refunded": EventKind.ORDER_REFUNDED,
}


def parse_event(topic: str, body: bytes) -> OrderEvent | None:
    """The domain event for a demo delivery; None for a topic StoreChat does not act on."""
    kind = TOPICS.get(topic)
    if kind is None:
        return None
    data = load_object(body)
    try:
        return _order_event(kind, data)
    except (KeyError, TypeError, InvalidOperation, ValueError) as exc:
        raise PayloadError(f"malformed order: {exc!r}") from None


def _order_event(kind: EventKind, data: dict[str, Any]) -> OrderEvent:
    customer = data.get("customer") or None
    tracking = data.get("tracking") or None
    awaiting = data.get("awaiting_payment")
    return OrderEvent(
        kind=kind,
        order_id=str(data["id"]),
        number=str(data["number"]),
        status=str(data.get("status", "")),
        currency=str(data["currency"]),
        total=Decimal(str(data["total"])),
        payment_gateway=str(data.get("payment_gateway", "")),
        status_url=str(data.get("status_url", "")),
        payment_url=str(data.get("payment_url", "")),
        # Said only when the platform knows: unsaid, the order's earlier events decide.
        awaiting_payment=awaiting if isinstance(awaiting, bool) else None,
        customer=CustomerRef(
            platform_id=str(customer["id"]),
            first_name=str(customer.get("first_name", "")),
            last_name=str(customer.get("last_name", "")),
            phone=customer.get("phone"),
            email=customer.get("email"),
            locale=customer.get("locale"),
        ) if customer else None,
        line_items=tuple(
            LineItem(title=str(item["title"]), quantity=int(item["quantity"]),
                     price=Decimal(str(item["price"])))
            for item in data.get("line_items", [])
        ),
        tracking=Tracking(
            number=str(tracking.get("number", "")),
            url=str(tracking.get("url", "")),
            company=str(tracking.get("company", "")),
        ) if tracking else None,
    )
