"""Conversation-figure worlds: a store with business hours, shopper events fed through the
real rollup hooks, and a brute-force count of the same figures over the event list, written
out here on its own (history scans and minute-by-minute opening hours, not the reply clock).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain import business_hours, keywords
from plugin.infra import db
from plugin.models import ConversationRollup, Customer, KeywordRollup, Store, WidgetSettings
from plugin.pipeline import conversation_rollups, rollups

ZONE = "America/New_York"
# Weekdays 09:00–12:00 and 13:00–17:00, Saturday morning; Sunday closed; one holiday.
WEEK = {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu",
                                                                   "fri")}
WEEK["sat"] = [["09:00", "11:00"]]
HOLIDAY = date(2026, 11, 26)
# Sunday 1 November 2026 the clocks go back in New York: events straddle it.
START = datetime(2026, 10, 30, 12, 0)  # naive UTC, a Friday morning in New York
# Whole quarter-hours only, so that counting open quarter-hours is exact.
STEP = timedelta(minutes=15)
FIRST_TARGET = 5 * 60

TEXTS = ("Where is my order?", "¿Dónde está mi pedido?", "Olá, quero trocar o tamanho",
         "मेरा ऑर्डर कहाँ है", "أين طلبي", "Apakah ada ukuran besar?", "refund please",
         "the tracking number", "ok")


@dataclass(frozen=True)
class Event:
    """One thing that happened in a conversation: inbound (text), auto, team, resolve or
    csat (score)."""

    at: datetime
    customer: int
    kind: str
    text: str = ""
    score: int = 0


def make_store(app: Flask, owner_id: int | None = None) -> tuple[int, list[int]]:
    """A store in New York with the business hours above and three customers."""
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="hours.example", name="Hours", country="US",
                      timezone=ZONE, owner_id=owner_id)
        session.add(store)
        session.flush()
        session.add(WidgetSettings(store_id=store.id, settings={
            "hours": WEEK, "holidays": [HOLIDAY.isoformat()]}))
        customers = [Customer(store_id=store.id, platform_id=f"c{i}", tags=[],
                              phone_e164=f"+1555000000{i}") for i in range(3)]
        session.add_all(customers)
        session.flush()
        return store.id, [c.id for c in customers]


def feed(session: Session, store_id: int, customer_ids: list[int],
         events: list[Event]) -> None:
    """Each event through the rollup hook the real path calls."""
    for n, e in enumerate(events):
        customer = customer_ids[e.customer]
        if e.kind == "inbound":
            conversation_rollups.received(session, store_id, customer, e.at, kind="text",
                                          text=e.text)
        elif e.kind == "auto":
            conversation_rollups.replied(session, store_id, customer, f"answer:w{n}",
                                         "greeting", e.at)
        elif e.kind == "team":
            conversation_rollups.replied(session, store_id, customer, "inbox:1",
                                         f"agent:1:{n}", e.at)
        elif e.kind == "resolve":
            conversation_rollups.resolved(session, store_id, customer, e.at)
        else:
            conversation_rollups.scored(session, store_id, e.score, e.at)


def rolled_up(session: Session, store_id: int) -> Counter[tuple[str, str, str]]:
    """The conversation rollups of a store: (day, figure, detail) → n, zeros left out."""
    return Counter({(r.day.isoformat(), r.figure, r.detail): r.n for r in session.scalars(
        select(ConversationRollup).where(ConversationRollup.store_id == store_id)) if r.n})


def keywords_rolled_up(session: Session, store_id: int) -> Counter[tuple[str, str, str]]:
    """The keyword rollups: (day, language, term) → n."""
    return Counter({(r.day.isoformat(), r.language, r.term): r.n for r in session.scalars(
        select(KeywordRollup).where(KeywordRollup.store_id == store_id)) if r.n})


def open_seconds(start: datetime, end: datetime) -> int:
    """Business seconds counted quarter-hour by quarter-hour with is_open."""
    hours = business_hours.read(WEEK, [HOLIDAY.isoformat()], ZONE)
    total, at = 0, start
    while at < end:
        total += 900 if business_hours.is_open(hours, at) else 0
        at += STEP
    return total


def brute_force(events: list[Event]) -> Counter[tuple[str, str, str]]:
    """The figures from the event list alone, by scanning each customer's history."""
    zone = rollups.zone_named(ZONE)
    found: Counter[tuple[str, str, str]] = Counter()

    def day(at: datetime) -> str:
        return rollups.local_day(at, zone).isoformat()

    for i, e in enumerate(events):
        history = [h for h in events[:i] if h.customer == e.customer]
        last_resolve = max((j for j, h in enumerate(history) if h.kind == "resolve"),
                           default=-1)
        since_resolve = history[last_resolve + 1:]
        if e.kind == "inbound":
            found[(day(e.at), "inbound", "")] += 1
            if not any(h.kind == "inbound" for h in since_resolve):
                found[(day(e.at), "started", "")] += 1
        elif e.kind in ("auto", "team"):
            found[(day(e.at), "replies", "automatic" if e.kind == "auto" else "team")] += 1
            for whose, kinds in (("any", ("auto", "team")), ("team", ("team",))):
                if e.kind not in kinds:
                    continue
                last_reply = max((j for j, h in enumerate(since_resolve) if h.kind in kinds),
                                 default=-1)
                waiting = [h for h in since_resolve[last_reply + 1:] if h.kind == "inbound"]
                if not waiting:
                    continue
                seconds = open_seconds(waiting[0].at, e.at)
                found[(day(e.at), "reply", whose)] += 1
                found[(day(e.at), "reply_s", whose)] += seconds
                # The conversation began with its first message since the resolution:
                # replies before that answered nothing of it.
                begun = next(j for j, h in enumerate(since_resolve) if h.kind == "inbound")
                first = not any(h.kind in kinds for h in since_resolve[begun:])
                if first:
                    found[(day(e.at), "first_reply", whose)] += 1
                    found[(day(e.at), "first_reply_s", whose)] += seconds
                    if seconds > FIRST_TARGET:
                        found[(day(e.at), "first_over_target", whose)] += 1
        elif e.kind == "resolve":
            found[(day(e.at), "resolved", "")] += 1
        else:
            found[(day(e.at), "csat", str(e.score))] += 1
    return +found


def brute_keywords(events: list[Event]) -> Counter[tuple[str, str, str]]:
    """Per day and language, the messages that used each term: stop words dropped by a
    plain membership test, phrases as neighbouring kept words within one clause."""
    zone = rollups.zone_named(ZONE)
    found: Counter[tuple[str, str, str]] = Counter()
    for e in events:
        if e.kind != "inbound":
            continue
        language = keywords.language_of(e.text)
        stop = keywords.STOP_WORDS.get(language, frozenset().union(
            *keywords.STOP_WORDS.values()))
        terms: set[str] = set()
        for clause in keywords._CLAUSE_END.split(e.text):
            kept: list[str | None] = [w if w not in stop and len(w) >= 2 and not w.isdigit()
                                      else None for w in keywords.words(clause)]
            terms |= {w for w in kept if w}
            terms |= {f"{a} {b}" for a, b in zip(kept, kept[1:], strict=False)
                      if a and b and a != b}
        for term in terms:
            found[(rollups.local_day(e.at, zone).isoformat(), language, term)] += 1
    return found
