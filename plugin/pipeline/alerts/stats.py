"""What the product flows did for a store in a period, read-only: per flow (back in stock,
price drop, cross-sell) the subscriptions (for cross-sell: the delivered orders it was
scheduled for), the alerts sent, delivered, read and clicked, and the orders and revenue
they brought within the store's attribution window.

Counted as cart recovery counts (plugin.pipeline.recovery.stats: its Period, and its exact
Decimal sums per currency): each event in its own time, a message when it was sent, a
subscription when it was made. An order is the flow's when the shopper placed it after one
of the flow's messages to them went out and within the attribution window of it (the window
cart recovery uses, `Store.recovery_attribution_days`); each order is counted once per
flow, and orders that are no purchase (plugin.pipeline.recovery.attribution.NOT_PURCHASED)
never count.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from plugin.domain import alerts, cross_sell, price_drops
from plugin.domain.outbox import MessageState
from plugin.domain.recovery import DEFAULT_ATTRIBUTION_DAYS
from plugin.models import (
    AlertKind,
    AlertState,
    AlertSubscription,
    CrossSellOffer,
    Message,
    OfferState,
    Order,
    PriceDropAlert,
    Store,
)
from plugin.pipeline.recovery.attribution import NOT_PURCHASED
from plugin.pipeline.recovery.stats import Period, amount

# Each flow's outbox causes start with this.
CAUSES = {alerts.STEP: alerts.CAUSE_PREFIX, price_drops.STEP: price_drops.CAUSE_PREFIX,
          cross_sell.JOURNEY: cross_sell.CAUSE_PREFIX}
_WENT_OUT = (MessageState.SENT.value, MessageState.DELIVERED.value, MessageState.READ.value)
_DELIVERED = (MessageState.DELIVERED.value, MessageState.READ.value)


@dataclass(slots=True)
class FlowFigures:
    """One flow's figures in a period."""

    flow: str
    subscriptions: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    clicked: int = 0
    failed: int = 0
    not_sent: int = 0  # skipped by the policy (consent, STOP, caps…) or a limit
    orders: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)  # by currency


def figures(session: Session, store: Store, period: Period) -> dict[str, FlowFigures]:
    """Every flow's figures for `period`, by flow (journey) name."""
    result = {flow: FlowFigures(flow=flow) for flow in CAUSES}
    _subscriptions(session, store.id, period, result)
    for flow, prefix in CAUSES.items():
        _messages(session, store.id, prefix, period, result[flow])
    result[alerts.STEP].clicked = _count(session, AlertSubscription.id, [
        AlertSubscription.store_id == store.id,
        AlertSubscription.kind == AlertKind.BACK_IN_STOCK.value,
        AlertSubscription.clicked_at.between(period.since, period.until)])
    result[price_drops.STEP].clicked = _count(session, PriceDropAlert.id, [
        PriceDropAlert.store_id == store.id,
        PriceDropAlert.clicked_at.between(period.since, period.until)])
    result[cross_sell.JOURNEY].clicked = _count(session, CrossSellOffer.id, [
        CrossSellOffer.store_id == store.id,
        CrossSellOffer.clicked_at.between(period.since, period.until)])
    window = timedelta(days=store.recovery_attribution_days or DEFAULT_ATTRIBUTION_DAYS)
    for flow, prefix in CAUSES.items():
        _orders(session, store.id, prefix, period, window, result[flow])
    return result


def _count(session: Session, column: Any, where: list[ColumnElement[bool]]) -> int:
    return int(session.scalar(select(func.count(column)).where(*where)) or 0)


def _subscriptions(session: Session, store_id: int, period: Period,
                   result: dict[str, FlowFigures]) -> None:
    """Confirmed subscriptions made in the period, by kind; cross-sell's scheduled orders."""
    kinds = {AlertKind.BACK_IN_STOCK.value: alerts.STEP,
             AlertKind.PRICE_DROP.value: price_drops.STEP}
    for kind, count in session.execute(
            select(AlertSubscription.kind, func.count(AlertSubscription.id))
            .where(AlertSubscription.store_id == store_id,
                   AlertSubscription.state != AlertState.PENDING.value,
                   AlertSubscription.created_at.between(period.since, period.until))
            .group_by(AlertSubscription.kind)):
        if kind in kinds:
            result[kinds[kind]].subscriptions = int(count)
    result[cross_sell.JOURNEY].subscriptions = _count(session, CrossSellOffer.id, [
        CrossSellOffer.store_id == store_id, CrossSellOffer.state != OfferState.COUNTED,
        CrossSellOffer.delivered_at.between(period.since, period.until)])


def _messages(session: Session, store_id: int, prefix: str, period: Period,
              row: FlowFigures) -> None:
    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    sent, delivered, read, failed = session.execute(
        select(count_if(Message.state.in_(_WENT_OUT)), count_if(Message.state.in_(_DELIVERED)),
               count_if(Message.state == MessageState.READ.value),
               count_if(Message.state == MessageState.FAILED.value))
        .where(Message.store_id == store_id, Message.cause.startswith(prefix),
               Message.sent_at.between(period.since, period.until))).one()
    row.sent, row.delivered, row.read = int(sent), int(delivered), int(read)
    row.failed = int(failed)
    row.not_sent = _count(session, Message.id, [
        Message.store_id == store_id, Message.cause.startswith(prefix),
        Message.state == MessageState.SKIPPED.value,
        Message.created_at.between(period.since, period.until)])


def _orders(session: Session, store_id: int, prefix: str, period: Period,
            window: timedelta, row: FlowFigures) -> None:
    """The orders placed within `window` after one of the flow's messages to their shopper
    went out (a message sent in the period), each once."""
    sends: dict[int, list[datetime]] = {}
    for customer_id, sent_at in session.execute(
            select(Message.customer_id, Message.sent_at).where(
                Message.store_id == store_id, Message.cause.startswith(prefix),
                Message.state.in_(_WENT_OUT), Message.customer_id.is_not(None),
                Message.sent_at.between(period.since, period.until))):
        sends.setdefault(int(customer_id), []).append(sent_at)
    if not sends:
        return
    placed = func.coalesce(Order.placed_at, Order.created_at)
    for customer_id, at, status, total, currency in session.execute(
            select(Order.customer_id, placed, Order.status, Order.total, Order.currency)
            .where(Order.store_id == store_id, Order.customer_id.in_(list(sends)),
                   placed >= period.since)):
        if (status or "").lower() in NOT_PURCHASED:
            continue
        if any(sent <= at <= sent + window for sent in sends[int(customer_id)]):
            row.orders += 1
            code = (currency or "")[:3].upper()
            row.revenue[code] = row.revenue.get(code, Decimal(0)) + amount(total)
