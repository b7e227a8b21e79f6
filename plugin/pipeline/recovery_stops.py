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

from datetime import datetime

from sqlalchemy import ColumnElement, Select, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

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
    sent = aliased(RecoveryStep)
    answered = exists().where(sent.checkout_id == RecoveryStep.checkout_id,
                              sent.cycle == RecoveryStep.cycle, sent.state == _SENT,
                              sent.sent_at.is_not(None), sent.sent_at <= at)
    return _stop(session, _customer_checkouts(store_id, customer), REPLIED, answered)


def shopper_opted_out(session: Session, store_id: int, customer: Customer) -> int:
    """Stop every waiting step of the customer's checkouts; the number of steps stopped."""
    return _stop(session, _customer_checkouts(store_id, customer), OPTED_OUT)


def store_uninstalled(session: Session, store_id: int) -> int:
    """Stop every waiting step of the store's checkouts; the number of steps stopped."""
    return _stop(session, select(Checkout.id).where(Checkout.store_id == store_id), UNINSTALLED)


def _customer_checkouts(store_id: int, customer: Customer) -> Select[int]:
    """The ids of the store's checkouts of this customer: linked to them, or with their
    phone (a cart is often left before the platform knows the shopper as a customer)."""
    phones = {p for p in (customer.phone_e164, f"+{customer.wa_id}" if customer.wa_id else None)
              if p}
    matches = [Checkout.customer_id == customer.id]
    if phones:
        matches.append(Checkout.phone_e164.in_(sorted(phones)))
    return select(Checkout.id).where(Checkout.store_id == store_id, or_(*matches))


def _stop(session: Session, checkouts: Select[int], reason: str,
          *conditions: ColumnElement[bool]) -> int:
    now = db.utcnow()
    result = session.execute(
        update(RecoveryStep)
        .where(RecoveryStep.checkout_id.in_(checkouts), RecoveryStep.state == _SCHEDULED,
               *conditions)
        .values(state=StepState.STOPPED.value, reason=reason, lease_until=None, updated_at=now)
        .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult
