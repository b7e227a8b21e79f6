"""The demo store's platform: payloads shaped like a small e-commerce platform's webhooks.

The demo store lets a newcomer watch StoreChat work before connecting a real store; its
events take the same path as Shopify's and WooCommerce's, so this adapter is a real one.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.json_body import load_object
from plugin.domain.errors import PayloadError
from plugin.domain.events import (
    CheckoutEvent,
    CustomerRef,
    EventKind,
    LineItem,
    OrderEvent,
    Tracking,
)
from plugin.domain.phones import to_e164

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
# The demo shopper's cart, sent on every change as one whole state (items, total, contact).
CHECKOUT_TOPIC = "checkouts/update"


def parse_event(topic: str, body: bytes) -> OrderEvent | CheckoutEvent | None:
    """The domain event for a demo delivery; None for a topic StoreChat does not act on."""
    if topic == CHECKOUT_TOPIC:
        try:
            return _checkout_event(load_object(body))
        except (KeyError, TypeError, InvalidOperation, ValueError) as exc:
            raise PayloadError(f"malformed checkout: {exc!r}") from None
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
        customer=_customer(customer) if customer else None,
        line_items=tuple(_line(item) for item in data.get("line_items", [])),
        checkout_id=str(data.get("checkout_id") or ""),
        tracking=Tracking(
            number=str(tracking.get("number", "")),
            url=str(tracking.get("url", "")),
            company=str(tracking.get("company", "")),
        ) if tracking else None,
    )


def _checkout_event(data: dict[str, Any]) -> CheckoutEvent:
    customer = data.get("customer") or None
    if customer:
        # The cart carries its phone as E.164, as a checkout of a real store reads it.
        customer = dict(customer, phone=to_e164(str(customer.get("phone") or ""), None))
    return CheckoutEvent(
        kind=EventKind.CHECKOUT_UPDATED,
        checkout_id=str(data["id"]),
        currency=str(data["currency"]),
        total=Decimal(str(data["total"])),
        customer=_customer(customer) if customer else None,
        recovery_url=str(data.get("recovery_url", "")),
        completed=bool(data.get("completed", False)),
        line_items=tuple(_line(item) for item in data.get("line_items", [])),
        updated_at=str(data.get("updated_at", "")),
    )


def _customer(customer: dict[str, Any]) -> CustomerRef:
    return CustomerRef(
        platform_id=str(customer["id"]),
        first_name=str(customer.get("first_name", "")),
        last_name=str(customer.get("last_name", "")),
        phone=customer.get("phone"),
        email=customer.get("email"),
        locale=customer.get("locale"),
    )


def _line(item: dict[str, Any]) -> LineItem:
    return LineItem(title=str(item["title"]), quantity=int(item["quantity"]),
                    price=Decimal(str(item["price"])),
                    variant_id=str(item.get("variant_id", "")),
                    product_id=str(item.get("product_id", "")),
                    variant_title=str(item.get("variant_title", "")),
                    image_url=str(item.get("image_url", "")))
