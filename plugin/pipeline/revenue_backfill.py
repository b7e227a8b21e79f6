"""Revenue attribution for a store's history: the orders StoreChat kept before attribution
existed are attributed by the live rule (order_attribution.attribute: last touch before the
order, within the store's windows), and the daily revenue rollups are recounted from the
attributions.

Attributions are only filled in, never redone: each records what was decided when its order
arrived (a message deleted by retention since must not move it), and an order attributed
live already has its row. An order left without one is looked at as the live path looks at
it on its next event (touches count only up to the order's time, so the answer is the one
that event would give). The rollups are a plain sum of the attributions, so they are
recounted and replaced: the same rows the live additions and take-backs left (a voided
order's day and flow stay, at zero).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plugin.domain import attribution as rules
from plugin.models import Order, OrderAttribution, RevenueRollup, Store
from plugin.pipeline import order_attribution, touches
from plugin.pipeline.recovery.attribution import ever_purchased


@dataclass(frozen=True, slots=True)
class Written:
    """What one store's revenue backfill wrote."""

    attributed: int = 0  # orders attributed now (voided at once when undone since)
    rollups: int = 0  # revenue rollup rows written


def backfill(session: Session, store: Store) -> Written:
    """Attribute the store's unattributed purchases and recount its revenue rollups."""
    attributed = 0
    done = select(OrderAttribution.order_id).where(OrderAttribution.store_id == store.id)
    for order in session.scalars(select(Order).where(
            Order.store_id == store.id, Order.customer_id.is_not(None), Order.currency != "",
            Order.id.not_in(done)).order_by(Order.id)).all():
        if not ever_purchased(order.status):
            continue  # a draft, a failed payment
        assert order.customer_id is not None
        customers = touches.customer_ids(session, store.id, order.customer_id)
        ordered_at = order.placed_at or order.created_at
        if order_attribution.attribute(session, store, order, customers, ordered_at):
            attributed += 1
            if rules.undone(order.status):  # attributed when placed, taken back when undone
                order_attribution.take_back(session, store, order)
    return Written(attributed=attributed, rollups=recount(session, store.id))


def recount(session: Session, store_id: int) -> int:
    """Replace the store's revenue rollups with the sum of its attributions; rows written."""
    session.execute(delete(RevenueRollup).where(RevenueRollup.store_id == store_id))
    orders: Counter[tuple[date, str, str]] = Counter()
    amounts: Counter[tuple[date, str, str]] = Counter()
    for day, flow, currency, amount, voided in session.execute(
            select(OrderAttribution.day, OrderAttribution.flow, OrderAttribution.currency,
                   OrderAttribution.amount, OrderAttribution.voided_at)
            .where(OrderAttribution.store_id == store_id)):
        key = (day, flow, currency)
        live = voided is None
        orders[key] += int(live)
        amounts[key] += rules.millis(amount) if live else 0
    for key in sorted(orders):
        order_attribution.add(session, store_id, *key, orders[key], amounts[key])
    return len(orders)
