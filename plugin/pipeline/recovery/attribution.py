"""Which orders cart recovery brought back: an order that completes a checkout within the
store's attribution window after one of our recovery messages went out makes it *recovered*.

Called for every applied order event (checkouts.complete_from_order), after the checkout the
order names was completed:

- The customer's other open checkouts, started before the order, are completed by it too
  ("any order from that customer since the cart counts"), so no more steps go out for them.
- Of the checkouts this order completed, at most one is recovered: an order's revenue is
  counted once. The one the order names wins when it qualifies, else the one messaged last.
- A checkout qualifies when a recovery message of it went out (the outbox sent it, not
  merely queued or skipped it) at or before the order and at most the window before it.
  The order's time is when it completed the checkout (`completed_at`: the platform's time
  when the checkout said so, else when StoreChat first saw the order as a purchase).
- Idempotent: once an order recovered a checkout nothing changes, and re-reading an order
  that did not gives the same answer, since the facts it reads are fixed by then.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain import attribution as rules
from plugin.domain.events import EventKind, OrderEvent
from plugin.domain.outbox import MessageState
from plugin.domain.recovery import DEFAULT_ATTRIBUTION_DAYS
from plugin.infra import db
from plugin.models import Checkout, Customer, Message, Order, RecoveryStep, StepState, Store
from plugin.pipeline.recovery import stops as recovery_stops
from plugin.pipeline.recovery import timers as recovery_timers

# Order states that are no purchase (yet): a WooCommerce block checkout's draft, a failed or
# voided payment, a cancelled, refunded or deleted order. They recover nothing; a later
# update that turns the order into a purchase still can.
NOT_PURCHASED = frozenset({"checkout-draft", "failed", "cancelled", "refunded", "voided",
                           "expired", "trash", "deleted"})
_NOT_PURCHASE_KINDS = (EventKind.ORDER_CANCELLED, EventKind.ORDER_REFUNDED)


def ever_purchased(status: str) -> bool:
    """Whether an order in this state was a purchase at some time: one that is none now was
    one only when it has been undone since (cancelled, refunded), not a draft or a failure."""
    return status.lower() not in NOT_PURCHASED or rules.undone(status)



# Outbox states of a message that really went out to the shopper.
_WENT_OUT = (MessageState.SENT.value, MessageState.DELIVERED.value, MessageState.READ.value)


def settle(session: Session, store: Store, event: OrderEvent, order: Order) -> None:
    """Complete the customer's other open checkouts with this order, then mark recovered
    the one checkout it completed that qualifies (see the module's rules)."""
    if event.kind in _NOT_PURCHASE_KINDS or event.status.lower() in NOT_PURCHASED:
        return
    _complete_others(session, store, order)
    completed = list(session.scalars(select(Checkout).where(Checkout.store_id == store.id,
                                                            Checkout.order_id == order.id)))
    if not completed or any(c.recovered_at is not None for c in completed):
        return
    window = timedelta(days=store.recovery_attribution_days or DEFAULT_ATTRIBUTION_DAYS)
    sends = [(checkout, send) for checkout in completed
             if (send := _last_send(session, checkout, window)) is not None]
    if not sends:
        return
    named = {event.checkout_id, event.checkout_token} - {""}
    checkout, (_at, step) = max(sends, key=lambda pair: (
        pair[0].platform_id in named or pair[0].token in named, pair[1][0]))
    _mark_recovered(session, checkout, order, step=step)


def _complete_others(session: Session, store: Store, order: Order) -> None:
    """Complete the open checkouts of the order's customer (by customer or by phone, as
    their reply would find them) that were started before StoreChat first saw the order."""
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    if customer is None:
        return
    ids = recovery_stops.customer_checkout_ids(session, store.id, customer)
    if not ids:
        return
    now = db.utcnow()
    for checkout in session.scalars(select(Checkout).where(
            Checkout.id.in_(ids), Checkout.completed_at.is_(None),
            Checkout.created_at <= order.created_at)):
        checkout.completed_at = now
        checkout.order_id = order.id
        checkout.updated_at = now
        recovery_timers.schedule(session, checkout, now)


def _last_send(session: Session, checkout: Checkout,
               window: timedelta) -> tuple[datetime, int] | None:
    """(time, step) of the checkout's last recovery message that went out at or before its
    completion and within `window` of it; None when there is none."""
    ordered_at = checkout.completed_at
    if ordered_at is None:
        return None
    # Read by checkout only (a few rows per cart) and sorted out here, so the lookup goes
    # by the checkout's index rather than through every sent step of every store.
    rows = session.execute(
        select(RecoveryStep.step, RecoveryStep.state, RecoveryStep.sent_at,
               Message.state.label("message_state"), Message.sent_at.label("went_out_at"))
        .join(Message, Message.id == RecoveryStep.message_id)
        .where(RecoveryStep.checkout_id == checkout.id)).all()
    last: tuple[datetime, int] | None = None
    for row in rows:
        at = row.went_out_at or row.sent_at
        if (row.state != StepState.SENT.value or row.message_state not in _WENT_OUT
                or at is None or not ordered_at - window <= at <= ordered_at):
            continue
        if last is None or (at, row.step) > last:
            last = (at, row.step)
    return last


def _mark_recovered(session: Session, checkout: Checkout, order: Order, *, step: int) -> None:
    ordered_at = checkout.completed_at
    clicked = session.scalars(select(RecoveryStep.id).where(
        RecoveryStep.checkout_id == checkout.id, RecoveryStep.clicked_at.is_not(None),
        RecoveryStep.clicked_at <= ordered_at).limit(1)).first()
    checkout.recovered_at = ordered_at
    checkout.recovered_total = order.total
    checkout.recovered_currency = (order.currency or checkout.currency or "")[:3].upper()
    checkout.recovered_step = step
    checkout.recovered_clicked = clicked is not None
    checkout.updated_at = db.utcnow()
