"""Cart recovery timers: schedule each open checkout's recovery steps, and let workers claim
the due ones.

Groundwork only: nothing is sent from here (the send, its template and its policy come next).
A step is a row with a due time (models.RecoveryStep), so timers survive restarts. The delays
live in DEFAULT_STEP_DELAYS alone, the one place the per-store sequence editor will replace.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlalchemy import String, Table, and_, cast, exists, literal, or_, select, update
from sqlalchemy.orm import Session

from plugin.infra import db
from plugin.models import Checkout, RecoveryStep, StepState
from plugin.pipeline import recovery_stops

# Default delay of each step after the checkout's last activity: 1 hour, 1 day, 3 days.
DEFAULT_STEP_DELAYS = (timedelta(minutes=60), timedelta(days=1), timedelta(days=3))
# No step is due sooner than this after the last activity: Shopify's recovery link works only
# some minutes after the checkout is created.
MIN_DELAY = timedelta(minutes=15)
# How long a claimed step is held by its worker before another may take it.
CLAIM_LEASE = timedelta(minutes=5)
# Why steps were not sent, as the owner reads them.
EMPTIED = "the cart was emptied"
NO_PHONE = "no phone"
RECOVERED_BEFORE = "recovered before step "

_TABLE: Table = RecoveryStep.__table__  # type: ignore[assignment]  # a Table, typed wider
_SCHEDULED, _CLAIMED = StepState.SCHEDULED.value, StepState.CLAIMED.value


def step_delays() -> tuple[timedelta, ...]:
    """The delay of each step after the last activity, never below MIN_DELAY."""
    return tuple(max(delay, MIN_DELAY) for delay in DEFAULT_STEP_DELAYS)


def cart_hash(checkout: Checkout) -> str:
    """Fingerprint of what makes a cart materially different: its items, count and total."""
    basis = json.dumps([checkout.items, checkout.item_count, checkout.total, checkout.currency],
                       sort_keys=True, default=str)
    return hashlib.sha256(basis.encode()).hexdigest()


def schedule(session: Session, checkout: Checkout, now: datetime | None = None) -> None:
    """Bring the checkout's recovery steps in line with its state: create them for an open
    checkout with a phone and items, push not-yet-due steps after new activity, skip or stop
    them when it completes, empties or loses its phone, and start a new cycle when the cart
    changes materially after the sequence ended. Idempotent for a repeated state."""
    now = now or db.utcnow()
    rows = _latest_cycle(session, checkout.id)
    pending = [row for row in rows if row.state == _SCHEDULED]
    if checkout.completed_at is not None:
        if pending:
            reason = RECOVERED_BEFORE + str(min(row.step for row in pending))
            _end(pending, StepState.SKIPPED, reason, now)
        return
    if checkout.item_count <= 0 or not checkout.items:
        _end(pending, StepState.STOPPED, EMPTIED, now)
        return
    if not checkout.phone_e164:
        # The checkout's phone_problem says why to the owner; no rows are made for it.
        _end(pending, StepState.STOPPED, checkout.phone_problem or NO_PHONE, now)
        return
    fingerprint = cart_hash(checkout)
    if pending:
        _follow_activity(checkout, pending, fingerprint, now)
    elif not rows or rows[0].cart_hash != fingerprint or _stopped_unsent(rows):
        _start_cycle(session, checkout, (rows[0].cycle + 1) if rows else 1, fingerprint, now)


def claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    """Claim up to `limit` due steps (scheduled and due, or claimed with a lapsed lease) for
    this worker with one conditional UPDATE; a row goes to one claimer only. Due steps whose
    checkout completed meanwhile are first marked skipped ("recovered before step N")."""
    completed = exists().where(Checkout.id == _TABLE.c.checkout_id,
                               Checkout.completed_at.is_not(None))
    session.execute(
        update(_TABLE)
        .where(_TABLE.c.state == _SCHEDULED, _TABLE.c.due_at <= now,
               completed)
        .values(state=StepState.SKIPPED.value, updated_at=now,
                reason=literal(RECOVERED_BEFORE) + cast(_TABLE.c.step, String))
        .execution_options(synchronize_session=False))
    # A lapsed claim of a completed checkout is left alone, not taken again: its worker may
    # have sent it, and a recovered cart gets nothing more.
    claimable = and_(~completed, or_(
        and_(_TABLE.c.state == _SCHEDULED, _TABLE.c.due_at <= now),
        and_(_TABLE.c.state == _CLAIMED, _TABLE.c.lease_until < now)))
    candidates = list(session.scalars(
        select(_TABLE.c.id).where(claimable).order_by(_TABLE.c.due_at, _TABLE.c.id).limit(limit)))
    if not candidates:
        return []
    # The condition is checked again by the UPDATE itself: a row another worker claimed
    # between our SELECT and this UPDATE no longer matches, so it is not returned to us.
    claimed = session.execute(
        update(_TABLE)
        .where(_TABLE.c.id.in_(candidates), claimable)
        .values(state=_CLAIMED, lease_until=now + CLAIM_LEASE, updated_at=now)
        .returning(_TABLE.c.id)
        .execution_options(synchronize_session=False))
    return sorted(claimed.scalars())


def _latest_cycle(session: Session, checkout_id: int) -> list[RecoveryStep]:
    """The rows of the checkout's latest cycle, by step (empty when it has none)."""
    rows = list(session.scalars(select(RecoveryStep).where(RecoveryStep.checkout_id == checkout_id)
                                .order_by(RecoveryStep.cycle.desc(), RecoveryStep.step)))
    return [row for row in rows if row.cycle == rows[0].cycle] if rows else []


