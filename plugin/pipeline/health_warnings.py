"""Warnings for the home page: a store figure that crossed its threshold this week against
the week before (read rate falling, opt-outs rising, Meta's 131049 limit rising), first
replies slower than their target, and what Meta said about the number or account. Read
from the rollups, the consent log's last two weeks and the number's health rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from plugin.domain.conversation_figures import FIRST_REPLY_TARGET_SECONDS, Figure, Whose
from plugin.domain.message_flows import Figure as MessageFigure
from plugin.infra import db
from plugin.models import (
    ConsentEntry,
    ConversationRollup,
    MessageRollup,
    NumberHealth,
    Store,
)
from plugin.pipeline import number_health
from plugin.pipeline.message_figures import LIMITED_CODE, period

# The week compared with the week before it.
WINDOW_DAYS = 7
# Read rate: warn when it fell this many points, once enough messages were delivered for
# a rate to mean something.
READ_RATE_DROP_POINTS = 10.0
MIN_DELIVERED = 20
# Opt-outs and 131049 ("limited by Meta"): warn when this week has at least the minimum and
# this many times last week's.
RISE_FACTOR = 1.5
MIN_OPT_OUTS = 5
MIN_LIMITED = 5
# First replies: warn when their average is over target, over at least this many.
MIN_FIRST_REPLIES = 3


@dataclass(frozen=True, slots=True)
class HealthWarning:
    """One thing the owner should look at, with the figures behind it."""

    key: str  # read_rate, opt_outs, limited, first_reply, number, account
    text: str


def _weeks(store: Store, now: datetime) -> tuple[date, date, date]:
    """The first day of last week, and the first and last days of this one."""
    span = period(store, WINDOW_DAYS, now)
    return span.first - timedelta(days=WINDOW_DAYS), span.first, span.last


def _week_sums(session: Session, store_id: int, before_first: date, first: date,
               last: date) -> tuple[int, ...]:
    """Read, delivered and limited (131049) messages this week and the week before, in one
    scan of the two weeks' rollups: read now, read before, delivered now, … ."""
    read = MessageRollup.figure == MessageFigure.READ.value
    delivered = MessageRollup.figure == MessageFigure.DELIVERED.value
    limited = MessageRollup.detail == LIMITED_CODE
    this_week = MessageRollup.day >= first
    sums = [func.sum(case((and_(which, week), MessageRollup.n), else_=0))
            for which in (read, delivered, limited) for week in (this_week, ~this_week)]
    row = session.execute(select(*sums).where(
        MessageRollup.store_id == store_id, MessageRollup.day >= before_first,
        MessageRollup.day <= last, or_(read, delivered, limited))).one()
    return tuple(int(v or 0) for v in row)


def warnings(session: Session, store: Store, now: datetime | None = None) -> list[HealthWarning]:
    """What crossed a threshold for the store, in the order an owner should act."""
    now = now or db.utcnow()
    before_first, first, last = _weeks(store, now)
    found: list[HealthWarning] = []
    for row in number_health.for_store(session, store.id):
        if number_health.in_trouble(row):
            found.append(_number_warning(row))

    read_now, read_before, delivered_now, delivered_before, limited_now, limited_before = (
        _week_sums(session, store.id, before_first, first, last))
    if delivered_now >= MIN_DELIVERED and delivered_before >= MIN_DELIVERED:
        rate_now = 100.0 * read_now / delivered_now
        rate_before = 100.0 * read_before / delivered_before
        if rate_before - rate_now >= READ_RATE_DROP_POINTS:
            found.append(HealthWarning(key="read_rate", text=(
                f"Read rate fell to {rate_now:.1f}% this week from {rate_before:.1f}% "
                f"({read_now} of {delivered_now} delivered read).")))
    if limited_now >= MIN_LIMITED and limited_now >= RISE_FACTOR * limited_before:
        found.append(HealthWarning(key="limited", text=(
            f"Meta limited {limited_now} messages this week (error 131049), against "
            f"{limited_before} the week before: send fewer marketing messages.")))
    out_now, out_before = _opt_outs(session, store, now)
    if out_now >= MIN_OPT_OUTS and out_now >= RISE_FACTOR * out_before:
        found.append(HealthWarning(key="opt_outs", text=(
            f"{out_now} shoppers opted out this week, against {out_before} the week "
            "before.")))
    count, seconds = (int(v or 0) for v in session.execute(select(
        func.sum(case((ConversationRollup.figure == Figure.FIRST_REPLY.value,
                       ConversationRollup.n), else_=0)),
        func.sum(case((ConversationRollup.figure == Figure.FIRST_REPLY_SECONDS.value,
                       ConversationRollup.n), else_=0))).where(
        ConversationRollup.store_id == store.id, ConversationRollup.day >= first,
        ConversationRollup.day <= last, ConversationRollup.detail == Whose.ANY.value)).one())
    if count >= MIN_FIRST_REPLIES and seconds / count > FIRST_REPLY_TARGET_SECONDS:
        found.append(HealthWarning(key="first_reply", text=(
            f"First replies took {seconds / count / 60:.1f} minutes of business hours on "
            f"average this week ({count} conversations); the target is under "
            f"{FIRST_REPLY_TARGET_SECONDS // 60}.")))
    return found


def _number_warning(row: NumberHealth) -> HealthWarning:
    """What Meta said, in the owner's words."""
    if not row.display_phone_number:
        detail = f" ({row.account_detail})" if row.account_detail else ""
        return HealthWarning(key="account", text=(
            f"Meta reported {row.account_event}{detail} for your WhatsApp Business Account "
            f"{row.waba_id}: check it in WhatsApp Manager."))
    limit = f" Its messaging limit is {row.messaging_limit}." if row.messaging_limit else ""
    if row.flagged:
        return HealthWarning(key="number", text=(
            f"Meta flagged your number {row.display_phone_number} ({row.quality_event}): "
            f"its quality is low, so fewer marketing messages will do more good.{limit}"))
    return HealthWarning(key="number", text=(
        f"Meta lowered the messaging limit of your number {row.display_phone_number} "
        f"({row.quality_event}).{limit}"))


def _opt_outs(session: Session, store: Store, now: datetime) -> tuple[int, int]:
    """Opt-outs recorded in the last WINDOW_DAYS × 24 hours and the same span before."""
    since = now - timedelta(days=WINDOW_DAYS)
    before = since - timedelta(days=WINDOW_DAYS)
    row = session.execute(select(
        func.sum(case((ConsentEntry.created_at >= since, 1), else_=0)),
        func.sum(case((ConsentEntry.created_at < since, 1), else_=0))).where(
        ConsentEntry.store_id == store.id, ConsentEntry.granted.is_(False),
        ConsentEntry.created_at >= before, ConsentEntry.created_at <= now)).one()
    return int(row[0] or 0), int(row[1] or 0)
