"""The outbox: one row per message we intend to send, and everything that happened to it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.domain.outbox import MessageState
from plugin.infra.db import utcnow
from plugin.models.base import Base


class Message(Base):
    """A WhatsApp message, unique on (store, cause, step) so an event never sends twice.

    States follow plugin.domain.outbox: pending → sending (leased) → sent → delivered → read,
    or failed / skipped with a reason.
    """

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    cause: Mapped[str] = mapped_column(String(120))  # e.g. "order:1001"
    step: Mapped[str] = mapped_column(String(60))  # e.g. "order_placed"
    to: Mapped[str] = mapped_column(String(32))
    template: Mapped[str | None] = mapped_column(String(120))
    # The full Cloud API request body, as it will be (or was) sent.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # For a free-form message: the template body to send instead once the shopper's 24-hour
    # window has closed (or Meta answers 131047). {"template": name, "payload": {...}}
    fallback: Mapped[dict[str, Any] | None]
    state: Mapped[str] = mapped_column(String(16), default=MessageState.PENDING.value)
    reason: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    not_before: Mapped[datetime | None]
    # A deadline: past it the message is skipped ("deadline passed"), never sent late.
    send_by: Mapped[datetime | None]
    transport: Mapped[str | None] = mapped_column(String(20))
    wamid: Mapped[str | None] = mapped_column(String(128), unique=True)
    error_code: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    # When Meta reported the message failed (the code and reason are in error_code, reason).
    failed_at: Mapped[datetime | None]
    # When the send was noted on the order in the store's own admin (a tag or order note).
    audited_at: Mapped[datetime | None]
    # What the shopper did after it, the first time only (the analytics count each once):
    # opened its tracked link, wrote back, or opted out (plugin.pipeline.reactions).
    clicked_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    opted_out_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("store_id", "cause", "step"),
        Index("ix_messages_state_enqueued_at", "state", "enqueued_at"),
        # A customer's newest messages (the inbox's thread): an index range, newest first.
        Index("ix_messages_customer_id_id", "customer_id", "id"),
    )
