"""The inbound-event store: the first thing every webhook does after verifying it.

This is the hottest path of StoreChat (every delivery of every store), so it is one Core
INSERT on one connection, with the statement built once per dialect.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from plugin.infra import db, queue
from plugin.models import EventState, InboundEvent

_INSERTS: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Recorded:
    """The outcome of storing a delivery: its row id, and whether it was new."""

    event_id: int | None
    new: bool


def body_hash(body: bytes) -> str:
    """A dedupe key for deliveries that carry no id of their own."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _insert_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT (source, dedupe_key) DO NOTHING RETURNING id, built once."""
    if dialect not in _INSERTS:
        module = postgresql if dialect == "postgresql" else sqlite
        table = InboundEvent.__table__
        _INSERTS[dialect] = (
            module.insert(table)
            .on_conflict_do_nothing(index_elements=["source", "dedupe_key"])
            .returning(table.c.id)
        )
    return _INSERTS[dialect]


def record_event(*, source: str, dedupe_key: str, topic: str, body: bytes,
                 store_id: int | None = None,
                 headers: Mapping[str, str] | None = None) -> Recorded:
    """Store a delivery once (unique on source + dedupe key) and see that it gets processed.

    Raises SQLAlchemy errors when the database is down: the caller must then answer 503,
    never 200, so the sender retries. A queue failure is not an error (see queue.enqueue).
    With the embedded queue the row itself is the job: the worker's relay picks it up, so
    a delivery costs one write instead of two (see queue.relays_events).
    """
    now = db.utcnow()
    relayed = queue.relays_events()
    values = {
        "source": source,
        "dedupe_key": dedupe_key[:255],
        "topic": topic[:100],
        "store_id": store_id,
        "headers": dict(headers or {}),
        "body": body,
        "state": EventState.PENDING.value,
        "attempts": 0,
        "received_at": now,
        "enqueued_at": None if relayed else now,
    }
    with db.engine().begin() as connection:
        event_id = connection.execute(
            _insert_statement(connection.dialect.name), values).scalar_one_or_none()
    if event_id is None:
        return Recorded(None, False)
    if not relayed:
        # After the commit (the block above), as queue.enqueue_after_commit does for
        # sessions: this hot path writes through a bare connection, not a session.
        queue.enqueue(queue.Job.PROCESS_EVENT, event_id)
    return Recorded(event_id, True)
