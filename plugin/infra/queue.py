"""The job queue: Huey on SQLite (embedded) or Redis (scale-out), carrying only row ids."""
from __future__ import annotations

import logging
from typing import Any, Callable

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey
from huey.storage import SqliteStorage

log = logging.getLogger(__name__)

# Queue names are namespaced so one Redis can serve several StoreChat installs.
QUEUE_NAME = "storechat"


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


def init_app(app: Flask, register: Callable[[Huey, Flask], dict[str, Any]]) -> None:
    """Create the app's queue and register the jobs `register` binds (keyed by name)."""
    huey = make_huey(app)
    app.extensions["storechat.huey"] = huey
    # The jobs are handed in by the app factory: the queue knows no job, so the modules the
    # jobs run can enqueue without importing each other in a circle.
    app.extensions["storechat.jobs"] = register(huey, app)


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


def enqueue(job: str, row_id: int, delay: float = 0) -> bool:
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
