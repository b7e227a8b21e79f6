"""The conversation figures of a store's history (conversation and keyword rollups, reply
clocks), replayed from the raw rows they summarise: the messages shoppers sent
(`received_messages`), the replies in the outbox (`messages`, by plugin.domain's
reply_kind) and the survey scores (`csat_surveys`), in time order, through the same reply
clock moves and keyword rules as the live hooks in conversation_rollups.

It fills only what is missing, the days before the store's first figure: a resolution is
kept nowhere but in the figures themselves (the conversation holds only its present
status), so recounting a live-kept day would lose its resolutions and the conversations
they restarted. Days before the first figure are from before the upgrade and had none;
days from it on were counted as they happened and are left alone. So a second run, or a
run on a store counted live from the start, writes nothing.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from plugin.domain import inbox
from plugin.domain.conversation_figures import (
    Figure,
    close,
    reply_kind,
    start_wait,
    stop_wait,
    waits_for_reply,
)
from plugin.infra.sql import insert_ignore
from plugin.models import (
    Conversation,
    ConversationRollup,
    CsatSurvey,
    Customer,
    KeywordRollup,
    Message,
    ReceivedMessage,
    ReplyClock,
    Store,
)
from plugin.pipeline import conversation_rollups, rollups, store_hours

# Rows read from the message tables at a time.
_BATCH = 5000


@dataclass(frozen=True, slots=True)
class Written:
    """What one store's conversation backfill wrote."""

    figures: int = 0
    keywords: int = 0
    clocks: int = 0
    before: date | None = None  # the first day already counted (None: none was)


@dataclass(slots=True)
class _Clock:
    """A reply clock in memory, moved by the same rules as the stored one (a new clock is a
    closed conversation, as conversation_rollups makes it)."""

    open: bool = False
    waiting_since: datetime | None = None
    team_waiting_since: datetime | None = None
    first_pending: bool = True
    team_first_pending: bool = True


def first_counted_day(session: Session, store_id: int) -> date | None:
    """The store's first day with a conversation or keyword figure (None: no figure)."""
    days = [session.scalar(select(func.min(table.day)).where(table.store_id == store_id))
            for table in (ConversationRollup, KeywordRollup)]
    found = [d for d in days if d is not None]
    return min(found) if found else None


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    """The naive-UTC moment the store's calendar day begins."""
    return datetime.combine(day, time(), zone).astimezone(UTC).replace(tzinfo=None)


def backfill(session: Session, store: Store) -> Written:
    """Replay the store's conversations before its first counted day into the conversation
    and keyword rollups, and give each customer without a reply clock the one the replay
    ends with; what it wrote."""
    zone = rollups.zone_named(store.timezone)
    before = first_counted_day(session, store.id)
    until = _start_of(before, zone) if before is not None else None
    if before is None:
        # No figure at all: nothing was kept live, so no clock can be trusted either.
        session.execute(delete(ReplyClock).where(ReplyClock.store_id == store.id))
    hours = store_hours.hours_for(session, store)
    clocks: dict[int, _Clock] = {}
    figures: Counter[tuple[date, str, str]] = Counter()
    terms: Counter[tuple[date, str, str]] = Counter()
    for at, _order, customer_id, event in _events(session, store.id, until):
        day = rollups.local_day(at, zone)
        if isinstance(event, str):  # a reply of this kind
            counts = [(Figure.REPLIES, event, 1)]
            if customer_id in clocks:
                counts += stop_wait(clocks[customer_id], event, at, hours)
        elif isinstance(event, int):  # a survey score
            counts = [(Figure.CSAT, str(event), 1)]
        else:
            kind, text, payload, locale = event
            counts = [(Figure.INBOUND, "", 1)]
            if waits_for_reply(kind, payload):
                counts += start_wait(clocks.setdefault(customer_id, _Clock()), at)
            found = conversation_rollups.terms_of(kind, text, locale, store.locale)
            if found is not None:
                language, words = found
                terms.update((day, language, term) for term in words)
        figures.update({(day, figure.value, detail): n for figure, detail, n in counts})
    conversation_rollups.add_rows(session, [
        {"store_id": store.id, "day": day, "figure": figure, "detail": detail, "n": n}
        for (day, figure, detail), n in sorted(figures.items())])
    conversation_rollups.add_terms(session, [
        {"store_id": store.id, "day": day, "language": language, "term": term, "n": n}
        for (day, language, term), n in sorted(terms.items())])
    return Written(figures=len(figures), keywords=len(terms),
                   clocks=_write_clocks(session, store.id, clocks), before=before)


