"""Product alert subscriptions: a shopper asked to hear when a variant is back in stock (or,
later, cheaper). One row per (store, customer, variant, kind), however often they ask.

A restock releases waiting rows first-come-first-served (`created_at`); the index on
(store_id, variant_id, kind, state, created_at) makes that selection an index range, so a
variant with 50,000 waiting subscribers costs no more to release from than one with ten.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class AlertKind(enum.StrEnum):
    """What the shopper wants to hear about."""

    BACK_IN_STOCK = "back_in_stock"
    PRICE_DROP = "price_drop"


class AlertState(enum.StrEnum):
    """Where a subscription stands."""

    PENDING = "pending"      # given on a form: waits for the shopper's WhatsApp message
    WAITING = "waiting"      # confirmed: waits for a restock, in created_at order
    RELEASED = "released"    # its alert is in the outbox (message_id), not yet sent
    ALERTED = "alerted"      # its alert went out: done, never alerted again
    EXPIRED = "expired"      # expires_at passed before it was alerted
    CANCELLED = "cancelled"  # the variant was deleted, or the shopper opted out


class AlertSubscription(Base):
    """One shopper's wish to hear about one variant. `link_token` is the opaque id of the
    alert's /t/<token> button; `released_at` counts the row against its variant's hourly
    release quota (see plugin.domain.alerts)."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (
        UniqueConstraint("store_id", "customer_id", "variant_id", "kind"),
        # A restock's selection (waiting rows of one variant, oldest first) is a range of it.
        Index("ix_alert_subscriptions_selection", "store_id", "variant_id", "kind", "state",
              "created_at"),
        # The hourly quota: rows of a variant released since an hour ago.
        Index("ix_alert_subscriptions_released", "store_id", "variant_id", "released_at"),
        # The sweep's expiry. Led by expires_at, so that a restock's selection (equalities on
        # store, variant, kind and state) never looks like a better match for it.
        Index("ix_alert_subscriptions_expires_at_state", "expires_at", "state"),
        # Attribution reads the clicks of a customer's messages (plugin.pipeline.touches):
        # only the clicked rows are indexed.
        Index("ix_alert_subscriptions_clicked", "message_id",
              sqlite_where=text("clicked_at IS NOT NULL"),
              postgresql_where=text("clicked_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             index=True)
    variant_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default=AlertKind.BACK_IN_STOCK.value)
    state: Mapped[str] = mapped_column(String(16), default=AlertState.PENDING.value)
    link_token: Mapped[str] = mapped_column(String(32), unique=True)
    page: Mapped[str | None] = mapped_column(String(255))  # the product page it was given on
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # its place in the queue
    confirmed_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    clicked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]


class PriceDropAlert(Base):
    """One price-drop alert to one shopper about one variant: its /t/<token> link, the
    prices it named, and its outbox message. Unique per (store, customer, variant, window)
    so that two events racing for one shopper write one alert (plugin.domain.price_drops
    .window_of); the 30-day rule itself reads `created_at`."""

    __tablename__ = "price_drop_alerts"
    __table_args__ = (
        UniqueConstraint("store_id", "customer_id", "variant_id", "repeat_window"),
        # "Told about this variant within 30 days?": equalities, then a range on created_at.
        Index("ix_price_drop_alerts_recent", "store_id", "variant_id", "customer_id",
              "created_at"),
        # Attribution reads the clicks of a customer's messages (plugin.pipeline.touches):
        # only the clicked rows are indexed.
        Index("ix_price_drop_alerts_clicked", "message_id",
              sqlite_where=text("clicked_at IS NOT NULL"),
              postgresql_where=text("clicked_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             index=True)
    variant_id: Mapped[str] = mapped_column(String(64))
    repeat_window: Mapped[int]  # plugin.domain.price_drops.window_of(created_at)
    # The shopper's subscription it answers; None for a shopper with the variant in a cart.
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_subscriptions.id", ondelete="SET NULL"))
    link_token: Mapped[str] = mapped_column(String(32), unique=True)
    old_price: Mapped[str] = mapped_column(String(32))  # as Decimal text, store currency
    new_price: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3), default="")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    clicked_at: Mapped[datetime | None]
