"""Store-wide last-touch revenue attribution, run for every applied order event
(orders.apply_order_event): the order is attributed to the customer's message touched last
before it (plugin.domain.attribution), once, and the day's revenue per flow and currency is
counted in the same transaction, so the Analytics page reads rollups, never orders.

- Once per order: the row is unique on the order, so a redelivered webhook, an update or a
  fulfillment counts nothing more. An order that found no touch is looked at again by its
  later events (a read report that arrived late may still qualify: touches count only up to
  the order's time, so the answer cannot move past it).
- Only a purchase is attributed: an event that cancels or refunds, or an order in a state
  that is no purchase (cart recovery's NOT_PURCHASED), is not; nor an order first seen
  through a part that carries no totals (a fulfillment): its next full event is.
- A cancelled order, or one refunded in full (a refund of at least the attributed amount,
  or the order's state saying refunded/voided), is *voided*: the row stays for the record,
  marked, and its order and amount are taken back out of the day and flow it counted on. A
  partial refund leaves the attribution as it was: the order still happened.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plugin.domain import attribution as rules
from plugin.domain.events import EventKind, OrderEvent
from plugin.domain.message_flows import flow_of
from plugin.infra import db
from plugin.infra.sql import insert_ignore
from plugin.models import Message, Order, OrderAttribution, RevenueRollup, Store
from plugin.pipeline import ad_figures, holdouts, rollups, touches
from plugin.pipeline.recovery.attribution import NOT_PURCHASED

_ROLLUPS = RevenueRollup.__table__
_KEY = ["store_id", "day", "flow", "currency"]
_CANCELLED = rules.VOID_STATUSES - {"refunded"}


def note_order(session: Session, store: Store, event: OrderEvent, order: Order) -> None:
    """Attribute a purchase once, or void its attribution when the event undoes it; then
    count it for its customer's ad and holdout experiments the same way."""
    if _undoes(event):
        void(session, store, order, event)
        return
    if event.status.lower() in NOT_PURCHASED:
        return
    if not order.currency:
        return  # only part of an order seen first (a fulfillment): its totals come later
    ordered_at = order.placed_at or order.created_at or db.utcnow()
    if order.customer_id is None:
        return
    customers = touches.customer_ids(session, store.id, order.customer_id)
    holdouts.convert(session, store.id, customers, order.id, ordered_at)
    ad_figures.note_order(session, store, order, ordered_at)
    if session.scalar(select(OrderAttribution.id).where(
            OrderAttribution.order_id == order.id)) is not None:
        return
    attribute(session, store, order, customers, ordered_at)


def attribute(session: Session, store: Store, order: Order, customers: list[int],
              ordered_at: datetime) -> bool:
    """Attribute a purchase of these customers, not yet attributed, to the last touch before
    it and count it; whether a touch was found and the row written now."""
    within = rules.windows(store.attribution_click_days, store.attribution_read_hours)
    since = ordered_at - max(within.click, within.read)
    touch = rules.last_touch(touches.candidates(session, store.id, customers, since),
                             ordered_at, within)
    if touch is None:
        return False
    message = session.get_one(Message, touch.message_id)
    day = rollups.local_day(ordered_at, rollups.zone_named(store.timezone))
    flow = flow_of(message.cause, message.step)
    currency = (order.currency or store.currency or "")[:3].upper()
    amount = str(order.total or "0")
    written = insert_ignore(session, OrderAttribution, {
        "store_id": store.id, "order_id": order.id, "message_id": message.id,
        "customer_id": message.customer_id or order.customer_id,
        "order_number": (order.number or order.platform_id)[:64], "flow": flow,
        "template": (message.template or "")[:120], "touch": touch.kind.value,
        "touched_at": touch.at, "ordered_at": ordered_at, "day": day, "currency": currency,
        "amount": amount, "voided_at": None, "created_at": db.utcnow()}, ("order_id",))
    if written is None:
        return False  # counted by a worker that got here first
    add(session, store.id, day, flow, currency, 1, rules.millis(amount))
    return True


def _undoes(event: OrderEvent) -> bool:
    """Whether the event cancels or refunds the order (a refund may be partial: void()
    compares its amount)."""
    return (event.kind in (EventKind.ORDER_CANCELLED, EventKind.ORDER_REFUNDED)
            or rules.undone(event.status))


def void(session: Session, store: Store, order: Order, event: OrderEvent) -> None:
    """Take a cancelled or fully refunded order back out of its figures, once."""
    take_back(session, store, order, lambda amount: _whole(event, amount))
    if event.kind is EventKind.ORDER_CANCELLED or event.status.lower() in _CANCELLED:
        # A cancelled order converts no one; a refunded one still did convert its shopper.
        holdouts.unconvert(session, store.id, order.id)
    # The order's own total is the refund's amount by now (a refund event carries its
    # own): the ad's order is judged against the amount it counted instead.
    ad_figures.void_order(session, store.id, order.id,
                          event.total if event.kind is EventKind.ORDER_REFUNDED else None)


def take_back(session: Session, store: Store, order: Order,
              whole: Callable[[str], bool] = lambda amount: True) -> None:
    """Void the order's attribution, once, when `whole` says the undoing covers its
    attributed amount, and take it back out of the day and flow it counted on."""
    row = session.scalars(select(OrderAttribution).where(
        OrderAttribution.order_id == order.id)).first()
    if row is not None and row.voided_at is None and whole(row.amount):
        row.voided_at = db.utcnow()
        add(session, store.id, row.day, row.flow, row.currency, -1, -rules.millis(row.amount))


def _whole(event: OrderEvent, amount: str) -> bool:
    """A cancellation, or a refund of the whole attributed amount."""
    if event.kind is not EventKind.ORDER_REFUNDED:
        return True
    return event.total >= Decimal(amount or "0")


def add(session: Session, store_id: int, day: date, flow: str, currency: str, orders: int,
        amount_millis: int) -> None:
    """Add to one day's figures of a flow and currency (negative to take back)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(_ROLLUPS).values(
        store_id=store_id, day=day, flow=flow, currency=currency, orders=orders,
        amount_millis=amount_millis)
    session.execute(statement.on_conflict_do_update(index_elements=_KEY, set_={
        "orders": _ROLLUPS.c.orders + statement.excluded.orders,
        "amount_millis": _ROLLUPS.c.amount_millis + statement.excluded.amount_millis}))
