"""Shoppers, and the append-only log of what they consented to."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class Customer(Base):
    """A shopper of one store. Phone, wa_id and the business-scoped user id are separate:
    some WhatsApp users arrive without a phone number."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    platform_id: Mapped[str] = mapped_column(String(64))
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    wa_id: Mapped[str | None] = mapped_column(String(32))
    bsuid: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(120), default="")
    last_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(16))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    ad_source: Mapped[dict[str, Any] | None]
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Kept by plugin.pipeline.customer_tags from the customer's orders, so that segments and
    # the customer list filter on plain columns. Spend counts orders in the store's currency
    # (hundredths of it); cancelled, refunded and deleted orders do not count.
    country: Mapped[str | None] = mapped_column(String(2))
    order_count: Mapped[int] = mapped_column(default=0, server_default="0")
    spent_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    avg_order_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    first_order_at: Mapped[datetime | None]
    last_order_at: Mapped[datetime | None]
    # When the automatic tags were last computed: the nightly pass takes the oldest first.
    tags_computed_at: Mapped[datetime | None] = mapped_column(index=True)
    # Meta held a marketing message to this customer (131049): none before this time.
    marketing_held_until: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("store_id", "platform_id"),)


class ConsentEntry(Base):
    """One consent change. Never updated or deleted (except by a compliance redaction);
    the current state is the newest entry per (customer, purpose)."""

    __tablename__ = "consent_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))  # marketing | order_updates | back_in_stock
    granted: Mapped[bool]
    source: Mapped[str] = mapped_column(String(40))  # widget | checkout | whatsapp_stop | ...
    text_shown: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str | None] = mapped_column(String(45))
    # The storefront page path a widget opt-in was given on (no query string), if known.
    page: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
