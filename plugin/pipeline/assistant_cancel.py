"""The shop assistant's confirmed cancellations, carried to the store: Shopify's
`orderCancel` (nothing refunded by us, stock back), WooCommerce's status `cancelled`, each
with a note saying the shopper asked in WhatsApp. A job, retried by the queue while the
store does not answer; safe to run again (a cancelled order is not cancelled twice)."""
from __future__ import annotations

import logging

from adapters.shopify.admin import AdminClient, order_gid
from adapters.woocommerce.client import WooClient
from plugin.infra import db
from plugin.models import Order, Store
from plugin.pipeline import store_gateway

log = logging.getLogger(__name__)

JOB_RETRY = store_gateway.JOB_RETRY
STAFF_NOTE = "Cancelled by the customer in WhatsApp (StoreChat shop assistant)."
# WooCommerce statuses an order may be cancelled from (the shopper confirmed while it was
# unfulfilled; the store may have moved on since: then it is left alone).
WOO_CANCELLABLE = frozenset({"pending", "processing", "on-hold"})


def cancel_order(order_id: int) -> None:
    """Job: cancel the order (our row id) at its store. Raises a passing store error so
    that the queue retries it."""
    with db.transaction() as session:
        order = session.get(Order, order_id)
        store = session.get(Store, order.store_id) if order else None
        if order is None or store is None or store.platform not in store_gateway.PLATFORMS:
            return
        target = store_gateway.StoreOrder(store_id=store.id, platform=store.platform,
                                          domain=store.domain, order_id=order.platform_id)
    store_gateway.call_store(target, shopify=lambda admin: _shopify(admin, target.order_id),
                             woocommerce=lambda api: _woocommerce(api, target.order_id))


def _shopify(admin: AdminClient, order_id: str) -> None:
    gid = order_gid(order_id)
    if admin.order_cancelled(gid):
        return  # a retried job, or the owner was quicker: cancelling twice errs
    admin.cancel_order(gid, reason="CUSTOMER", refund=False, restock=True,
                       notify_customer=False, staff_note=STAFF_NOTE)


def _woocommerce(api: WooClient, order_id: str) -> None:
    order = api.get(f"orders/{order_id}")
    status = str(order.get("status") or "")
    if status not in WOO_CANCELLABLE:
        log.info("WooCommerce order %s is %s now; the assistant leaves it", order_id, status)
        return
    store_gateway.add_woo_note(api, order_id, STAFF_NOTE, unless=STAFF_NOTE)
    api.put(f"orders/{order_id}", {"status": "cancelled"})
