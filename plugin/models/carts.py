"""Carts shoppers send from the WhatsApp catalog (Meta's `order` message), each turned into
a checkout at the store once: a Shopify draft order or a pending WooCommerce order."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class CartState:
    """Where a cart stands between WhatsApp and the store."""

    RECEIVED = "received"  # stored with the inbound message; the checkout job follows
    DONE = "done"  # the store made the checkout; the pay link was written to the outbox
    EMPTY = "empty"  # none of its items is in our catalog: nothing to check out
    FAILED = "failed"  # the store refused for good (or cannot be called): shopper told


class CartCheckout(Base):
    """One inbound cart, unique on (store, wamid) so a redelivery never makes a second
    checkout. `lines` are the items we know (retailer id, variant and product ids,
    quantity); `unknown` the retailer ids that are not (or no longer) in our catalog."""

    __tablename__ = "cart_checkouts"
    __table_args__ = (UniqueConstraint("store_id", "wamid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    wamid: Mapped[str] = mapped_column(String(128))
    catalog_id: Mapped[str] = mapped_column(String(64), default="")
    lines: Mapped[list[Any]] = mapped_column(default=list)
    unknown: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(16), default=CartState.RECEIVED)
    platform_id: Mapped[str | None] = mapped_column(String(255))  # draft order gid / order id
    pay_url: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)  # the store's last refusal, for the owner
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
