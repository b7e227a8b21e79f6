"""Which real change an "order updated" delivery is, from the status before and after.

WooCommerce (and Shopify's orders/updated) send the order's *current state*, often several
changes merged into one delivery, and again when nothing that matters changed. Only a
status that differs from the stored one is a change worth a message.
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
    # Shopify, as adapters/shopify.py words an order's status
    "paid": EventKind.ORDER_PAID,
    "fulfilled": EventKind.ORDER_FULFILLED,
    "voided": EventKind.ORDER_CANCELLED,
}


def change_kind(previous_status: str | None, current_status: str) -> EventKind:
    """The change an ORDER_UPDATED stands for: ORDER_UPDATED itself when the status did not
    change or its new value (on-hold, pending, a custom status…) asks for no message."""
    if previous_status is not None and previous_status == current_status:
        return EventKind.ORDER_UPDATED
    return STATUS_KINDS.get(current_status, EventKind.ORDER_UPDATED)
