"""Analytics beyond messages: conversation figures (reply times in business hours, the
automatic share, resolutions, survey scores), keyword trends per language, the widget's
events per page and product, and the number's health with the store's warnings: the same
figures as the admin's Analytics page (plugin.admin.analytics_sections) shows."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from plugin.admin.api.analytics import TAG, FiguresQuery, caller_store, store_and_period
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import StoreQuery
from plugin.infra import db
from plugin.pipeline import (
    conversation_report,
    health_warnings,
    number_health,
    widget_figures,
)


class ReplyTimesOut(BaseModel):
    """Reply times of one kind, in business-hour seconds."""

    whose: str = Field(description='"any" (every reply, automatic included) or "team".')
    first_replies: int
    first_reply_seconds_total: int
    first_reply_seconds_average: float | None
    first_replies_over_target: int
    replies: int = Field(description="Shopper messages answered (each wait once).")
    reply_seconds_total: int
    reply_seconds_average: float | None


class ConversationFiguresOut(BaseModel):
    """A period's conversation figures (the store's calendar days)."""

    first_day: date
    last_day: date
    days: int
    first_reply_target_seconds: int
    average_reply_target_seconds: int
    started: int = Field(description="Conversations begun (first message after resolved).")
    shopper_messages: int
    resolved: int
    automatic_replies: int
    team_replies: int
    automatic_share_percent: float | None
    reply_times: list[ReplyTimesOut]
    csat_answers: int
    csat_average: float | None
    csat_scores: dict[str, int] = Field(description="Score (1–10) → answers.")


class TermOut(BaseModel):
    """A word or two-word phrase: messages that used it this period and the one before."""

    term: str
    this_period: int
    previous_period: int
    change: int


class LanguageTrendsOut(BaseModel):
    """One language's most used terms."""

    language: str = Field(description='A starter language (en, es, pt_BR, hi, id, ar) or '
                          '"other".')
    terms: list[TermOut]


class KeywordTrendsOut(BaseModel):
    """Keyword trends of the period against the period before, stop words left out."""

    first_day: date
    last_day: date
    previous_first_day: date
    previous_last_day: date
    languages: list[LanguageTrendsOut]


class WidgetLineOut(BaseModel):
    """One page and product's widget events."""

    page: str
    product: str
    opens: int
    clicks: int
    optins: int


class WidgetFiguresOut(BaseModel):
    """The widget's events per page and product, most clicked first."""

    first_day: date
    last_day: date
    lines: list[WidgetLineOut]


class NumberHealthOut(BaseModel):
    """What Meta last said about a number ("" for the account itself)."""

    display_phone_number: str
    waba_id: str
    flagged: bool | None = Field(description="Quality fell to low (FLAGGED); None: never said.")
    quality_event: str
    messaging_limit: str
    business_limit: str
    account_event: str
    account_detail: str
    reported_at: datetime | None


class WarningOut(BaseModel):
    """A figure that crossed its threshold."""

    key: str = Field(description="number, account, read_rate, limited, opt_outs, "
                     "first_reply.")
    text: str


class HealthOut(BaseModel):
    """The number's health and the store's warnings now."""

    numbers: list[NumberHealthOut]
    warnings: list[WarningOut]


@blueprint.get("/analytics/conversations")
@spec.validate(resp=documented(ConversationFiguresOut), tags=[TAG],
               operation_id="getConversationFigures")
def get_conversation_figures(query: FiguresQuery) -> ConversationFiguresOut:
    """Conversation figures over the last `days` days

    Reply times in business hours (first reply and every reply, for any reply and for the
    team's own), the share of automatic replies, conversations started and resolved, and
    the satisfaction survey's scores."""
    store, span = store_and_period(query.days)
    found = conversation_report.figures(db.session(), store, span)
    return ConversationFiguresOut(
        first_day=span.first, last_day=span.last, days=span.days,
        first_reply_target_seconds=conversation_report.FIRST_REPLY_TARGET_SECONDS,
        average_reply_target_seconds=conversation_report.AVERAGE_REPLY_TARGET_SECONDS,
        started=found.started, shopper_messages=found.inbound, resolved=found.resolved,
        automatic_replies=found.automatic_replies, team_replies=found.team_replies,
        automatic_share_percent=found.automatic_share,
        reply_times=[ReplyTimesOut(
            whose=t.whose, first_replies=t.first_count, first_reply_seconds_total=t.first_seconds,
            first_reply_seconds_average=t.first_average,
            first_replies_over_target=t.first_over_target, replies=t.count,
            reply_seconds_total=t.seconds, reply_seconds_average=t.average)
            for t in found.times.values()],
        csat_answers=found.csat_count, csat_average=found.csat_average,
        csat_scores={str(k): v for k, v in sorted(found.scores.items())})


@blueprint.get("/analytics/keywords")
@spec.validate(resp=documented(KeywordTrendsOut), tags=[TAG], operation_id="getKeywordTrends")
def get_keyword_trends(query: FiguresQuery) -> KeywordTrendsOut:
    """Words and phrases shoppers used most in the last `days` days, per language

    Each against the same number of days before; stop words of each language left out;
    a term counts once per message."""
    store, span = store_and_period(query.days)
    before = conversation_report.previous(span)
    trends = conversation_report.keyword_trends(db.session(), store, span)
    return KeywordTrendsOut(
        first_day=span.first, last_day=span.last, previous_first_day=before[0],
        previous_last_day=before[1], languages=[LanguageTrendsOut(
            language=language, terms=[TermOut(term=t.term, this_period=t.now,
                                              previous_period=t.before, change=t.change)
                                      for t in terms]) for language, terms in trends.items()])


@blueprint.get("/analytics/widget")
@spec.validate(resp=documented(WidgetFiguresOut), tags=[TAG], operation_id="getWidgetFigures")
def get_widget_figures(query: FiguresQuery) -> WidgetFiguresOut:
    """The widget's opens, clicks and opt-ins per page and product over the last `days` days"""
    store, span = store_and_period(query.days)
    return WidgetFiguresOut(first_day=span.first, last_day=span.last, lines=[
        WidgetLineOut(page=w.path, product=w.product, opens=w.opens, clicks=w.clicks,
                      optins=w.optins)
        for w in widget_figures.lines(db.session(), store, span)])


@blueprint.get("/analytics/health")
@spec.validate(resp=documented(HealthOut), tags=[TAG], operation_id="getNumberHealth")
def get_number_health(query: StoreQuery) -> HealthOut:
    """The number's quality and messaging limit, the account's standing, and warnings

    What Meta last reported (phone_number_quality_update, account_update), and each figure
    that crossed its threshold this week (read rate falling, opt-outs rising, 131049
    rising, first replies over target)."""
    store = caller_store()
    session = db.session()
    return HealthOut(
        numbers=[NumberHealthOut(
            display_phone_number=h.display_phone_number, waba_id=h.waba_id,
            flagged=h.flagged, quality_event=h.quality_event,
            messaging_limit=h.messaging_limit, business_limit=h.business_limit,
            account_event=h.account_event, account_detail=h.account_detail,
            reported_at=h.reported_at if h.quality_event or h.account_event else None)
            for h in number_health.for_store(session, store.id)],
        warnings=[WarningOut(key=w.key, text=w.text)
                  for w in health_warnings.warnings(session, store)])
