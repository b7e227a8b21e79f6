"""Merged, repeated, late "order updated" deliveries: only a real, new change counts."""
from __future__ import annotations

import pytest

from plugin.domain.events import EventKind
from plugin.domain.order_status import change_kind, is_stale, stage


@pytest.mark.parametrize(("before", "after", "kind"), [
    ("pending", "processing", EventKind.ORDER_PAID),
    ("on-hold", "processing", EventKind.ORDER_PAID),
    ("processing", "completed", EventKind.ORDER_FULFILLED),
    ("processing", "cancelled", EventKind.ORDER_CANCELLED),
    ("completed", "refunded", EventKind.ORDER_REFUNDED),
    ("completed", "delivered", EventKind.ORDER_DELIVERED),
    ("open", "paid", EventKind.ORDER_PAID),
    ("paid", "fulfilled", EventKind.ORDER_FULFILLED),
    (None, "processing", EventKind.ORDER_PLACED),  # a missed order.created, caught up
    (None, "completed", EventKind.ORDER_FULFILLED),
])
def test_a_status_change_is_the_change_it_names(before: str | None, after: str,
                                                 kind: EventKind) -> None:
    assert change_kind(before, after) is kind


@pytest.mark.parametrize(("before", "after"), [
    ("processing", "processing"),  # a note or an address edited: no status change
    ("pending", "on-hold"),  # waiting for a bank transfer: nothing to tell yet
    ("processing", "checkout-draft"),
    ("processing", "ready-for-pickup-custom"),  # a custom status we do not know
])
def test_no_real_change_sends_nothing(before: str, after: str) -> None:
    assert change_kind(before, after) is EventKind.ORDER_UPDATED


def test_shipment_status_changes_and_merged_updates() -> None:
    assert change_kind("completed", "completed", "in_transit",
                       "out_for_delivery") is EventKind.ORDER_OUT_FOR_DELIVERY
    assert change_kind("completed", "completed", "delivered",
                       "delivered") is EventKind.ORDER_UPDATED
    assert change_kind("completed", "completed", "", "failure") is EventKind.ORDER_DELIVERY_FAILED
    # Shipped and delivered merged into one delivery: delivered only.
    assert change_kind("processing", "completed", "", "delivered") is EventKind.ORDER_DELIVERED
    # A cancellation outranks a carrier update.
    assert change_kind("processing", "cancelled", "", "delivered") is EventKind.ORDER_CANCELLED


def test_delivery_steps_behind_the_reached_stage_are_stale() -> None:
    delivered = stage(EventKind.ORDER_DELIVERED)
    assert is_stale(EventKind.ORDER_FULFILLED, delivered)
    assert is_stale(EventKind.ORDER_OUT_FOR_DELIVERY, delivered)
    assert is_stale(EventKind.ORDER_PLACED, stage(EventKind.ORDER_FULFILLED))
    failed = stage(EventKind.ORDER_DELIVERY_FAILED)
    assert not is_stale(EventKind.ORDER_OUT_FOR_DELIVERY, failed)  # a second attempt
    assert not is_stale(EventKind.ORDER_CANCELLED, delivered)
    assert not is_stale(EventKind.ORDER_FULFILLED, -1)
