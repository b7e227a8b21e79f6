"""Inbound events: every delivery from a platform or Meta, stored before we answer 200."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class EventState(str, enum.Enum):
    """pending → processing (leased) → processed | ignored | failed."""

    PENDING = "pending"
    PROCESSING = "processing"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


_UNPURGED = "processed_at IS NOT NULL AND body_purged_at IS NULL"


class InboundEvent(Base):
    """One webhook delivery; unique on (source, dedupe_key) so a redelivery stores nothing."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # shopify | woocommerce | whatsapp | demo
    dedupe_key: Mapped[str] = mapped_column(String(255))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(100))
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default=EventState.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a job for this row was last put on the queue; the sweeper re-enqueues old ones.
    enqueued_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    # When the body (personal data) was emptied after the retention period; the row and its
    # dedupe key stay (see plugin.pipeline.retention).
    body_purged_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("source", "dedupe_key"),
        Index("ix_inbound_events_state_enqueued_at", "state", "enqueued_at"),
        Index("ix_inbound_events_body_retention", "processed_at",
              sqlite_where=text(_UNPURGED), postgresql_where=text(_UNPURGED)),
    )
