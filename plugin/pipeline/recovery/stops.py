"""Stopping cart recovery sequences from outside the cart: the shopper replied, the shopper
opted out, the store uninstalled StoreChat.

Each stops only steps still waiting (SCHEDULED): a claimed step is its worker's, and a sent
one is history. The reason is in the owner's words. The call sites are small hooks:
conversations.apply_message (replies), conversations / consent_log (marketing opt-outs),
store_events and the WooCommerce disconnect (uninstalls).

A reply stops only cycles that already sent the shopper something before it: a shopper who
chats with the store before any cart message is not answering one, and their cart's first
message still goes out. An opt-out or an uninstall stops every waiting step.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from plugin.infra import db
from plugin.models import Checkout, Customer, RecoveryStep, StepState

REPLIED = "the shopper replied"
OPTED_OUT = "the shopper opted out"
UNINSTALLED = "the store was uninstalled"
# Stops the cart itself cannot lift: a repeat of the same cart must not start a new cycle
# after them (recovery_timers only restarts after stops that the cart's next state can undo).
LASTING_REASONS = frozenset({REPLIED, OPTED_OUT, UNINSTALLED})

_SCHEDULED, _SENT = StepState.SCHEDULED.value, StepState.SENT.value


def shopper_replied(session: Session, store_id: int, customer: Customer, at: datetime) -> int:
    """Stop the waiting steps of the customer's checkouts whose cycle sent them a message
    before `at` (the inbound message's time); the number of steps stopped."""
    steps = _steps(session, customer_checkout_ids(session, store_id, customer))
    answered = {(row.checkout_id, row.cycle) for row in steps
                if row.state == _SENT and row.sent_at is not None and row.sent_at <= at}
    return _stop(session, [row.id for row in steps if row.state == _SCHEDULED
                           and (row.checkout_id, row.cycle) in answered], REPLIED)


def shopper_opted_out(session: Session, store_id: int, customer: Customer) -> int:
    """Stop every waiting step of the customer's checkouts; the number of steps stopped."""
    steps = _steps(session, customer_checkout_ids(session, store_id, customer))
    return _stop(session, [row.id for row in steps if row.state == _SCHEDULED], OPTED_OUT)


def store_uninstalled(session: Session, store_id: int) -> int:
    """Stop every waiting step of the store's checkouts; the number of steps stopped."""
    result = session.execute(
        update(RecoveryStep)
        .where(RecoveryStep.checkout_id.in_(select(Checkout.id)
                                            .where(Checkout.store_id == store_id)),
               RecoveryStep.state == _SCHEDULED)
        .values(state=StepState.STOPPED.value, reason=UNINSTALLED, lease_until=None,
                updated_at=db.utcnow())
        .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult


def customer_checkout_ids(session: Session, store_id: int, customer: Customer) -> list[int]:
    """The ids of the store's checkouts of this customer: linked to them, or with their
    phone (a cart is often left before the platform knows the shopper as a customer).
    Two indexed lookups (by customer, by store and phone) rather than one OR that a
    planner may answer by reading every cart of the store."""
    ids = set(session.scalars(select(Checkout.id).where(Checkout.customer_id == customer.id,
                                                        Checkout.store_id == store_id)))
    phones = {p for p in (customer.phone_e164, f"+{customer.wa_id}" if customer.wa_id else None)
              if p}
    if phones:
        ids.update(session.scalars(select(Checkout.id).where(
            Checkout.store_id == store_id, Checkout.phone_e164.in_(sorted(phones)))))
    return sorted(ids)


def _steps(session: Session,
           checkout_ids: list[int]) -> Sequence[Row[int, int, int, str, datetime | None]]:
    """Every step of these checkouts (a few per cart), read by checkout only: the state is
    sorted out here, so the lookup goes by the checkout's index whatever the planner thinks
    of the state's."""
    if not checkout_ids:
        return []
    return session.execute(
        select(RecoveryStep.id, RecoveryStep.checkout_id, RecoveryStep.cycle,
               RecoveryStep.state, RecoveryStep.sent_at)
        .where(RecoveryStep.checkout_id.in_(checkout_ids))).all()


def _stop(session: Session, step_ids: list[int], reason: str) -> int:
    """Stop these steps if they are still waiting (a worker may have claimed one since).
    One row at a time, by primary key: a list of ids next to the state lets a planner pick
    the state's index and read every waiting step of every store."""
    now = db.utcnow()
    stopped = 0
    for step_id in step_ids:
        result = session.execute(
            update(RecoveryStep)
            .where(RecoveryStep.id == step_id, RecoveryStep.state == _SCHEDULED)
            .values(state=StepState.STOPPED.value, reason=reason, lease_until=None,
                    updated_at=now)
            .execution_options(synchronize_session=False))
        stopped += int(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult
    return stopped
