"""Analytics: the message figures of a period per flow, read from the daily rollups, the
same figures as the admin's Analytics page (plugin.admin.analytics) shows."""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from spectree import Tag

from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import StoreQuery
from plugin.infra import db
from plugin.models import Store
from plugin.pipeline import message_days, message_figures

TAG = Tag(name="analytics", description="What the store's WhatsApp messages did, per flow.")
# The longest period the figures may cover, in days.
MAX_PERIOD_DAYS = 365


class MessageRate(BaseModel):
    """A rate with the figures it divides."""

    percent: float | None = Field(description="None when the whole is 0.")
    part: int
    whole: int


class MessageFlowOut(BaseModel):
    """One flow's messages in the period (counted on the day each was written)."""

    flow: str = Field(description='"journey:<step>", "campaign:<id>", "recovery", '
                      '"back_in_stock", "price_drop", "cross_sell", "automatic_answers", '
                      '"agents", "tests" or "other".')
    label: str
    sent: int
    delivered: int
    read: int
    attempted: int = Field(description="Sent, or failed before it could be.")
    failed: int
    skipped: int
    failed_reasons: dict[str, int] = Field(description="WhatsApp's error code (131049: "
                                           "limited by Meta), else the reason → count.")
    skipped_reasons: dict[str, int] = Field(description="StoreChat's reason → count.")
    delivery_rate: MessageRate = Field(description="Delivered of sent.")
    read_rate: MessageRate = Field(description="Read of delivered.")
    failure_rate: MessageRate = Field(description="Failed of attempted.")
    limited: int = Field(description="Failed with WhatsApp's 131049 (limited by Meta).")
    limited_rate: MessageRate = Field(description="Limited of attempted.")
    clicked: int = Field(description="Messages whose tracked link was opened (once each).")
    click_rate: MessageRate = Field(description="Clicked of delivered.")
    replied: int = Field(description="Messages the shopper wrote back to within 24 hours, "
                         "the last one they had received before writing (once each).")
    reply_rate: MessageRate = Field(description="Replied of delivered.")
    opted_out: int = Field(description="Messages followed by an opt-out, put down as a "
                           "reply is (never to the opt-out question).")
    opt_out_rate: MessageRate = Field(description="Opted out of delivered.")


class MessageFiguresOut(BaseModel):
    """The period (the store's calendar days) and each flow's figures, busiest first."""

    first_day: date
    last_day: date
    days: int
    flows: list[MessageFlowOut]


class FiguresQuery(StoreQuery):
    """The period of the figures."""

    days: int = Field(default=30, ge=1, le=MAX_PERIOD_DAYS,
                      description="The store's last this many days, today included.")


def caller_store() -> Store:
    """The store this call is about (access checked it is among the caller's stores)."""
    store = db.session().get(Store, access.store_id())
    assert store is not None  # access found it among the caller's stores a moment ago
    return store


def store_and_period(days: int) -> tuple[Store, message_figures.Period]:
    """The store this call is about, and its last `days` days."""
    store = caller_store()
    return store, message_figures.period(store, days)


def _rate(part: int, whole: int, percent: float | None) -> MessageRate:
    return MessageRate(percent=percent, part=part, whole=whole)


@blueprint.get("/analytics/messages")
@spec.validate(resp=documented(MessageFiguresOut), tags=[TAG],
               operation_id="getMessageFigures")
def get_message_figures(query: FiguresQuery) -> MessageFiguresOut:
    """Messages per flow over the last `days` days

    Sent, delivered, read, failed (per WhatsApp error code) and skipped (per StoreChat
    reason), limited by Meta (131049), clicked, replied and opted out after, with each rate
    and the two figures it divides."""
    period, lines = message_figures.figures(db.session(), caller_store(), query.days)
    return MessageFiguresOut(first_day=period.first, last_day=period.last, days=period.days,
                             flows=[MessageFlowOut(
        flow=f.flow, label=f.label, sent=f.sent, delivered=f.delivered, read=f.read,
        attempted=f.attempted, failed=f.failed, skipped=f.skipped,
        failed_reasons=f.failed_by, skipped_reasons=f.skipped_by,
        delivery_rate=_rate(f.delivered, f.sent, f.delivery_rate),
        read_rate=_rate(f.read, f.delivered, f.read_rate),
        failure_rate=_rate(f.failed, f.attempted, f.failure_rate),
        limited=f.limited, limited_rate=_rate(f.limited, f.attempted, f.limited_rate),
        clicked=f.clicked, click_rate=_rate(f.clicked, f.delivered, f.click_rate),
        replied=f.replied, reply_rate=_rate(f.replied, f.delivered, f.reply_rate),
        opted_out=f.opted_out,
        opt_out_rate=_rate(f.opted_out, f.delivered, f.opt_out_rate)) for f in lines])


class MessageDayOut(BaseModel):
    """One of the store's days: its messages, every flow together (counted on the day each
    was written)."""

    day: date
    sent: int
    delivered: int
    read: int
    failed: int = Field(description="Failed before or after it was sent.")


class MessageDaysOut(BaseModel):
    """The period and each of its days, oldest first, a quiet day as zeros."""

    first_day: date
    last_day: date
    days: int
    per_day: list[MessageDayOut]


@blueprint.get("/analytics/messages/days")
@spec.validate(resp=documented(MessageDaysOut), tags=[TAG],
               operation_id="getMessageDays")
def get_message_days(query: FiguresQuery) -> MessageDaysOut:
    """Messages per day over the last `days` days

    Sent, delivered, read and failed on each day: the table the Analytics page charts."""
    store, period = store_and_period(query.days)
    return MessageDaysOut(first_day=period.first, last_day=period.last, days=period.days,
                          per_day=[MessageDayOut(day=date.fromisoformat(d.day), sent=d.sent,
                                                 delivered=d.delivered, read=d.read,
                                                 failed=d.failed)
                                   for d in message_days.per_day(db.session(), store.id,
                                                                 period)])
