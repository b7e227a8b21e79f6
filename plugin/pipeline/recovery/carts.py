"""A store's recent carts as the owner reads them: who, what, how much, and where each
recovery step of the cart's latest cycle stands, with its reason in words.

Read-only. The carts are given (a page of `Checkout` rows); their steps and the states of
their messages are read in one query for the whole page.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain.money import format_money
from plugin.domain.phones import masked
from plugin.models import Checkout, Message, RecoveryStep, StepState
from plugin.pipeline.recovery.stats import amount

# How the outbox state of a sent step's message reads, after "sent".
_MESSAGE_WORDS = {"pending": "waiting to go out", "sending": "going out", "sent": "sent",
                  "delivered": "delivered", "read": "read", "failed": "failed",
                  "skipped": "not sent"}


@dataclass(frozen=True, slots=True)
class StepView:
    """One step of a cart as shown: its number, state and the words that explain it."""

    step: int
    state: str
    message_state: str | None
    clicked: bool
    words: str
    due_at: datetime | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class CartRow:
    """A cart in the recent list."""

    id: int
    activity_at: datetime | None
    first_name: str
    phone: str  # masked; the phone problem when there is no phone
    has_phone: bool
    item_count: int
    total: str  # exact decimal string, as stored
    total_words: str  # in the cart's currency
    currency: str
    completed_at: datetime | None
    recovered_at: datetime | None
    recovered_total: str | None
    recovered_currency: str | None
    recovered_words: str  # '' when not recovered
    recovered_step: int | None
    recovered_clicked: bool
    steps: tuple[StepView, ...]


def step_words(state: str, reason: str | None, message_state: str | None, clicked: bool,
               due_at: datetime | None) -> str:
    """A step's state in the owner's words: "sent, read, clicked", "skipped: recovered
    before step 2", "due 2026-12-06 09:00 UTC (quiet hours until 09:00)"."""
    if state == StepState.SENT.value:
        words = "sent"
        if message_state and message_state != "sent":
            words += ", " + _MESSAGE_WORDS.get(message_state, message_state)
        return words + (", clicked" if clicked else "")
    if state in (StepState.SKIPPED.value, StepState.STOPPED.value):
        return f"{'skipped' if state == StepState.SKIPPED.value else 'stopped'}: " \
               f"{reason or 'no reason recorded'}"
    if state == StepState.CLAIMED.value:
        return "being sent now"
    when = f"due {due_at:%Y-%m-%d %H:%M} UTC" if due_at else "scheduled"
    return f"{when} ({reason})" if reason else when


def cart_rows(session: Session, checkouts: Sequence[Checkout]) -> list[CartRow]:
    """The carts, in the order given, each with the steps of its latest cycle."""
    ids = [c.id for c in checkouts]
    steps: dict[int, list[tuple[RecoveryStep, str | None]]] = {i: [] for i in ids}
    if ids:
        query = (select(RecoveryStep, Message.state)
                 .outerjoin(Message, Message.id == RecoveryStep.message_id)
                 .where(RecoveryStep.checkout_id.in_(ids))
                 .order_by(RecoveryStep.checkout_id, RecoveryStep.cycle, RecoveryStep.step))
        for step, message_state in session.execute(query):
            steps[step.checkout_id].append((step, message_state))
    return [_row(c, steps[c.id]) for c in checkouts]


def _row(checkout: Checkout, steps: list[tuple[RecoveryStep, str | None]]) -> CartRow:
    latest = max((s.cycle for s, _ in steps), default=0)
    views = tuple(StepView(step=s.step, state=s.state, message_state=m,
                           clicked=s.clicked_at is not None,
                           words=step_words(s.state, s.reason, m, s.clicked_at is not None,
                                            s.due_at),
                           due_at=s.due_at, sent_at=s.sent_at)
                  for s, m in steps if s.cycle == latest)
    recovered = ""
    if checkout.recovered_at is not None:
        recovered = format_money(amount(checkout.recovered_total),
                                 checkout.recovered_currency or "", checkout.locale)
    phone = (masked(checkout.phone_e164) if checkout.phone_e164
             else f"no phone{': ' + checkout.phone_problem if checkout.phone_problem else ''}")
    return CartRow(
        id=checkout.id, activity_at=checkout.activity_at or checkout.created_at,
        first_name=checkout.first_name or "", phone=phone,
        has_phone=bool(checkout.phone_e164), item_count=int(checkout.item_count or 0),
        total=checkout.total or "0", currency=checkout.currency or "",
        total_words=format_money(amount(checkout.total), checkout.currency or "",
                                 checkout.locale),
        completed_at=checkout.completed_at, recovered_at=checkout.recovered_at,
        recovered_total=checkout.recovered_total,
        recovered_currency=checkout.recovered_currency, recovered_words=recovered,
        recovered_step=checkout.recovered_step, recovered_clicked=checkout.recovered_clicked,
        steps=views)


def recent(session: Session, store_id: int, limit: int) -> list[CartRow]:
    """The store's `limit` carts with the latest activity, newest first."""
    seen_at = Checkout.activity_at
    rows = session.scalars(select(Checkout).where(Checkout.store_id == store_id)
                           .order_by(seen_at.desc().nulls_last(), Checkout.id.desc())
                           .limit(limit))
    return cart_rows(session, list(rows))
