"""Analytics: attributed revenue per flow and currency, the attributed orders behind each
figure, click-to-WhatsApp ads and the lift of holdout experiments: the same figures as the
admin's Analytics page (plugin.admin.analytics_revenue), read from rollups."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from plugin.admin.api.analytics import TAG, FiguresQuery, caller_store, store_and_period
from plugin.admin.api.base import blueprint, documented, spec
from plugin.infra import db
from plugin.pipeline import (
    ad_figures,
    holdouts,
    message_figures,
    revenue_figures,
)

# The most attributed orders one call returns.
MAX_PAGE_SIZE = 500


class Windows(BaseModel):
    """The store's attribution windows."""

    click_days: int
    read_hours: int


class RevenueFlowOut(BaseModel):
    """One flow's attributed orders and revenue in one currency."""

    flow: str
    label: str
    currency: str
    orders: int
    revenue: str = Field(description="An exact decimal amount in `currency`.")


class RevenueOut(BaseModel):
    """The period, the windows, each flow and currency, and the totals per currency."""

    first_day: date
    last_day: date
    days: int
    windows: Windows
    flows: list[RevenueFlowOut]
    totals: dict[str, RevenueFlowOut] = Field(description="Per currency, every flow.")


@blueprint.get("/analytics/revenue")
@spec.validate(resp=documented(RevenueOut), tags=[TAG], operation_id="getRevenueFigures")
def get_revenue(query: FiguresQuery) -> RevenueOut:
    """Attributed orders and revenue per flow and currency over the last `days` days

    Each order counts once, for the last message its customer clicked within the click
    window or read within the read window before placing it, on the day it was placed;
    cancelled and fully refunded orders are taken back out."""
    store, period = store_and_period(query.days)
    lines = revenue_figures.lines(db.session(), store.id, period.first, period.last)
    return RevenueOut(
        first_day=period.first, last_day=period.last, days=period.days,
        windows=Windows(click_days=store.attribution_click_days,
                        read_hours=store.attribution_read_hours),
        flows=[RevenueFlowOut(flow=x.flow, label=x.label, currency=x.currency, orders=x.orders,
                              revenue=str(x.revenue)) for x in lines],
        totals={c: RevenueFlowOut(flow="", label="All flows", currency=c, orders=n,
                                  revenue=str(v))
                for c, (n, v) in revenue_figures.totals(lines).items()})


class AttributedOrdersQuery(FiguresQuery):
    """Which attributed orders: the period, optionally one flow and currency, a page."""

    since: date | None = Field(default=None, description=(
        "The first day (store's calendar, YYYY-MM-DD), instead of `days`: e.g. the day a "
        "campaign started, to list every order its attributed figure counts."))
    flow: str | None = Field(default=None, max_length=80)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    page: int = Field(default=1, ge=1)
    size: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)


class AttributedOrderOut(BaseModel):
    """An attributed order and the message that earned it."""

    order_id: int
    number: str
    amount: str
    currency: str
    customer: str
    message_id: int | None
    flow: str
    label: str
    template: str
    touch: str = Field(description='"clicked" or "read".')
    touched_at: datetime
    ordered_at: datetime


class AttributedOrdersOut(BaseModel):
    """One page of the attributed orders, newest first, and how many there are."""

    total: int
    page: int
    size: int
    orders: list[AttributedOrderOut]


@blueprint.get("/analytics/revenue/orders")
@spec.validate(resp=documented(AttributedOrdersOut), tags=[TAG],
               operation_id="listAttributedOrders")
def list_attributed_orders(query: AttributedOrdersQuery) -> AttributedOrdersOut:
    """The attributed orders behind the revenue figures

    Of the last `days` days (or since the day `since`), newest first, optionally of one
    flow and currency: each with its amount, customer, and the message that earned it
    (flow, touch and time, UTC)."""
    store = caller_store()
    period = (message_figures.period_since(store, query.since) if query.since
              else message_figures.period(store, query.days))
    found, total = revenue_figures.orders(
        db.session(), store.id, period.first, period.last, flow=query.flow,
        currency=query.currency.upper() if query.currency else None, page=query.page,
        size=query.size)
    return AttributedOrdersOut(total=total, page=query.page, size=query.size, orders=[
        AttributedOrderOut(order_id=o.order_id, number=o.number, amount=o.amount,
                           currency=o.currency, customer=o.customer, message_id=o.message_id,
                           flow=o.flow, label=o.label, template=o.template, touch=o.touch,
                           touched_at=o.touched_at, ordered_at=o.ordered_at) for o in found])


class AdOut(BaseModel):
    """One click-to-WhatsApp ad: conversations it started, orders of the shoppers it brought."""

    source_id: str
    source_type: str
    headline: str
    conversations: int
    orders: int
    revenue: dict[str, str] = Field(description="Per currency, an exact decimal amount.")


class AdsOut(BaseModel):
    """The period and each ad, most conversations first."""

    first_day: date
    last_day: date
    ads: list[AdOut]


@blueprint.get("/analytics/ads")
@spec.validate(resp=documented(AdsOut), tags=[TAG], operation_id="getAdFigures")
def get_ads(query: FiguresQuery) -> AdsOut:
    """Conversations and orders per click-to-WhatsApp ad over the last `days` days"""
    store, period = store_and_period(query.days)
    ads = ad_figures.figures(db.session(), store.id, period.first, period.last)
    return AdsOut(first_day=period.first, last_day=period.last, ads=[
        AdOut(source_id=a.source_id, source_type=a.source_type, headline=a.headline,
              conversations=a.conversations, orders=a.orders,
              revenue={c: str(v) for c, v in a.revenue.items()}) for a in ads])


class LiftOut(BaseModel):
    """A holdout experiment: each group's size and how many ordered within the window."""

    flow: str
    messaged: int
    messaged_ordered: int
    holdout: int
    holdout_ordered: int
    lift_points: float | None = Field(description="Messaged minus holdout conversion, in "
                                      "percentage points; None while a group is empty.")


class LiftsOut(BaseModel):
    """The period (members chosen in it) and each experiment."""

    first_day: date
    last_day: date
    experiments: list[LiftOut]


@blueprint.get("/analytics/lift")
@spec.validate(resp=documented(LiftsOut), tags=[TAG], operation_id="getHoldoutLift")
def get_lift(query: FiguresQuery) -> LiftsOut:
    """Conversion of messaged and holdout groups of campaigns and cart recovery"""
    store, period = store_and_period(query.days)
    lifts = holdouts.figures(db.session(), store.id, period.first, period.last)
    return LiftsOut(first_day=period.first, last_day=period.last, experiments=[
        LiftOut(flow=x.flow, messaged=x.messaged, messaged_ordered=x.messaged_converted,
                holdout=x.holdout, holdout_ordered=x.holdout_converted, lift_points=x.lift)
        for x in lifts])
