"""Revenue attribution: which message earned each order (once per order), the daily revenue
per flow and currency kept as orders arrive, orders from click-to-WhatsApp ads, and the
members of holdout experiments."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class OrderAttribution(Base):
    """The message an order is attributed to by last touch: one row per order, written when
    the order is first seen as a purchase; `voided_at` once it is cancelled or refunded in
    full (its figures are taken back out of the day it counted on)."""

    __tablename__ = "order_attributions"
    __table_args__ = (
        # The drill-down: a store's attributed orders of a period, per flow and currency.
        Index("ix_order_attributions_store_day", "store_id", "day", "flow", "currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          unique=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    order_number: Mapped[str] = mapped_column(String(64))
    flow: Mapped[str] = mapped_column(String(80))
    template: Mapped[str] = mapped_column(String(120), default="")
    touch: Mapped[str] = mapped_column(String(8))  # plugin.domain.attribution.Touch
    touched_at: Mapped[datetime]
    ordered_at: Mapped[datetime]
    day: Mapped[date]  # the order's day in the store's timezone: the day it counts on
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[str] = mapped_column(String(32))  # the order's total, a decimal string
    voided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RevenueRollup(Base):
    """The attributed orders and revenue (thousandths of the currency) of one flow on one
    day, per currency: what the Analytics page sums instead of reading orders."""

    __tablename__ = "revenue_rollups"
    __table_args__ = (UniqueConstraint("store_id", "day", "flow", "currency",
                                       name="uq_revenue_rollups_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    day: Mapped[date]
    flow: Mapped[str] = mapped_column(String(80))
    currency: Mapped[str] = mapped_column(String(3))
    orders: Mapped[int] = mapped_column(default=0)
    amount_millis: Mapped[int] = mapped_column(BigInteger, default=0)


class AdRollup(Base):
    """Per click-to-WhatsApp ad (the referral's source id) and day: the conversations it
    started (currency "") and the orders of the customers it brought, per currency."""

    __tablename__ = "ad_rollups"
    __table_args__ = (UniqueConstraint("store_id", "day", "source_id", "currency",
                                       name="uq_ad_rollups_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    day: Mapped[date]
    source_id: Mapped[str] = mapped_column(String(128))
    source_type: Mapped[str] = mapped_column(String(16), default="")
    headline: Mapped[str] = mapped_column(String(255), default="")
    currency: Mapped[str] = mapped_column(String(3), default="")
    conversations: Mapped[int] = mapped_column(default=0)
    orders: Mapped[int] = mapped_column(default=0)
    amount_millis: Mapped[int] = mapped_column(BigInteger, default=0)


class AdOrder(Base):
    """An order counted for an ad, once (its customer arrived through the ad)."""

    __tablename__ = "ad_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          unique=True)
    source_id: Mapped[str] = mapped_column(String(128))
    day: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    amount_millis: Mapped[int] = mapped_column(BigInteger, default=0)
    voided_at: Mapped[datetime | None]


class LiftMember(Base):
    """One unit of a holdout experiment (a campaign's recipient, a cart's sequence): in the
    holdout (never messaged) or messaged, since `at`, and whether the customer ordered
    before `until` (the flow's attribution window)."""

    __tablename__ = "lift_members"
    __table_args__ = (
        UniqueConstraint("store_id", "unit", name="uq_lift_members_unit"),
        # An order looks up its customer's open units.
        Index("ix_lift_members_customer", "customer_id", "until"),
        Index("ix_lift_members_flow", "store_id", "flow"),
        # A cancelled order takes back the conversion it made.
        Index("ix_lift_members_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(80))  # "campaign:<id>" or "recovery"
    unit: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"))
    holdout: Mapped[bool]
    at: Mapped[datetime]
    until: Mapped[datetime]
    converted_at: Mapped[datetime | None]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))


class LiftRollup(Base):
    """Per holdout experiment, day its members were chosen (the store's calendar) and group:
    how many members, and how many of them ordered within the window; what the Analytics
    page sums instead of reading the members."""

    __tablename__ = "lift_rollups"
    __table_args__ = (UniqueConstraint("store_id", "day", "flow", "holdout",
                                       name="uq_lift_rollups_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    day: Mapped[date]
    flow: Mapped[str] = mapped_column(String(80))
    holdout: Mapped[bool]
    members: Mapped[int] = mapped_column(default=0)
    converted: Mapped[int] = mapped_column(default=0)
