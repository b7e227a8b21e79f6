"""Webhook body retention: the raw bodies of inbound events hold personal data (names,
phones, addresses, messages), so they are emptied once they are processed and older than the
retention period (STORECHAT_WEBHOOK_RETENTION_DAYS, 30 by default).

The row is kept, only its body goes: its (source, dedupe_key) must keep recognising a late
redelivery as a duplicate (Meta retries for up to 7 days, Shopify for 48 hours, WooCommerce
until its webhook is disabled), and its topic, times and state stay for the owner's history.
Neither the key nor those columns name a person. A row that is not processed yet, or failed
and waits to be retried (state pending, or processing), keeps its body whatever its age: its
job still needs it. Rows parked as failed count as processed here: nothing retries them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from plugin.infra import db
from plugin.models import EventState, InboundEvent

# Rows emptied per statement, and statements per sweep: a large backlog (the first run on
# an old database) drains over several sweeps without a long write lock.
PURGE_BATCH = 500
PURGE_BATCHES_PER_SWEEP = 4
PURGED_BODY = b""
# States whose job is over: nothing will read the body again.
_DONE = (EventState.PROCESSED.value, EventState.IGNORED.value, EventState.FAILED.value)


def purge_bodies(now: datetime, retention_days: int) -> int:
    """Empty the bodies of events processed more than `retention_days` ago; how many."""
    cutoff = now - timedelta(days=retention_days)
    purged = 0
    for _ in range(PURGE_BATCHES_PER_SWEEP):
        with db.transaction() as session:
            # The partial index ix_inbound_events_body_retention holds exactly these rows.
            ids = list(session.scalars(
                select(InboundEvent.id)
                .where(InboundEvent.processed_at.is_not(None),
                       InboundEvent.body_purged_at.is_(None),
                       InboundEvent.processed_at < cutoff,
                       InboundEvent.state.in_(_DONE))
                .order_by(InboundEvent.processed_at).limit(PURGE_BATCH)))
            if ids:
                session.execute(update(InboundEvent)
                                .where(InboundEvent.id.in_(ids),
                                       InboundEvent.state.in_(_DONE))
                                .values(body=PURGED_BODY, body_purged_at=now))
        purged += len(ids)
        if len(ids) < PURGE_BATCH:
            break
    return purged
