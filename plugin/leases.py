"""Claiming rows with a lease, so that one worker at a time works on each.

A claim is one conditional UPDATE: it succeeds for exactly one worker on SQLite and on
PostgreSQL alike, and a worker that dies leaves a lease that simply runs out. Callers load
the row after claiming it, so the ORM need not look for copies in the session to update
(synchronize_session=False): that search cost more than the UPDATE itself.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from plugin.domain.outbox import MessageState
from plugin.models import EventState, InboundEvent, Message


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


def claim_message(session: Session, message_id: int, now: datetime, lease_seconds: int) -> bool:
    """Lease a message that is due (pending) or whose send lease ran out; True if we got it."""
    statement = (
        update(Message)
        .where(
            Message.id == message_id,
            or_(
                and_(Message.state == MessageState.PENDING.value,
                     or_(Message.not_before.is_(None), Message.not_before <= now)),
                and_(Message.state == MessageState.SENDING.value, Message.lease_until < now),
            ),
        )
        .values(state=MessageState.SENDING.value,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=Message.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1
