"""The conversation rollups kept as events arrive: a shopper's message starts the reply
clock (and adds its words to the keyword trends), a reply stops it and counts its business
seconds, a resolution ends the conversation, a survey score counts. Each upsert runs in the
transaction of the event itself, so the Analytics page reads days, never messages."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plugin.domain import keywords
from plugin.domain.conversation_figures import (
    Figure,
    close,
    reply_kind,
    start_wait,
    stop_wait,
    waits_for_reply,
)
from plugin.infra.sql import insert_ignore
from plugin.models import ConversationRollup, KeywordRollup, ReplyClock, Store
from plugin.pipeline import rollups, store_hours

_FIGURES = ConversationRollup.__table__
_KEYWORDS = KeywordRollup.__table__


def received(session: Session, store_id: int, customer_id: int, at: datetime, *, kind: str,
             text: str, payload: str = "", locale: str | None = None) -> None:
    """A shopper's message (kept once per wamid, so call it once): count it, start the
    reply clock when it asks something, and count the words of a text."""
    store = session.get(Store, store_id)
    if store is None:
        return
    day = rollups.local_day(at, rollups.zone_named(store.timezone))
    figures: list[tuple[Figure, str, int]] = [(Figure.INBOUND, "", 1)]
    if waits_for_reply(kind, payload):
        figures += start_wait(_clock(session, store_id, customer_id), at)
    add(session, store_id, day, figures)
    found = terms_of(kind, text, locale, store.locale)
    if found is not None:
        count_terms(session, store_id, day, *found)


def terms_of(kind: str, text: str, locale: str | None,
             store_locale: str | None) -> tuple[str, list[str]] | None:
    """The language and terms a shopper's message adds to the keyword trends; None for a
    message that is not text."""
    if kind != "text" or not text.strip():
        return None
    # A message too short to tell ("tracking wrong") is taken in the shopper's locale,
    # else the store's own language.
    language = keywords.language_of(text, locale or store_locale)
    return language, keywords.terms(text, language)


def replied(session: Session, store_id: int, customer_id: int | None, cause: str, step: str,
            at: datetime) -> None:
    """A message was written to a shopper: when it is a reply, count it and, when a message
    of theirs was waiting, its business seconds (for any reply, and for the team's)."""
    kind = reply_kind(cause, step)
    if kind is None or customer_id is None:
        return  # most messages: nothing to read, nothing to flush
    store = session.get(Store, store_id)
    if store is None:
        return
    day = rollups.local_day(at, rollups.zone_named(store.timezone))
    figures: list[tuple[Figure, str, int]] = [(Figure.REPLIES, kind, 1)]
    clock = session.scalars(_clock_query(store_id, customer_id)).first()
    # The hours are read only when a shopper's message is waiting for this reply.
    if clock is not None and (clock.waiting_since or clock.team_waiting_since):
        figures += stop_wait(clock, kind, at, store_hours.hours_for(session, store))
    add(session, store_id, day, figures)


def resolved(session: Session, store_id: int, customer_id: int, at: datetime) -> None:
    """The conversation was marked resolved: count it; the shopper's next message starts a
    new conversation (and what waited unanswered stops waiting)."""
    store = session.get(Store, store_id)
    if store is None:
        return
    clock = session.scalars(_clock_query(store_id, customer_id)).first()
    if clock is not None:
        close(clock)
    add(session, store_id, rollups.local_day(at, rollups.zone_named(store.timezone)),
        [(Figure.RESOLVED, "", 1)])


def scored(session: Session, store_id: int, score: int, at: datetime) -> None:
    """A satisfaction survey's first score, counted on the day it was given."""
    store = session.get(Store, store_id)
    if store is not None:
        add(session, store_id, rollups.local_day(at, rollups.zone_named(store.timezone)),
            [(Figure.CSAT, str(score), 1)])


def _clock_query(store_id: int, customer_id: int):  # type: ignore[no-untyped-def]
    # FOR UPDATE on PostgreSQL: two workers answering one customer must not both read an
    # open wait and both count it.
    return select(ReplyClock).where(ReplyClock.store_id == store_id,
                                    ReplyClock.customer_id == customer_id).with_for_update()


def _clock(session: Session, store_id: int, customer_id: int) -> ReplyClock:
    """The customer's reply clock, made on first need (once, even when two messages race);
    a new one is a closed conversation, so its first message starts one."""
    clock = session.scalars(_clock_query(store_id, customer_id)).first()
    if clock is None:
        insert_ignore(session, ReplyClock, {
            "store_id": store_id, "customer_id": customer_id, "open": False,
            "waiting_since": None, "team_waiting_since": None, "first_pending": True,
            "team_first_pending": True}, ("store_id", "customer_id"))
        clock = session.scalars(_clock_query(store_id, customer_id)).one()
    return clock


def _module(session: Session):  # type: ignore[no-untyped-def]
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def add(session: Session, store_id: int, day: date,
        figures: Iterable[tuple[Figure, str, int]]) -> None:
    """Add to the day's figures, one upsert each (n = n + value)."""
    add_rows(session, [{"store_id": store_id, "day": day, "figure": figure.value,
                        "detail": detail, "n": value} for figure, detail, value in figures])


def add_rows(session: Session, rows: list[dict[str, object]]) -> None:
    """Add many figure rows (store_id, day, figure, detail, n) at once, as `add` does."""
    if not rows:
        return
    statement = _module(session).insert(_FIGURES)
    statement = statement.on_conflict_do_update(
        index_elements=["store_id", "day", "figure", "detail"],
        set_={"n": _FIGURES.c.n + statement.excluded.n})
    session.execute(statement, rows)


def count_terms(session: Session, store_id: int, day: date, language: str,
                terms: Iterable[str]) -> None:
    """One more message of the day and language used each of these terms."""
    add_terms(session, [{"store_id": store_id, "day": day, "language": language,
                         "term": term, "n": 1} for term in terms])


def add_terms(session: Session, rows: list[dict[str, object]]) -> None:
    """Add many term rows (store_id, day, language, term, n) at once, as `count_terms`."""
    if not rows:
        return
    statement = _module(session).insert(_KEYWORDS)
    statement = statement.on_conflict_do_update(
        index_elements=["store_id", "day", "language", "term"],
        set_={"n": _KEYWORDS.c.n + statement.excluded.n})
    session.execute(statement, rows)
