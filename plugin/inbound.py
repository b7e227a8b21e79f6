"""The inbound-event store: the first thing every webhook does after verifying it."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Mapping

from plugin import db, queue
from plugin.models import InboundEvent
from plugin.sql import insert_ignore


@dataclass(frozen=True, slots=True)
class Recorded:
    """The outcome of storing a delivery: its row id, and whether it was new."""

    event_id: int | None
    new: bool


def body_hash(body: bytes) -> str:
    """A dedupe key for deliveries that carry no id of their own."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def record_event(*, source: str, dedupe_key: str, topic: str, body: bytes,
                 store_id: int | None = None,
                 headers: Mapping[str, str] | None = None) -> Recorded:
    """Store a delivery once (unique on source + dedupe key) and queue its processing.

    Raises SQLAlchemy errors when the database is down: the caller must then answer 503,
    never 200, so the sender retries. A queue failure is not an error (see queue.enqueue).
    """
    now = db.utcnow()
    with db.transaction() as session:
        event_id = insert_ignore(
            session,
            InboundEvent,
            {
                "source": source,
                "dedupe_key": dedupe_key[:255],
                "topic": topic[:100],
                "store_id": store_id,
                "headers": dict(headers or {}),
                "body": body,
                "state": "pending",
                "attempts": 0,
                "received_at": now,
                "enqueued_at": now,
            },
            ("source", "dedupe_key"),
        )
    if event_id is None:
        return Recorded(None, False)
    queue.enqueue("process_event", event_id)
    return Recorded(event_id, True)
