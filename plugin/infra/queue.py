"""The job queue: Huey on SQLite (embedded) or Redis (scale-out), carrying only row ids."""
from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey
from huey.consumer import Consumer
from huey.storage import SqliteStorage
from sqlalchemy.orm import Session

from plugin.infra import db

log = logging.getLogger(__name__)

# Queue names are namespaced so one Redis can serve several StoreChat installs.
QUEUE_NAME = "storechat"


class Job(enum.StrEnum):
    """The name of every job: each takes one row id (plugin.pipeline.jobs binds them)."""

    PROCESS_EVENT = "process_event"  # an inbound event's id
    SEND_MESSAGE = "send_message"  # an outbox message's id
    COD_ANSWER = "cod_answer"  # an order's id, once its COD answer is recorded
    AUDIT_MESSAGE = "audit_message"  # a sent message's id, noted on its order at the store
    SYNC_TEMPLATES = "sync_templates"  # a WhatsApp account's id
    SANDBOX_TEMPLATE_REVIEW = "sandbox_template_review"  # a template's id (no WhatsApp token)
    WOOCOMMERCE_SETUP = "woocommerce_setup"  # a WooCommerce store's id
    WOOCOMMERCE_RECONCILE = "woocommerce_reconcile"  # a WooCommerce store's id
    SANDBOX_DELIVERED = "sandbox_delivered"  # a demo message's id, reported delivered
    SANDBOX_READ = "sandbox_read"  # a demo message's id, reported read
    CATALOG_SYNC = "catalog_sync"  # a catalog sync's id (full sync or reconciliation)
    CATALOG_SEND = "catalog_send"  # a store's id: batch its due catalog changes to Meta
    CATALOG_CHECK = "catalog_check"  # a catalog batch's id: poll Meta's verdict on it
    CATALOG_PRODUCT = "catalog_product"  # an inbound event's id: read its product again
    CART_CHECKOUT = "cart_checkout"  # a cart's id: make its checkout at the store, answer
    RECOVERY_STEP = "recovery_step"  # a claimed cart recovery step's id: send or skip it
    CUSTOMER_TAGS = "customer_tags"  # a customer's id: copy their tags to the store platform
    CAMPAIGN_RUN = "campaign_run"  # a campaign's id: one tick of its run (write, release)
    CAMPAIGN_SEND = "campaign_send"  # a campaign's id: send its released rows in batches
    INBOX_MEDIA = "inbox_media"  # a received message's id: download its media once
    INBOX_READ = "inbox_read"  # a received message's id: send Meta its read receipt
    ASSISTANT_CANCEL = "assistant_cancel"  # an order's id: the shopper confirmed its cancel


class Periodic(enum.StrEnum):
    """The name of every periodic task: run by each worker's scheduler, taking no argument."""

    HOUSEKEEPING = "housekeeping"  # plugin.pipeline.sweep.housekeep


# Idle consumers poll the SQLite queue at most this often (Redis blocks instead).
POLL_MAX_DELAY_SECONDS = 0.5


class _SqliteQueueStorage(SqliteStorage):
    """Huey's SQLite storage with synchronous=NORMAL instead of an fsync per enqueue.

    In WAL mode NORMAL survives process crashes; a power cut may drop the last few queue
    entries, and the sweeper re-enqueues those from the database, which is the record.
    """

    def _create_connection(self):  # type: ignore[no-untyped-def]
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


def make_huey(app: Flask) -> Huey:
    """The Huey instance the settings ask for; results are off (state lives in the database)."""
    settings = app.config["STORECHAT"]
    if settings.queue_immediate:
        return MemoryHuey(QUEUE_NAME, immediate=True, results=False)
    if settings.redis_url:
        return RedisHuey(QUEUE_NAME, url=settings.redis_url, results=False)
    return Huey(QUEUE_NAME, storage_class=_SqliteQueueStorage,
                filename=str(settings.instance_path / "queue.db"), results=False)


def init_app(app: Flask, register: Callable[[Huey, Flask], dict[Job, Any]]) -> None:
    """Create the app's queue and register the jobs `register` binds (keyed by name)."""
    huey = make_huey(app)
    app.extensions["storechat.huey"] = huey
    # The jobs are handed in by the app factory: the queue knows no job, so the modules the
    # jobs run can enqueue without importing each other in a circle.
    app.extensions["storechat.jobs"] = register(huey, app)


def create_consumer(threads: int) -> Consumer:
    """A consumer of the current app's queue with `threads` workers and the periodic
    scheduler on: it runs the Periodic tasks (without it Huey logs "Periodic tasks are
    disabled" and the template resync and other upkeep would never be scheduled)."""
    return huey().create_consumer(
        workers=threads, worker_type="thread", periodic=True,
        initial_delay=0.05, max_delay=POLL_MAX_DELAY_SECONDS, backoff=1.2,
    )


def huey() -> Huey:
    """The current app's Huey instance."""
    return current_app.extensions["storechat.huey"]


def relays_events() -> bool:
    """True when new inbound events are handed to workers by the relay, not enqueued.

    With the embedded (SQLite) queue, enqueueing would be a second write to a second file
    on every webhook; instead the row is the job and each worker's relay polls for new
    rows. With Redis, enqueueing is cheap and immediate, so webhooks enqueue directly.
    """
    settings = current_app.config["STORECHAT"]
    return settings.embedded and not settings.queue_immediate


def enqueue_after_commit(session: Session, job: Job, row_id: int, delay: float = 0) -> None:
    """Queue `job` for `row_id` once `session`'s transaction commits; never if it rolls back.

    This is how every row written in a transaction gets its job: the job must not look for
    a row that is not committed yet. If the queue then fails, the row is still safe and the
    sweeper re-enqueues it (see `enqueue`).
    """
    db.after_commit(session, lambda: enqueue(job, row_id, delay))


def enqueue(job: Job, row_id: int, delay: float = 0) -> bool:
    """Put a job for a row on the queue; False (logged) if the queue is unreachable.

    A row whose job could not be queued is still safe in the database: the sweeper
    re-enqueues it, so callers never fail a request because of the queue.
    """
    task = current_app.extensions["storechat.jobs"][job]
    try:
        if delay > 0:
            task.schedule(args=(row_id,), delay=delay)
        else:
            task(row_id)
    except Exception:  # noqa: BLE001 - any broker failure; the sweeper recovers the row
        log.exception("could not enqueue %s(%s); the sweeper will retry", job, row_id)
        return False
    return True


def waiting() -> int:
    """How many jobs wait in the queue now (delayed ones not counted); 0 if it is unreachable."""
    try:
        return int(huey().pending_count())
    except Exception:  # noqa: BLE001 - any broker failure; the sweeper then treats it as empty
        log.exception("could not count the queue's waiting jobs")
        return 0
