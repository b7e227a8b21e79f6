"""Cart recovery timers: schedule each open checkout's recovery steps, and let workers claim
the due ones.

A step is a row with a due time (models.RecoveryStep), so timers survive restarts. Which steps
a checkout gets, and their delays, are the store's enabled recovery steps
(recovery_steps.store_steps); a store with the sequence off gets no new rows. Sending a
claimed step is plugin/pipeline/recovery_send.py.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Exists,
    Select,
    String,
    Table,
    and_,
    cast,
    exists,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from plugin.domain import recovery
from plugin.domain.recovery_messages import (  # noqa: F401 - the owner's reasons, one place
    EMPTIED,
    MEDIA_HEADER,
    NO_DISCOUNT,
    NO_IMAGE,
    NO_PHONE,
    NO_STEP_DISCOUNT,
    NOT_APPROVED,
    ORDERED_BEFORE,
    ORDERED_SINCE,
    OVERTAKEN,
    QUIET_HOURS,
    RECOVERED_BEFORE,
    REPLIED,
    STORE_RECONNECT,
    STORE_UNINSTALLED,
    TEXT_HEADER,
    TURNED_OFF,
)
from plugin.infra import db
from plugin.models import Checkout, RecoveryStep, StepState
from plugin.pipeline.recovery import steps as recovery_steps
from plugin.pipeline.recovery import stops as recovery_stops

# How long a claimed step is held by its worker before another may take it.
CLAIM_LEASE = timedelta(minutes=5)
# Why a step was not sent, as the owner reads it: the reasons above come from the domain
# (plugin/domain/recovery_messages.py), which decides most of them; these are the timers'.
DISCOUNT_FAILED = "the discount code could not be created yet (try {attempt} of {tries}): "

_TABLE: Table = RecoveryStep.__table__  # type: ignore[assignment]  # a Table, typed wider
_SCHEDULED, _CLAIMED = StepState.SCHEDULED.value, StepState.CLAIMED.value


def step_delays(session: Session, store_id: int) -> dict[int, timedelta]:
    """The store's enabled steps and the delay each waits after the last activity (never
    below recovery.MIN_DELAY_MINUTES); empty when the sequence is off."""
    return {rule.step: timedelta(minutes=recovery.effective_delay_minutes(rule.delay_minutes))
            for rule in recovery_steps.store_steps(session, store_id)}


def cart_hash(checkout: Checkout) -> str:
    """Fingerprint of what makes a cart materially different: its items, count and total."""
    basis = json.dumps([checkout.items, checkout.item_count, checkout.total, checkout.currency],
                       sort_keys=True, default=str)
    return hashlib.sha256(basis.encode()).hexdigest()


def schedule(session: Session, checkout: Checkout, now: datetime | None = None) -> None:
    """Bring the checkout's recovery steps in line with its state: create the store's enabled
    steps for an open checkout with a phone and items, push not-yet-due steps after new
    activity, skip or stop them when it completes, empties or loses its phone, and start a
    new cycle when the cart changes materially after the sequence ended. Idempotent for a
    repeated state."""
    now = now or db.utcnow()
    rows = _latest_cycle(session, checkout.id)
    pending = [row for row in rows if row.state == _SCHEDULED]
    if checkout.completed_at is not None:
        if pending:
            # "Recovered" only once one of our messages went out (or is going out); a cart
            # completed before the first one was simply ordered.
            sent = any(row.state in (StepState.SENT.value, _CLAIMED) for row in rows)
            reason = (RECOVERED_BEFORE if sent else ORDERED_BEFORE) + str(
                min(row.step for row in pending))
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
    due_times = _due_times(checkout, step_delays(session, checkout.store_id), now)
    if pending:
        _follow_activity(pending, due_times, fingerprint, now)
    elif due_times and (not rows or rows[0].cart_hash != fingerprint
                        or _stopped_unsent(rows)):
        _start_cycle(session, checkout, (rows[0].cycle + 1) if rows else 1, due_times,
                     fingerprint, now)


def claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    """Claim up to `limit` due steps (scheduled and due, or claimed with a lapsed lease) for
    this worker with one conditional UPDATE; a row goes to one claimer only. Due steps whose
    checkout completed meanwhile are first marked skipped ("recovered before step N")."""
    # Completions skip their steps as they happen (schedule); this catches the rest, among
    # due rows only, each checked by its checkout's primary key. A lapsed claim is skipped
    # too: its job never committed (a send writes its step and message in one transaction).
    session.execute(
        update(_TABLE)
        .where(_due_or_lapsed(now), _completed())
        .values(state=StepState.SKIPPED.value, updated_at=now, lease_until=None,
                reason=literal(RECOVERED_BEFORE) + cast(_TABLE.c.step, String))
        .execution_options(synchronize_session=False))
    candidates = list(session.scalars(due_query(now, limit)))
    if not candidates:
        return []
    # The condition is checked again by the UPDATE itself: a row another worker claimed
    # between our SELECT and this UPDATE no longer matches, so it is not returned to us,
    # and a checkout completed in between is not claimed.
    claimed = session.execute(
        update(_TABLE)
        .where(_TABLE.c.id.in_(candidates), _due_or_lapsed(now), ~_completed())
        .values(state=_CLAIMED, lease_until=now + CLAIM_LEASE, updated_at=now)
        .returning(_TABLE.c.id)
        .execution_options(synchronize_session=False))
    return sorted(claimed.scalars())


def due_query(now: datetime, limit: int) -> Select[tuple[int]]:
    """The ids of up to `limit` claimable steps, oldest due first: what a worker's claim
    reads, from the (state, due_at) index alone, so its cost does not grow with the carts
    that are not due (the benchmark explains this statement)."""
    return (select(_TABLE.c.id).where(_due_or_lapsed(now))
            .order_by(_TABLE.c.due_at, _TABLE.c.id).limit(limit))


def _completed() -> Exists:
    return exists().where(Checkout.id == _TABLE.c.checkout_id, Checkout.completed_at.is_not(None))


def _due_or_lapsed(now: datetime) -> ColumnElement[bool]:
    return or_(and_(_TABLE.c.state == _SCHEDULED, _TABLE.c.due_at <= now),
               and_(_TABLE.c.state == _CLAIMED, _TABLE.c.lease_until < now))


def end_rest(session: Session, checkout_id: int, cycle: int, state: StepState, reason: str,
             now: datetime) -> None:
    """End the steps of the checkout's `cycle` still waiting (scheduled) with `reason`: a
    sequence that stopped, or a checkout an order completed."""
    session.execute(
        update(_TABLE)
        .where(_TABLE.c.checkout_id == checkout_id, _TABLE.c.cycle == cycle,
               _TABLE.c.state == _SCHEDULED)
        .values(state=state.value, reason=reason[:120], lease_until=None, updated_at=now)
        .execution_options(synchronize_session=False))


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


def _due_times(checkout: Checkout, delays: dict[int, timedelta],
               now: datetime) -> dict[int, datetime]:
    """When each enabled step is due after the checkout's last activity."""
    base = checkout.activity_at or now
    return {step: base + delay for step, delay in delays.items()}


def _start_cycle(session: Session, checkout: Checkout, cycle: int,
                 due_times: dict[int, datetime], fingerprint: str, now: datetime) -> None:
    for step, due_at in sorted(due_times.items()):
        session.add(RecoveryStep(checkout_id=checkout.id, step=step, cycle=cycle, due_at=due_at,
                                 state=_SCHEDULED, cart_hash=fingerprint, created_at=now,
                                 updated_at=now))
    session.flush()


def _follow_activity(pending: list[RecoveryStep], due_times: dict[int, datetime],
                     fingerprint: str, now: datetime) -> None:
    """Move steps that are not yet due to the new activity's due times (a due step stays,
    so a worker that is behind still sends it; a step turned off keeps its time and is
    skipped when due); keep the fingerprint current."""
    for row in pending:
        due_at = due_times.get(row.step, row.due_at)
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