# What a replayed event carries: a received message (kind, text, payload, locale), a
# reply's kind, or a survey's score.
_Event = tuple[str, str, str, str | None] | str | int


def _events(session: Session, store_id: int,
            until: datetime | None) -> list[tuple[datetime, int, int, _Event]]:
    """The store's shopper messages, replies and survey scores before `until`, in the order
    the live hooks saw them: by time, a message before the reply written in its second."""
    found: list[tuple[datetime, int, int, _Event]] = []
    received = (select(ReceivedMessage.received_at, ReceivedMessage.id,
                       ReceivedMessage.customer_id, ReceivedMessage.kind, ReceivedMessage.text,
                       ReceivedMessage.payload, Customer.locale)
                .join(Customer, Customer.id == ReceivedMessage.customer_id)
                .where(ReceivedMessage.store_id == store_id))
    if until is not None:
        received = received.where(ReceivedMessage.received_at < until)
    for at, row_id, customer_id, kind, text, payload, locale in session.execute(
            received.execution_options(yield_per=_BATCH)):
        found.append((at, 2 * row_id, customer_id,
                      (kind, text or "", payload or "", locale)))
    written = (select(Message.created_at, Message.id, Message.customer_id, Message.cause,
                      Message.step)
               .where(Message.store_id == store_id, Message.customer_id.is_not(None)))
    if until is not None:
        written = written.where(Message.created_at < until)
    for at, row_id, customer_id, cause, step in session.execute(
            written.execution_options(yield_per=_BATCH)):
        kind = reply_kind(cause, step)
        if kind is not None:
            found.append((at, 2 * row_id + 1, customer_id, kind))
    answered = select(CsatSurvey.answered_at, CsatSurvey.id, CsatSurvey.customer_id,
                      CsatSurvey.score).where(CsatSurvey.store_id == store_id,
                                              CsatSurvey.score.is_not(None),
                                              CsatSurvey.answered_at.is_not(None))
    if until is not None:
        answered = answered.where(CsatSurvey.answered_at < until)
    found.extend((at, 0, customer_id, int(score))
                 for at, _, customer_id, score in session.execute(answered))
    # Within one second a message (even id) goes before a reply (odd id) written after it.
    found.sort(key=lambda e: (e[0], e[1] % 2, e[1]))
    return found


def _write_clocks(session: Session, store_id: int, clocks: dict[int, _Clock]) -> int:
    """Give each replayed customer without a clock the one the replay ends with, closed when
    their conversation stands resolved now; how many were written."""
    resolved = set(session.scalars(select(Conversation.customer_id).where(
        Conversation.store_id == store_id, Conversation.status == inbox.Status.RESOLVED.value)))
    written = 0
    for customer_id, clock in sorted(clocks.items()):
        if customer_id in resolved:
            close(clock)
        written += insert_ignore(session, ReplyClock, {
            "store_id": store_id, "customer_id": customer_id, "open": clock.open,
            "waiting_since": clock.waiting_since,
            "team_waiting_since": clock.team_waiting_since,
            "first_pending": clock.first_pending,
            "team_first_pending": clock.team_first_pending},
            ("store_id", "customer_id")) is not None
    return written
