"""Cart recovery timers: one row per step of a checkout's recovery sequence, due at a time.

Timers are rows, not sleeping threads: they survive restarts, and a worker claims the due ones
with a lease like any job (plugin/pipeline/recovery_timers.py). `cycle` counts restarts: a
cart that changes materially after its sequence ended gets a new set of rows.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class StepState(enum.StrEnum):
    """Where a recovery step stands."""

    SCHEDULED = "scheduled"      # waiting for due_at
    CLAIMED = "due-claimed"      # a worker holds it until lease_until
    SENT = "sent"                # its message is in the outbox (message_id); the outbox sends it
    SKIPPED = "skipped"          # not sent, and the reason says why (e.g. recovered before it)
    STOPPED = "stopped"          # the sequence stopped before this step (emptied, no phone)


class RecoveryStep(Base):
    """One timer: step `step` (1..n) of cycle `cycle` for a checkout, due at `due_at`.

    `reason` is in the owner's words when skipped or stopped ("recovered before step 2").
    A sent step names its outbox message (`message_id`) and has its own `link_token`, the
    opaque id of the /t/<token> link its button opens: a click is counted on the step
    (`clicked_at`, first click) and redirected to the checkout's recovery URL. When the step
    carried a discount, `discount_code` is the code created at the store for this cart.
    `cart_hash` is the fingerprint of the items and total the step was scheduled for, so a
    material change after the sequence ended can be told from a mere repeat.
    """

    __tablename__ = "checkout_recoveries"
    __table_args__ = (
        UniqueConstraint("checkout_id", "step", "cycle"),
        # Lets a worker find due rows by range without reading the rows that are not due.
        Index("ix_checkout_recoveries_state_due_at", "state", "due_at"),
        # Attribution reads the clicks of a customer's messages (plugin.pipeline.touches):
        # only the clicked rows are indexed.
        Index("ix_checkout_recoveries_clicked", "message_id",
              sqlite_where=text("clicked_at IS NOT NULL"),
              postgresql_where=text("clicked_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id", ondelete="CASCADE"))
    step: Mapped[int]
    cycle: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default=StepState.SCHEDULED.value)
    reason: Mapped[str | None] = mapped_column(String(120))
    cart_hash: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    link_token: Mapped[str | None] = mapped_column(String(32), index=True, unique=True)
    discount_code: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    clicked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
