"""The sweeper: finds work whose job was lost (a dead worker, a queue outage) and requeues it;
and the housekeeping the queue's scheduler runs every minute.

Both are idempotent and safe to run from several workers at once: they only re-enqueue ids
(or delete what expired), and the jobs' claims decide who actually works on a row.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import and_, delete, or_, select, update

from plugin.domain.outbox import MessageState
from plugin.infra import db, queue
from plugin.models import EventState, InboundEvent, Message, OneTimeToken, WebSession
from plugin.pipeline import assistant_cancel, carts, cod_answers, customer_tags, retention
from plugin.pipeline.alerts import cross_sell_send
from plugin.pipeline.alerts import release as alert_release
from plugin.pipeline.campaigns import runner as campaign_runner
from plugin.pipeline.catalog import upkeep as catalog_upkeep
from plugin.pipeline.csat import send as csat_send
from plugin.pipeline.inbox import media as inbox_media
from plugin.pipeline.recovery import send as recovery_send
from plugin.platforms.whatsapp import authoring, templates
from plugin.platforms.woocommerce import reconcile

log = logging.getLogger(__name__)

# Rows re-enqueued per table per sweep; a larger backlog drains over following sweeps.
SWEEP_BATCH = 2000
# How often the relay looks for new events (embedded queue): the most a webhook waits
# before a worker takes it.
RELAY_INTERVAL_SECONDS = 0.2
# How often each worker's queue scheduler runs the housekeeping (Huey's periodic tasks are
# checked once a minute, so this is its finest grain).
HOUSEKEEPING_MINUTES = 1
# While jobs wait in the queue, a row queued more than the grace ago is most likely still
# among them: a second job would only join the same backlog and, sweep after sweep, make it
# longer (a backlog of 5,000 events once ran each about four times). So a backlog stretches
# the grace for queued rows by this factor; lapsed leases are recovered at once regardless.
BACKLOG_GRACE_FACTOR = 6


@dataclass(frozen=True, slots=True)
class SweepReport:
    """How many rows one sweep put back on the queue."""

    events: int
    messages: int


def sweep() -> SweepReport:
    """One full pass by hand (`storechat sweep`): recovery, then the housekeeping."""
    report = recover()
    housekeep()
    return report


def recover() -> SweepReport:
    """Re-enqueue events and messages that were queued long ago or whose lease ran out, and
    COD answers and catalog carts whose job to the store was lost, and claim the cart
    recovery steps that came due. Every worker's sweeper
    thread runs this every sweep_interval_seconds (seconds, not minutes: it is how a killed
    worker's work comes back, so it does not wait on the queue's minute-grained scheduler)."""
    settings = current_app.config["STORECHAT"]
    now = db.utcnow()
    stale = now - timedelta(seconds=settings.sweep_grace_seconds)
    queued_stale = stale
    if queue.waiting():
        queued_stale = now - timedelta(seconds=settings.sweep_grace_seconds * BACKLOG_GRACE_FACTOR)
    events = _requeue(
        InboundEvent,
        or_(
            and_(InboundEvent.state == EventState.PENDING.value,
                 or_(InboundEvent.enqueued_at.is_(None), InboundEvent.enqueued_at < queued_stale)),
            and_(InboundEvent.state == EventState.PROCESSING.value,
                 InboundEvent.lease_until < now),
        ),
        queue.Job.PROCESS_EVENT,
    )
    messages = _requeue(
        Message,
        or_(
            and_(Message.state == MessageState.PENDING.value,
                 or_(Message.enqueued_at.is_(None), Message.enqueued_at < queued_stale),
                 or_(Message.not_before.is_(None), Message.not_before <= now)),
            # A lapsed send lease first waits out the reconciliation grace (Meta's status
            # may show the message was sent: see leases.claim_message).
            and_(Message.state == MessageState.SENDING.value, Message.lease_until < now
                 - timedelta(seconds=settings.reconcile_grace_seconds)),
        ),
        queue.Job.SEND_MESSAGE,
    )
    if events or messages:
        log.info("sweeper re-enqueued %d events and %d messages", events, messages)
    # A shopper's COD answer whose job to the store was lost goes out again.
    cod_answers.enqueue_unapplied(now, stale)
    # Likewise a shopper's confirmed cancellation (the shop assistant's).
    assistant_cancel.enqueue_unapplied(now, stale)
    # A cart from the catalog whose checkout job was lost gets its checkout and pay link.
    carts.enqueue_lost(now)
    # A template the sandbox was to approve, whose delayed review job was lost.
    authoring.enqueue_lost_reviews(stale - timedelta(seconds=authoring.SANDBOX_REVIEW_SECONDS))
    # Catalog batches whose send or check was lost, and syncs whose worker stopped.
    catalog_upkeep.recover(now, stale)
    # Cart recovery steps that came due, and claimed ones whose job was lost (lapsed claim):
    # timers are rows claimed here like any job, never a sleeping thread.
    recovery_send.enqueue_due(now)
    # Campaigns whose start time came, or whose next tick's job was lost (lapsed lease).
    campaign_runner.enqueue_lost(now)
    return SweepReport(events, messages)


def housekeep() -> None:
    """The scheduled upkeep, run by the queue's periodic task `housekeeping` (every
    HOUSEKEEPING_MINUTES on each worker; every step is idempotent and only enqueues what is
    due): reconcile WooCommerce stores, resync WhatsApp templates, forget expired sessions
    and tokens, empty old webhook bodies, reconcile each catalog once a day."""
    settings = current_app.config["STORECHAT"]
    now = db.utcnow()
    _forget_expired(now)
    # WooCommerce webhooks are best-effort: each store is reconciled on its own cadence.
    reconcile.enqueue_due(now)
    # Templates are re-read from each connected WABA every few hours (due accounts only).
    templates.enqueue_due_syncs(now)
    # Processed webhook bodies (personal data) are emptied after the retention period.
    retention.purge_bodies(now, settings.webhook_retention_days)
    # A connected catalog gets its first full sync (the demo store's within a minute of
    # its creation), then is compared with Meta's copy once a day (orphans, drift).
    catalog_upkeep.request_first_syncs()
    catalog_upkeep.request_reconciles(now)
    # Back-in-stock alerts: settle sent ones, expire lapsed subscriptions, and release what
    # a restock's hourly quota held back once the hour has passed.
    alert_release.sweep(now)
    # Cross-sell suggestions whose days after delivery have passed.
    cross_sell_send.send_due(now)
    # Satisfaction surveys whose days after delivery have passed.
    csat_send.send_due(now)
    # Customer tags that change with time alone (`new`, `at_risk`) and the stores'
    # high_value thresholds are recomputed once a day, a bounded batch per run.
    customer_tags.run_daily(now)
    # Inbox media whose download job was lost are downloaded (still once).
    inbox_media.requeue_stale(now)


def relay() -> int:
    """Enqueue inbound events that were stored without a job (the embedded queue's path)."""
    return _requeue(
        InboundEvent,
        and_(InboundEvent.state == EventState.PENDING.value, InboundEvent.enqueued_at.is_(None)),
        queue.Job.PROCESS_EVENT,
    )


def _forget_expired(now: datetime) -> None:
    """Delete sessions and one-time tokens past their expiry (sign-in pages make many)."""
    with db.transaction() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.execute(delete(OneTimeToken).where(OneTimeToken.expires_at < now))


def _requeue(model: type, condition, job: queue.Job) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        # Lock the rows (PostgreSQL; SQLite ignores it) and skip those another sweeper holds:
        # two workers sweeping at once otherwise update overlapping rows in different orders
        # and deadlock, and would both enqueue the same rows.
        ids = list(session.scalars(
            select(model.id).where(condition).order_by(model.id).limit(SWEEP_BATCH)  # type: ignore[attr-defined]
            .with_for_update(skip_locked=True)
        ))
        if ids:
            session.execute(
                update(model).where(model.id.in_(ids)).values(enqueued_at=db.utcnow())  # type: ignore[attr-defined]
            )
        for row_id in ids:
            queue.enqueue_after_commit(session, job, row_id)
    return len(ids)


def start_threads(app: Flask, stop: threading.Event) -> list[threading.Thread]:
    """Recover lost work every sweep_interval_seconds and, with the embedded queue, relay
    new events every RELAY_INTERVAL_SECONDS, until `stop` is set."""
    loops = [("storechat-sweeper", recover, app.config["STORECHAT"].sweep_interval_seconds)]
    with app.app_context():
        if queue.relays_events():
            loops.append(("storechat-relay", relay, RELAY_INTERVAL_SECONDS))
    threads = []
    for name, work, interval in loops:
        thread = threading.Thread(target=_loop, args=(app, stop, work, interval), name=name,
                                  daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def _loop(app: Flask, stop: threading.Event, work: Callable[[], object], interval: float) -> None:
    while not stop.is_set():
        try:
            with app.app_context():
                work()
        except Exception:  # noqa: BLE001 - a failed pass must not kill the worker
            log.exception("%s failed; trying again in %ss", work.__name__, interval)
        stop.wait(interval)
