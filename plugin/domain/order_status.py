"""Which real change an "order updated" delivery is, and whether a change comes too late.

WooCommerce (and Shopify's orders/updated) send the order's *current state*, often several
changes merged into one delivery, and again when nothing that matters changed. Only a
status (or a carrier shipment status) that differs from the stored one is a change worth a
message. Shipping moves one way: shipped → out for delivery (or a failed attempt) →
delivered; a step that arrives after a later one was reached says nothing new.
"""
from __future__ import annotations

from plugin.domain.events import EventKind

# Status strings of both platforms (they do not collide) → the change they mean.
STATUS_KINDS: dict[str, EventKind] = {
    # WooCommerce core statuses
    "processing": EventKind.ORDER_PAID,
    "completed": EventKind.ORDER_FULFILLED,
    "cancelled": EventKind.ORDER_CANCELLED,
    "refunded": EventKind.ORDER_REFUNDED,
    # Shipment-tracking plugins' custom WooCommerce statuses (Advanced Shipment Tracking)
    "shipped": EventKind.ORDER_FULFILLED,
    "delivered": EventKind.ORDER_DELIVERED,
    # Shopify, as adapters/shopify/webhooks.py words an order's status
    "paid": EventKind.ORDER_PAID,
    "fulfilled": EventKind.ORDER_FULFILLED,
    "voided": EventKind.ORDER_CANCELLED,
}

# Statuses in which an order seen for the first time was just placed (a missed
# order.created caught up by an update or by reconciliation).
PLACED_STATUSES = frozenset({"pending", "on-hold", "processing", "open", "authorized", "paid"})

# A carrier's shipment status → the change it means.
SHIPMENT_KINDS: dict[str, EventKind] = {
    "out_for_delivery": EventKind.ORDER_OUT_FOR_DELIVERY,
    "delivered": EventKind.ORDER_DELIVERED,
    "failure": EventKind.ORDER_DELIVERY_FAILED,
    "attempted_delivery": EventKind.ORDER_DELIVERY_FAILED,
}

# How far along delivery an order is. A kind ranked below the stage an order has reached
# is stale; equal ranks may follow each other (a failed attempt, then out for delivery).
STAGES: dict[EventKind, int] = {
    EventKind.ORDER_PLACED: 0,
    EventKind.ORDER_FULFILLED: 1,
    EventKind.ORDER_OUT_FOR_DELIVERY: 2,
    EventKind.ORDER_DELIVERY_FAILED: 2,
    EventKind.ORDER_DELIVERED: 3,
}


def change_kind(previous_status: str | None, current_status: str,
                previous_shipment: str = "", current_shipment: str = "") -> EventKind:
    """The change an ORDER_UPDATED stands for: ORDER_UPDATED itself when neither status nor
    shipment status changed, or their new values (on-hold, a custom status…) ask for no
    message. When both changed in one merged delivery, the later delivery step wins."""
    by_status = EventKind.ORDER_UPDATED
    if previous_status is None and current_status in PLACED_STATUSES:
        by_status = EventKind.ORDER_PLACED
    elif previous_status is None or previous_status != current_status:
        by_status = STATUS_KINDS.get(current_status, EventKind.ORDER_UPDATED)
    by_shipment = EventKind.ORDER_UPDATED
    if current_shipment and current_shipment != previous_shipment:
        by_shipment = SHIPMENT_KINDS.get(current_shipment, EventKind.ORDER_UPDATED)
    # A cancellation or refund outranks a carrier update; payment asks for no message.
    quiet = by_status in (EventKind.ORDER_UPDATED, EventKind.ORDER_PAID)
    if by_shipment is not EventKind.ORDER_UPDATED and (
            quiet or by_status in STAGES and stage(by_shipment) > stage(by_status)):
        return by_shipment
    return by_status


def stage(kind: EventKind) -> int:
    """The delivery stage a kind stands for; -1 for kinds outside the delivery path."""
    return STAGES.get(kind, -1)


def is_stale(kind: EventKind, reached: int) -> bool:
    """True when `kind` is a delivery step behind the stage the order already reached."""
    return kind in STAGES and STAGES[kind] < reached
