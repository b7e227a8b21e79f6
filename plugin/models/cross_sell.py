"""Cross-sell after delivery: the store's co-occurrence counts (which products were bought
together, how often) and one offer per order (counted into the pairs once; its suggestion,
due some days after delivery, and the message that carried it)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class CrossSellPair(Base):
    """How many of a store's orders held both `product_id` and `other_id` (stored both
    ways, so "what goes with this product" is a range of the unique index)."""

    __tablename__ = "cross_sell_pairs"
    __table_args__ = (UniqueConstraint("store_id", "product_id", "other_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(String(64))
    other_id: Mapped[str] = mapped_column(String(64))
    orders: Mapped[int] = mapped_column(default=0)


class OfferState:
    """Where an order's cross-sell stands."""

    COUNTED = "counted"      # its products are in the pairs; not delivered (or flow off)
    SCHEDULED = "scheduled"  # delivered with the flow on: its suggestion is due at `due_at`
    SENT = "sent"            # its message is in the outbox (`message_id`)
    SKIPPED = "skipped"      # nothing to suggest, or no template: `reason` says why


class CrossSellOffer(Base):
    """One order's cross-sell: written when the order is first seen (its products counted
    into the pairs then, exactly once), scheduled on delivery, sent when due."""

    __tablename__ = "cross_sell_offers"
    __table_args__ = (
        UniqueConstraint("store_id", "order_id"),
        # The sweep's "what is due now", across stores.
        Index("ix_cross_sell_offers_state_due_at", "state", "due_at"),
        # Attribution reads the clicks of a customer's messages (plugin.pipeline.touches):
        # only the clicked rows are indexed.
        Index("ix_cross_sell_offers_clicked", "message_id",
              sqlite_where=text("clicked_at IS NOT NULL"),
              postgresql_where=text("clicked_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=OfferState.COUNTED)
    reason: Mapped[str | None] = mapped_column(String(255))
    delivered_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    # The variants suggested (catalog variant ids), in the order the message shows them.
    suggested: Mapped[list[Any]] = mapped_column(default=list)
    link_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    clicked_at: Mapped[datetime | None]
