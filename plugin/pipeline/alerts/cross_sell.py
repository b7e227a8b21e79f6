"""Cross-sell after delivery, as orders arrive: count each order's products into the
store's co-occurrence pairs (once per order), and on delivery schedule its suggestion
for the flow's delay later (plugin.pipeline.alerts.cross_sell_send writes it when due).

Once per order: the order's offer row is inserted with ON CONFLICT DO NOTHING, and only the
event that inserted it counts the order's products. A redelivered webhook, an update of the
same order, or two workers racing on it find the row and count nothing, so the counts
are the number of distinct orders that held both products. Orders that are no purchase
(a draft, a failed payment, a cancelled order first seen as such) are not counted.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plugin.domain import cross_sell
from plugin.domain.events import EventKind, OrderEvent
from plugin.infra import db
from plugin.infra.sql import insert_ignore
from plugin.models import CrossSellOffer, CrossSellPair, OfferState, Order, Store
from plugin.pipeline.alerts import flows
from plugin.pipeline.recovery.attribution import NOT_PURCHASED

_PAIRS = cast(Table, CrossSellPair.__table__)
_NO_PURCHASE_KINDS = (EventKind.ORDER_CANCELLED, EventKind.ORDER_REFUNDED)


def note_order(session: Session, store: Store, event: OrderEvent, order: Order) -> None:
    """Count a purchase's products into the pairs the first time the order is seen as one,
    and schedule its cross-sell when this event says it was delivered (flow on)."""
    offer = _offer(session, store, event, order)
    if offer is None or event.kind is not EventKind.ORDER_DELIVERED:
        return
    if offer.delivered_at is not None or offer.state != OfferState.COUNTED:
        return  # a second "delivered" (redelivery, a later update) schedules nothing new
    now = db.utcnow()
    offer.delivered_at = now
    offer.customer_id = order.customer_id or offer.customer_id
    flow = flows.rule(session, store, cross_sell.JOURNEY)
    if not flow.enabled:
        return  # off by default: the order stays counted, nothing is suggested
    if offer.customer_id is None:
        offer.state, offer.reason = OfferState.SKIPPED, "the order has no customer"
        return
    offer.state = OfferState.SCHEDULED
    offer.due_at = now + timedelta(seconds=int(flow.delay_seconds or 0))


def _offer(session: Session, store: Store, event: OrderEvent,
           order: Order) -> CrossSellOffer | None:
    """The order's offer row, written (and its products counted) on its first purchase
    event; None while the order has been no purchase."""
    purchase = (event.kind not in _NO_PURCHASE_KINDS
                and event.status.lower() not in NOT_PURCHASED)
    products = cross_sell.distinct_products(line.product_id for line in event.line_items)
    if purchase and products:
        new_id = insert_ignore(session, CrossSellOffer, {
            "store_id": store.id, "order_id": order.id, "customer_id": order.customer_id,
            "state": OfferState.COUNTED, "suggested": [], "created_at": db.utcnow()},
            ("store_id", "order_id"))
        if new_id is not None:
            count_pairs(session, store.id, products)
    return session.scalars(select(CrossSellOffer).where(
        CrossSellOffer.store_id == store.id, CrossSellOffer.order_id == order.id)).first()


def count_pairs(session: Session, store_id: int, products: list[str]) -> int:
    """Add one order holding `products` to the store's pair counts (both ways); how many
    pairs were counted. Two statements, whatever the order's size."""
    pairs = cross_sell.pairs(products)
    if not pairs:
        return 0
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(module.insert(_PAIRS).on_conflict_do_nothing(
        index_elements=["store_id", "product_id", "other_id"]),
        [{"store_id": store_id, "product_id": a, "other_id": b, "orders": 0}
         for a, b in pairs])
    session.execute(
        update(_PAIRS).where(and_(_PAIRS.c.store_id == store_id,
                                  _PAIRS.c.product_id == bindparam("a"),
                                  _PAIRS.c.other_id == bindparam("b")))
        .values(orders=_PAIRS.c.orders + 1).execution_options(synchronize_session=False),
        [{"a": a, "b": b} for a, b in pairs])
    return len(pairs)


def counts(session: Session, store_id: int) -> dict[tuple[str, str], int]:
    """The store's pair counts, (product, other) → orders: for the admin and the tests."""
    return {(a, b): n for a, b, n in session.execute(select(
        CrossSellPair.product_id, CrossSellPair.other_id, CrossSellPair.orders).where(
        CrossSellPair.store_id == store_id))}


def due(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of scheduled offers whose time has come, oldest first (any store)."""
    return list(session.scalars(select(CrossSellOffer.id).where(
        CrossSellOffer.state == OfferState.SCHEDULED, CrossSellOffer.due_at <= now)
        .order_by(CrossSellOffer.due_at, CrossSellOffer.id).limit(limit)))