def _stopped_unsent(rows: list[RecoveryStep]) -> bool:
    """True when the cycle was stopped before any step was claimed (emptied, phone lost):
    once the cause is gone, the cart deserves a sequence again even if it looks the same.
    Not after a stop the cart cannot undo (the shopper opted out, the store uninstalled)."""
    return all(row.state == StepState.STOPPED.value
               and row.reason not in recovery_stops.LASTING_REASONS for row in rows)


def _due_times(checkout: Checkout, now: datetime) -> list[datetime]:
    base = checkout.activity_at or now
    return [base + delay for delay in step_delays()]


def _start_cycle(session: Session, checkout: Checkout, cycle: int, fingerprint: str,
                 now: datetime) -> None:
    for step, due_at in enumerate(_due_times(checkout, now), start=1):
        session.add(RecoveryStep(checkout_id=checkout.id, step=step, cycle=cycle, due_at=due_at,
                                 state=_SCHEDULED, cart_hash=fingerprint, created_at=now,
                                 updated_at=now))
    session.flush()


def _follow_activity(checkout: Checkout, pending: list[RecoveryStep], fingerprint: str,
                     now: datetime) -> None:
    """Move steps that are not yet due to the new activity's due times (a due step stays,
    so a worker that is behind still sends it); keep the fingerprint current."""
    due_times = _due_times(checkout, now)
    for row in pending:
        due_at = due_times[row.step - 1] if row.step <= len(due_times) else row.due_at
        changes: dict[str, object] = {"cart_hash": fingerprint}
        if row.due_at > now and due_at > row.due_at:
            changes["due_at"] = due_at
        _assign(row, changes, now)


def _end(rows: list[RecoveryStep], state: StepState, reason: str, now: datetime) -> None:
    for row in rows:
        _assign(row, {"state": state.value, "reason": reason[:120], "lease_until": None}, now)


def _assign(row: RecoveryStep, values: dict[str, object], now: datetime) -> None:
    """Write only what changed, so a repeated delivery leaves the rows as they are."""
    changed = {key: value for key, value in values.items() if getattr(row, key) != value}
    for key, value in changed.items():
        setattr(row, key, value)
    if changed:
        row.updated_at = now
