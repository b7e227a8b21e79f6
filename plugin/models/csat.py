"""The post-delivery satisfaction survey: one row per delivered order (while the survey flow
is on), due the flow's delay after delivery, then sent, then answered with one score."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class SurveyState:
    """Where an order's survey stands."""

    SCHEDULED = "scheduled"  # delivered with the flow on: due at `due_at`
    SENT = "sent"            # its invitation is in the outbox (`message_id`)
    ANSWERED = "answered"    # the shopper chose a score (the first one counts)
    SKIPPED = "skipped"      # no number, the flow switched off, no template: `reason` says


class CsatSurvey(Base):
    """One order's satisfaction survey and its answer."""

    __tablename__ = "csat_surveys"
    __table_args__ = (
        UniqueConstraint("store_id", "order_id"),
        # The sweep's "what is due now", across stores.
        Index("ix_csat_surveys_state_due_at", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=SurveyState.SCHEDULED)
    reason: Mapped[str | None] = mapped_column(String(255))
    delivered_at: Mapped[datetime]
    due_at: Mapped[datetime]
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    score: Mapped[int | None]
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
