"""WooCommerce statuses after a cash-on-delivery answer."""
from __future__ import annotations

import pytest

from adapters.woocommerce.statuses import woo_status_after
from plugin.domain.cod import Action


@pytest.mark.parametrize(("action", "status", "after"), [
    (Action.CONFIRM, "on-hold", "processing"),
    (Action.CONFIRM, "processing", None),
    (Action.CONFIRM, "cancelled", None),
    (Action.CANCEL, "on-hold", "cancelled"),
    (Action.CANCEL, "pending", "cancelled"),
    (Action.CANCEL, "processing", "cancelled"),
    (Action.CANCEL, "completed", None),
    (Action.CANCEL, "cancelled", None),
    (Action.MARK_CANCELLED, "on-hold", None),
])
def test_woocommerce_statuses(action: Action, status: str, after: str | None) -> None:
    assert woo_status_after(action, status) == after
