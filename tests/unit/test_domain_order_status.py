"""Merged, repeated "order updated" deliveries: only a real status change counts."""
from __future__ import annotations

import pytest

from plugin.domain.events import EventKind
from plugin.domain.order_status import change_kind


@pytest.mark.parametrize(("before", "after", "kind"), [
    ("pending", "processing", EventKind.ORDER_PAID),
    ("on-hold", "processing", EventKind.ORDER_PAID),
    ("processing", "completed", EventKind.ORDER_FULFILLED),
    ("processing", "cancelled", EventKind.ORDER_CANCELLED),
    ("completed", "refunded", EventKind.ORDER_REFUNDED),
    ("open", "paid", EventKind.ORDER_PAID),
    ("paid", "fulfilled", EventKind.ORDER_FULFILLED),
    (None, "processing", EventKind.ORDER_PAID),
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
