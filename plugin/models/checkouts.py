"""Checkouts shoppers started at the store and may abandon: the state cart recovery works on.

Not to be confused with `CartCheckout` (plugin/models/carts.py): that is a cart a shopper
sends FROM the WhatsApp catalog, which we turn into a store checkout. A `Checkout` here is the
store's own checkout or cart (Shopify `checkouts/*`, the WooCommerce companion plugin's cart
events), which we only observe until an order completes it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class Checkout(Base):
    """A store's checkout, unique on (store, platform id): Shopify's checkout id (else its
    token), or the WooCommerce companion plugin's cart token.

    `items` is a list of {variant_id, product_id, title, variant_title, quantity, price,
    image_url} (price a decimal string); `total` is an exact decimal string in `currency`.
    `phone_e164` is None when the phone could not be read; `phone_raw` then keeps what was
    typed and `phone_problem` says why. `activity_at` is the platform's time of the state we
    hold (naive UTC): an older state arriving later does not replace it. `completed_at` is set
    once (by the checkout itself or by the order that names it) and never cleared.

    `recovered_at` is set when the order that completed it came within the store's
    attribution window (Store.recovery_attribution_days) after one of our recovery messages
    was sent: the cart counts as recovered, with that order's total and currency, the last
    step sent before it, and whether any of our links for it was clicked.
    """

    __tablename__ = "checkouts"
    __table_args__ = (
        UniqueConstraint("store_id", "platform_id"),
        # A shopper's reply, opt-out or order finds their carts by phone (recovery_stops,
        # recovery_attribution) without reading every cart of the store.
        Index("ix_checkouts_store_id_phone_e164", "store_id", "phone_e164"),
        # Every order event looks up the checkouts it completed (recovery_attribution).
        Index("ix_checkouts_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    platform_id: Mapped[str] = mapped_column(String(255))
    token: Mapped[str | None] = mapped_column(String(255))  # Shopify's checkout token
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    first_name: Mapped[str] = mapped_column(String(255), default="")
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    phone_raw: Mapped[str | None] = mapped_column(String(64))
    phone_problem: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(35))
    items: Mapped[list[Any]] = mapped_column(default=list)
    item_count: Mapped[int] = mapped_column(default=0)
    total: Mapped[str] = mapped_column(String(32), default="0")
    currency: Mapped[str] = mapped_column(String(3), default="")
    recovery_url: Mapped[str | None] = mapped_column(Text)
    activity_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    recovered_at: Mapped[datetime | None]
    recovered_total: Mapped[str | None] = mapped_column(String(32))
    recovered_currency: Mapped[str | None] = mapped_column(String(3))
    recovered_step: Mapped[int | None]
    recovered_clicked: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
