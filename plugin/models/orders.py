"""The latest known state of each order: what the journeys compare new events against."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class Order(Base):
    """An order snapshot, keyed by store and the platform's order id."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    platform_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(40))
    payment_gateway: Mapped[str] = mapped_column(String(64), default="")
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[str] = mapped_column(String(32))  # a decimal string, exact
    tracking: Mapped[dict[str, Any] | None]
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Cash on delivery: None, or "asked" → "confirmed" | "cancelled" once the shopper answers.
    cod_state: Mapped[str | None] = mapped_column(String(16))
    # When that answer reached the store (tag, note, status); until then the sweeper retries.
    cod_applied_at: Mapped[datetime | None]
    # The shop assistant's cancellation: when the shopper confirmed it, when it reached the
    # store, and the lease of the job carrying it (one at a time; the sweeper requeues a
    # lost one once the lease has lapsed).
    cancel_asked_at: Mapped[datetime | None]
    cancel_applied_at: Mapped[datetime | None]
    cancel_lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the shopper placed it, as the platform says (else when we first saw it), and
    # whether it used a discount code: what the customer tags are computed from.
    placed_at: Mapped[datetime | None]
    discounted: Mapped[bool] = mapped_column(default=False, server_default=false())

    __table_args__ = (
        UniqueConstraint("store_id", "platform_id"),
        # A customer's tags are computed from their orders.
        Index("ix_orders_customer_id", "customer_id"),
        # The sweeper looks every few seconds for COD answers not yet applied: only those
        # few rows are indexed, not every order.
        Index("ix_orders_cod_unapplied", "updated_at",
              sqlite_where=text("cod_state IS NOT NULL AND cod_applied_at IS NULL"),
              postgresql_where=text("cod_state IS NOT NULL AND cod_applied_at IS NULL")),
        # Likewise for the assistant's cancellations not yet carried to the store.
        Index("ix_orders_cancel_unapplied", "cancel_asked_at",
              sqlite_where=text("cancel_asked_at IS NOT NULL AND cancel_applied_at IS NULL"),
              postgresql_where=text(
                  "cancel_asked_at IS NOT NULL AND cancel_applied_at IS NULL")),
    )
