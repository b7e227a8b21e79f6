"""WooCommerce order statuses, and how a cash-on-delivery answer moves them.

The domain decides what an answer does (plugin.domain.cod.Action); this module knows how
WooCommerce spells it: an order held `on-hold` for confirmation is released to `processing`,
and a cancellation only touches an order that has not shipped or been refunded.
"""
from __future__ import annotations

from plugin.domain.cod import Action

ON_HOLD = "on-hold"
PROCESSING = "processing"
CANCELLED = "cancelled"
# Statuses an order may still be cancelled from (not shipped, not refunded).
CANCELLABLE = frozenset({"pending", ON_HOLD, PROCESSING})


def woo_status_after(action: Action, status: str) -> str | None:
    """The WooCommerce status to move the order to after `action`, or None to leave it."""
    if action is Action.CONFIRM:
        return PROCESSING if status == ON_HOLD else None
    if action is Action.CANCEL:
        return CANCELLED if status in CANCELLABLE else None
    return None
