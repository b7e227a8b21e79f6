"""The seam to a store's own admin: one call, on whichever platform the store is on.

The audit trail (`order_notes`) and the COD answers (`cod_answers`) both write to the
store's admin after a message; this module decides which client to build, which store
errors pass (the job is retried with backoff) and which are final (logged and dropped).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.shopify import admin as shopify_admin
from adapters.shopify.admin import AdminClient
from adapters.woocommerce import client as woocommerce_client
from adapters.woocommerce.client import WooClient
from plugin.platforms.shopify import shops, tokens
from plugin.platforms.woocommerce import sites

log = logging.getLogger(__name__)

# Store errors that pass (throttling, 5xx, timeouts, a token refresh in progress): the job
# raises them and the queue runs it again later, with backoff. Any other store error is
# logged and dropped, since trying again cannot help.
RETRYABLE_ERRORS: tuple[type[Exception], ...] = (
    shopify_admin.Throttled, shopify_admin.Unavailable, tokens.TokenUnavailable,
    woocommerce_client.Unavailable)
PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    shopify_admin.AdminError, tokens.TokenError, woocommerce_client.WooError)
# Huey retry options for jobs that call a store: 30 s, then 1, 2, 4, 8 and 16 minutes.
JOB_RETRY: dict[str, Any] = {"retries": 6, "retry_delay": 30, "retry_backoff": 2}
# Platforms with an admin to write to; the demo store has none.
PLATFORMS = ("shopify", "woocommerce")


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreOrder:
    """An order as the calls to its store need it (read in a transaction, used after)."""

    store_id: int
    platform: str
    domain: str
    order_id: str  # the platform's id


def call_store(target: StoreOrder, *, shopify: Callable[[AdminClient], object],
               woocommerce: Callable[[WooClient], object]) -> bool:
    """Run the platform's call against the store's admin; True when it ran.

    RETRYABLE_ERRORS propagate (the caller's job is retried); other store errors, a store
    that must reconnect and an unknown platform are logged and give False.
    """
    try:
        if target.platform == "shopify":
            shopify(shops.admin_client(target.store_id, target.domain))
            return True
        if target.platform == "woocommerce":
            return sites.with_client(target.store_id,
                                     lambda _store, api: woocommerce(api) or True) is not None
    except RETRYABLE_ERRORS:
        log.warning("store %s did not answer about order %s; will retry", target.store_id,
                    target.order_id)
        raise
    except PERMANENT_ERRORS as error:
        log.warning("store %s refused a call about order %s: %s", target.store_id,
                    target.order_id, error)
    return False


def add_woo_note(api: WooClient, order_id: str, note: str, unless: str = "") -> bool:
    """Add a private note to a WooCommerce order; with `unless`, only when no note of the
    order contains that text yet (so a retried job does not note twice). True if added."""
    if unless:
        existing = api.get(f"orders/{order_id}/notes")
        if any(unless in str(n.get("note", "")) for n in existing if isinstance(n, dict)):
            return False
    api.post(f"orders/{order_id}/notes", {"note": note, "customer_note": False})
    return True
