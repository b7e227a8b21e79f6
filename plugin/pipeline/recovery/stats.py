"""What cart recovery did for a store, read-only: the figures per step and overall for a
period, why carts got no message, and the recent carts with the state of each step.

Each figure counts the event in its own time: a cart is *seen* when its last activity falls
in the period, a message is counted (with its delivery, read and click) when it was sent in
the period, a recovered order when it was recovered in the period. Counting is done by the
database (one grouped query per figure family, never one per cart); only recovered rows are
read one by one, because their totals are exact decimal strings that must be summed as
Decimals per currency (SQLite's NUMERIC is a float). Works on SQLite and PostgreSQL.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import SQLCoreOperations

from plugin.domain.outbox import MessageState
from plugin.models import Checkout, Message, RecoveryStep, StepState

# The period the figures cover unless asked otherwise.
DEFAULT_DAYS = 30
# Reasons that name a moment ("quiet hours until 09:00") are counted under their first part.
_MOMENT_TAILS = (" until ", " (")
_DELIVERED = (MessageState.DELIVERED.value, MessageState.READ.value)
_NOT_SENT = (StepState.SKIPPED.value, StepState.STOPPED.value)
NO_PHONE = "no phone"


@dataclass(frozen=True, slots=True)
class Period:
    """[since, until) in naive UTC."""

    since: datetime
    until: datetime

    @property
    def days(self) -> int:
        """The period's length in whole days (at least 1)."""
        return max((self.until - self.since).days, 1)


def last_days(now: datetime, days: int = DEFAULT_DAYS) -> Period:
    """The `days` days up to `now`."""
    return Period(since=now - timedelta(days=days), until=now)


@dataclass(slots=True)
class StepFigures:
    """One step's figures in the period (all steps together for the overall line)."""

    step: int
    sent: int = 0
    delivered: int = 0
    read: int = 0
    clicked: int = 0
    failed: int = 0
    not_sent: int = 0  # skipped or stopped in the period
    recovered: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)  # by currency


@dataclass(slots=True)
class Figures:
    """A store's cart recovery in a period."""

    period: Period
    carts_seen: int = 0
    reachable: int = 0  # carts seen with a phone we can message
    steps: list[StepFigures] = field(default_factory=list)
    reasons: list[tuple[str, int]] = field(default_factory=list)  # most frequent first

    @property
    def total(self) -> StepFigures:
        """Every step added up."""
        total = StepFigures(step=0)
        for row in self.steps:
            for name in ("sent", "delivered", "read", "clicked", "failed", "not_sent",
                         "recovered"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
            for currency, amount in row.revenue.items():
                total.revenue[currency] = total.revenue.get(currency, Decimal(0)) + amount
        return total


def _in(column: SQLCoreOperations[Any], period: Period) -> ColumnElement[bool]:
    return column.between(period.since, period.until)


def figures(session: Session, store_id: int, period: Period,
            steps: Sequence[int] = ()) -> Figures:
    """The store's figures for `period`, with a line for each of `steps` (and for any other
    step that has figures), ordered by step."""
    result = Figures(period=period)
    seen_at = func.coalesce(Checkout.activity_at, Checkout.created_at)
    seen = session.execute(select(func.count(Checkout.id), func.count(Checkout.phone_e164))
                           .where(Checkout.store_id == store_id, _in(seen_at, period))).one()
    result.carts_seen, result.reachable = int(seen[0]), int(seen[1])
    lines = {step: StepFigures(step=step) for step in steps}

    def line(step: int) -> StepFigures:
        return lines.setdefault(step, StepFigures(step=step))

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    sent = session.execute(
        select(RecoveryStep.step, func.count(RecoveryStep.id),
               count_if(Message.state.in_(_DELIVERED)),
               count_if(Message.state == MessageState.READ.value),
               count_if(RecoveryStep.clicked_at.is_not(None)),
               count_if(Message.state == MessageState.FAILED.value))
        .join(Checkout, Checkout.id == RecoveryStep.checkout_id)
        .outerjoin(Message, Message.id == RecoveryStep.message_id)
        .where(Checkout.store_id == store_id, RecoveryStep.state == StepState.SENT.value,
               _in(RecoveryStep.sent_at, period))
        .group_by(RecoveryStep.step))
    for step, count, delivered, read, clicked, failed in sent:
        row = line(int(step))
        row.sent, row.delivered, row.read = int(count), int(delivered), int(read)
        row.clicked, row.failed = int(clicked), int(failed)

    # Steps that ended unsent, and steps still waiting for a reason (quiet hours: deferred).
    reasons: dict[str, int] = defaultdict(int)
    held = or_(RecoveryStep.state.in_(_NOT_SENT),
               and_(RecoveryStep.state == StepState.SCHEDULED.value,
                    RecoveryStep.reason.is_not(None)))
    ended = session.execute(
        select(RecoveryStep.step, RecoveryStep.state, RecoveryStep.reason,
               func.count(RecoveryStep.id))
        .join(Checkout, Checkout.id == RecoveryStep.checkout_id)
        .where(Checkout.store_id == store_id, held, _in(RecoveryStep.updated_at, period))
        .group_by(RecoveryStep.step, RecoveryStep.state, RecoveryStep.reason))
    for step, state, reason, count in ended:
        if state in _NOT_SENT:
            line(int(step)).not_sent += int(count)
        reasons[reason_kind(reason)] += int(count)
    # A cart without a phone gets no step rows at all: its own problem says why.
    phoneless = session.execute(
        select(Checkout.phone_problem, func.count(Checkout.id))
        .where(Checkout.store_id == store_id, Checkout.phone_e164.is_(None),
               _in(seen_at, period))
        .group_by(Checkout.phone_problem))
    for problem, count in phoneless:
        reasons[no_phone_words(problem)] += int(count)

    recovered = session.execute(
        select(Checkout.recovered_step, Checkout.recovered_currency, Checkout.recovered_total)
        .where(Checkout.store_id == store_id, _in(Checkout.recovered_at, period)))
    for recovered_step, currency, total in recovered:
        row = line(int(recovered_step or 0))
        row.recovered += 1
        code = currency or ""
        row.revenue[code] = row.revenue.get(code, Decimal(0)) + amount(total)
    result.steps = [lines[number] for number in sorted(lines)]
    result.reasons = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return result


def amount(raw: str | None) -> Decimal:
    """A stored decimal string as a Decimal; 0 for anything unreadable (never raises)."""
    try:
        value = Decimal(raw or "0")
    except InvalidOperation:
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


def reason_kind(reason: str | None) -> str:
    """The reason as counted: "quiet hours until 09:00" counts as "quiet hours"."""
    text = (reason or "").strip() or "no reason recorded"
    for tail in _MOMENT_TAILS:
        head, found, _rest = text.partition(tail)
        if found and head:
            return head
    return text


def no_phone_words(problem: str | None) -> str:
    """Why a cart had no phone, as counted among the reasons."""
    problem = (problem or "").strip()
    return NO_PHONE if not problem or problem == NO_PHONE else f"{NO_PHONE}: {problem}"
