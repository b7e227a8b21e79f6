"""Claiming rows with a lease, so that one worker at a time works on each.

A claim is one conditional UPDATE: it succeeds for exactly one worker on SQLite and on
PostgreSQL alike, and a worker that dies leaves a lease that simply runs out. Callers load
the row after claiming it, so the UPDATEs go to the tables, not the mapped classes: the
ORM's bulk-update work (finding copies in the session) cost more than the UPDATE itself.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from plugin.domain.outbox import MessageState
from plugin.models import EventState, InboundEvent, Message

_MESSAGES = Message.__table__


def claim_event(session: Session, event_id: int, now: datetime, lease_seconds: int) -> bool:
    """Lease an inbound event that is pending or whose lease ran out; True if we got it."""
    statement = (
        update(InboundEvent)
        .where(
            InboundEvent.id == event_id,
            or_(
                InboundEvent.state == EventState.PENDING.value,
                and_(InboundEvent.state == EventState.PROCESSING.value,
                     InboundEvent.lease_until < now),
            ),
        )
        .values(state=EventState.PROCESSING.value,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=InboundEvent.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1


_PENDING, _LEASED = MessageState.PENDING.value, MessageState.SENDING.value
# Every send starts here: built once, so that a send pays only for running it.
_CLAIM_MESSAGE = (
    update(_MESSAGES)
    .where(
        _MESSAGES.c.id == bindparam("message_id"),
        or_(
            and_(_MESSAGES.c.state == _PENDING,
                 or_(_MESSAGES.c.not_before.is_(None),
                     _MESSAGES.c.not_before <= bindparam("now"))),
            and_(_MESSAGES.c.state == _LEASED,
                 _MESSAGES.c.lease_until < bindparam("lapsed_before")),
        ),
    )
    .values(state=_LEASED, lease_until=bindparam("lease_end"),
            attempts=_MESSAGES.c.attempts + 1)
)


def claim_message(session: Session, message_id: int, now: datetime, lease_seconds: int,
                  grace_seconds: int = 0) -> bool:
    """Lease a message that is due (pending) or whose send lease ran out more than
    `grace_seconds` ago; True if we got it.

    The grace is the reconciliation hold: a worker that died mid-send may have sent the
    message, and Meta's `sent` status (echoing our id) moves it on if so, within the grace.
    """
    return session.execute(_CLAIM_MESSAGE, {
        "message_id": message_id, "now": now,
        "lapsed_before": now - timedelta(seconds=grace_seconds),
        "lease_end": now + timedelta(seconds=lease_seconds)}).rowcount == 1


def claim_batch(session: Session, *, store_id: int, cause: str, now: datetime,
                lease_seconds: int, limit: int, grace_seconds: int = 0) -> list[int]:
    """Lease up to `limit` due messages of one store and cause (pending and due, or leased
    with a lease that ran out more than `grace_seconds` ago: see claim_message), oldest
    first, in one statement; the ids we got.

    PostgreSQL: UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING, so
    concurrent engines take disjoint rows without waiting on each other. SQLite has one
    writer at a time, so the same UPDATE … RETURNING without the locking clause is as
    exclusive: a second engine's statement runs after the first committed and sees the
    rows leased.
    """
    due = or_(
        and_(_MESSAGES.c.state == _PENDING,
             or_(_MESSAGES.c.not_before.is_(None), _MESSAGES.c.not_before <= now)),
        and_(_MESSAGES.c.state == _LEASED,
             _MESSAGES.c.lease_until < now - timedelta(seconds=grace_seconds)),
    )
    chosen = (select(_MESSAGES.c.id)
              .where(_MESSAGES.c.store_id == store_id, _MESSAGES.c.cause == cause, due)
              .order_by(_MESSAGES.c.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    statement = (
        update(_MESSAGES)
        .where(_MESSAGES.c.id.in_(chosen.scalar_subquery()), due)
        .values(state=_LEASED, lease_until=now + timedelta(seconds=lease_seconds),
                attempts=_MESSAGES.c.attempts + 1)
        .returning(_MESSAGES.c.id)
    )
    return sorted(session.scalars(statement))


def renew_batch(session: Session, ids: list[int], *, held_until: datetime,
                until: datetime) -> list[int]:
    """Extend to `until` the leases on `ids` that are still ours (leased, and leased until
    `held_until`, the time we set); the ids we still hold. A row whose lease ran out and
    was taken by another engine carries that engine's time, so it is left to them."""
    if not ids:
        return []
    statement = (
        update(_MESSAGES)
        .where(_MESSAGES.c.id.in_(ids), _MESSAGES.c.state == _LEASED,
               _MESSAGES.c.lease_until == held_until)
        .values(lease_until=until)
        .returning(_MESSAGES.c.id)
    )
    return sorted(session.scalars(statement))
