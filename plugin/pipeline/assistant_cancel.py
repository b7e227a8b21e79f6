"""The shop assistant's confirmed cancellations, carried to the store: Shopify's
`orderCancel` (nothing refunded by us, stock back), WooCommerce's status `cancelled`, each
with a note saying the shopper asked in WhatsApp.

The confirmation is recorded on the order (`cancel_asked_at`, by `record`) in the
transaction that stores the shopper's tap; only then is the job queued. The job claims the
order with a lease (`cancel_lease_until`), so two copies of it (the queue's retry and the
sweeper's requeue) never talk to the store at once, and sets `cancel_applied_at` when the
store has it. A job lost with its worker is queued again by the sweeper
(`enqueue_unapplied`) once its lease has lapsed; the store is asked first whether the order
is already cancelled, so the cancel happens once even when the lost job had reached it.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from adapters.shopify.admin import AdminClient, order_gid
from adapters.woocommerce.client import WooClient
from plugin.infra import db, queue
from plugin.models import Order, Store, StoreStatus
from plugin.pipeline import store_gateway

log = logging.getLogger(__name__)

JOB_RETRY = store_gateway.JOB_RETRY
STAFF_NOTE = "Cancelled by the customer in WhatsApp (StoreChat shop assistant)."
# WooCommerce statuses an order may be cancelled from (the shopper confirmed while it was
# unfulfilled; the store may have moved on since: then it is left alone).
WOO_CANCELLABLE = frozenset({"pending", "processing", "on-hold"})
# How long one run of the job holds the order: well beyond the store client's own retries.
LEASE = timedelta(minutes=5)
# The sweeper looks for cancellations whose job was lost for this long after the tap.
RECOVERY_WINDOW = timedelta(days=2)
RECOVERY_BATCH = 500


def record(session: Session, order_id: int) -> bool:
    """Record the shopper's confirmed cancellation of the order (our row id); True the
    first time (then the caller queues the job after commit), False for a repeated tap."""
    now = db.utcnow()
    moved = session.execute(update(Order).where(Order.id == order_id,
                                                Order.cancel_asked_at.is_(None))
                            .values(cancel_asked_at=now)
                            .execution_options(synchronize_session=False))
    return moved.rowcount == 1  # type: ignore[attr-defined]


def cancel_order(order_id: int) -> None:
    """Job: cancel the order (our row id) at its store, once. Raises a passing store error
    so that the queue retries it."""
    target = _claim(order_id)
    if target is None:
        return
    try:
        done = store_gateway.call_store(
            target, shopify=lambda admin: _shopify(admin, target.order_id),
            woocommerce=lambda api: _woocommerce(api, target.order_id))
    except BaseException:
        _release(order_id, applied=False)  # the queue's retry (or the sweeper) goes on
        raise
    with db.transaction() as session:
        store = session.get(Store, target.store_id)
        waiting = store is not None and not store.active
    # Done, or refused for good by a store that is still connected (logged by call_store):
    # nothing more to try. A store that must reconnect keeps the cancellation waiting; the
    # sweeper carries it over once the store is back.
    _release(order_id, applied=done or not waiting)


def enqueue_unapplied(now: datetime, stale: datetime) -> int:
    """Queue the job again for cancellations confirmed before `stale` that never reached
    their (connected) store and that no run holds: a worker died or the queue was down."""
    session = db.session()
    order_ids = list(session.scalars(
        select(Order.id).join(Store, Store.id == Order.store_id)
        .where(Order.cancel_asked_at.is_not(None), Order.cancel_applied_at.is_(None),
               Order.cancel_asked_at < stale, Order.cancel_asked_at > now - RECOVERY_WINDOW,
               or_(Order.cancel_lease_until.is_(None), Order.cancel_lease_until < now),
               Store.status == StoreStatus.ACTIVE.value,
               Store.platform.in_(store_gateway.PLATFORMS))
        .limit(RECOVERY_BATCH)))
    session.rollback()
    for order_id in order_ids:
        queue.enqueue(queue.Job.ASSISTANT_CANCEL, order_id)
    return len(order_ids)


def _claim(order_id: int) -> store_gateway.StoreOrder | None:
    """Take the order's lease; its store call target, or None when there is nothing to do
    (unknown, already applied, not asked) or another run holds it."""
    now = db.utcnow()
    with db.transaction() as session:
        claimed = session.execute(update(Order).where(
            Order.id == order_id, Order.cancel_asked_at.is_not(None),
            Order.cancel_applied_at.is_(None),
            or_(Order.cancel_lease_until.is_(None), Order.cancel_lease_until < now))
            .values(cancel_lease_until=now + LEASE)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        order = session.get_one(Order, order_id)
        store = session.get(Store, order.store_id)
        if store is None or store.platform not in store_gateway.PLATFORMS:
            order.cancel_applied_at, order.cancel_lease_until = now, None
            return None
        return store_gateway.StoreOrder(store_id=store.id, platform=store.platform,
                                        domain=store.domain, order_id=order.platform_id)


def _release(order_id: int, *, applied: bool) -> None:
    with db.transaction() as session:
        session.execute(update(Order).where(Order.id == order_id).values(
            cancel_lease_until=None,
            **({"cancel_applied_at": db.utcnow()} if applied else {})))


def _shopify(admin: AdminClient, order_id: str) -> None:
    gid = order_gid(order_id)
    if admin.order_cancelled(gid):
        return  # a lost run reached the store, or the owner was quicker: cancelling twice errs
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
