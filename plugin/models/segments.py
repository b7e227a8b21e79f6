"""Customer tags (automatic, manual, from keywords), each store's tag rules, and segments:
saved filters over customers that a campaign sends to."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class CustomerTag(Base):
    """One tag on one customer. A row per (customer, tag, source): an owner's manual tag
    and the rule's automatic one of the same name live side by side, so recomputing the
    automatic tags never removes what the owner set."""

    __tablename__ = "customer_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(10))  # auto | manual | keyword
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("customer_id", "tag", "source"),
        # A segment's tag filter is an EXISTS on (store, tag).
        Index("ix_customer_tags_store_id_tag", "store_id", "tag"),
    )


class TagSettings(Base):
    """A store's tag rules as its owner adjusted them (plugin.domain.customer_tags reads
    the JSON), and the high_value threshold computed nightly from its customers."""

    __tablename__ = "customer_tag_settings"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The smallest average order value (hundredths of the store's currency) among the top
    # share of customers; None until computed or while the store has too few customers.
    high_value_cents: Mapped[int | None] = mapped_column(BigInteger)
    threshold_computed_at: Mapped[datetime | None]
    # Copy tags to the store platform's customer record (off until the owner turns it on).
    write_back: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Segment(Base):
    """A saved filter over a store's customers (plugin.domain.segments reads `definition`)."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(120))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
