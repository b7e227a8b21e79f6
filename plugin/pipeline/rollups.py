"""The analytics rollups kept as messages move: one upsert (n = n + 1) per figure a move
reaches, in the transaction of the move itself, and a backfill from the message table.

A message's figures count on the day it was written, in the store's timezone, so that every
rate compares the same messages (a read on Tuesday of Monday's message is Monday's read).
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plugin.domain.message_flows import Figure, figures_for_move, flow_of
from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.models import Message, MessageRollup, Store

_ROLLUPS = MessageRollup.__table__
_KEY = ["store_id", "day", "flow", "figure", "detail"]
# How long a store's timezone is trusted from memory: the send path must not read the store
# for every status, and a changed timezone moves only the figures of the next minute.
ZONE_TTL_SECONDS = 60.0
_zones: dict[int, tuple[float, ZoneInfo]] = {}

# One row of the outbox as the rollups need it: store, cause, step, when written.
MessageKey = tuple[int, str, str, datetime]


def forget_zones() -> None:
    """Drop the remembered timezones (a store's timezone changed, or a test starts)."""
    _zones.clear()


def _zone(session: Session, store_id: int) -> ZoneInfo:
    now = time.monotonic()
    known = _zones.get(store_id)
    if known is not None and now - known[0] < ZONE_TTL_SECONDS:
        return known[1]
    name = session.scalar(select(Store.timezone).where(Store.id == store_id))
    zone = zone_named(name)
    _zones[store_id] = (now, zone)
    return zone


def zone_named(name: str | None) -> ZoneInfo:
    """The store's timezone, UTC when unset or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(written: datetime, zone: ZoneInfo) -> date:
    """The store's calendar day of a naive-UTC moment."""
    return written.replace(tzinfo=UTC).astimezone(zone).date()


def store_today(timezone: str | None, now: datetime | None = None) -> date:
    """The calendar day it is now (or at naive-UTC `now`) in the store's timezone."""
    return local_day(now or db.utcnow(), zone_named(timezone))


def detail_of(state: MessageState, code: int | None, reason: str | None) -> str:
    """What a failure is counted under (Meta's code when there is one, else its reason),
    or a skip (our reason)."""
    if state is MessageState.FAILED and code is not None:
        return str(code)
    return (reason or "")[:255]


def moved(session: Session, key: MessageKey, old: MessageState | None, new: MessageState,
          detail: str = "") -> None:
    """Count a message's move from `old` (None: just written) to `new`; call it only when
    the move really happened (the outbox's conditional update said so)."""
    figures = figures_for_move(old, new)
    if figures:
        _add(session, key, figures, detail)


def reached(session: Session, key: MessageKey, figure: Figure) -> None:
    """Count a figure a message reached outside its state (a click, a reply, an opt-out);
    call it only when its row said this was the first time."""
    _add(session, key, (figure,), "")


_DETAILED = (Figure.FAILED, Figure.FAILED_AFTER_SENT, Figure.SKIPPED)


def moved_many(session: Session, keys: Iterable[MessageKey], old: MessageState,
               new: MessageState, detail: str = "") -> None:
    """Count many messages' same move at once: one upsert per (day, flow) they fall in."""
    zones = {}
    grouped: Counter[tuple[int, date, str]] = Counter()
    for store_id, cause, step, written in keys:
        if store_id not in zones:
            zones[store_id] = _zone(session, store_id)
        grouped[(store_id, local_day(written, zones[store_id]), flow_of(cause, step))] += 1
    figures = figures_for_move(old, new)
    _upsert(session, [{"store_id": store_id, "day": day, "flow": flow, "figure": f.value,
                       "detail": detail if f in _DETAILED else "", "n": n}
                      for (store_id, day, flow), n in grouped.items() for f in figures])


def moved_each(session: Session,
               moves: Iterable[tuple[MessageKey, MessageState, MessageState, str]]) -> None:
    """Count many messages' moves, each its own (key, old, new, detail), in one pass over
    the rollup rows they touch (each locked once, in key order)."""
    grouped: Counter[tuple[int, date, str, str, str]] = Counter()
    for (store_id, cause, step, written), old, new, detail in moves:
        day = local_day(written, _zone(session, store_id))
        for figure in figures_for_move(old, new):
            grouped[(store_id, day, flow_of(cause, step), figure.value,
                     detail if figure in _DETAILED else "")] += 1
    if grouped:
        _upsert(session, [dict(zip(_KEY, key, strict=True), n=n)
                          for key, n in grouped.items()])


def _add(session: Session, key: MessageKey, figures: Iterable[Figure], detail: str,
         by: int = 1) -> None:
    store_id, cause, step, written = key
    day = local_day(written, _zone(session, store_id))
    flow = flow_of(cause, step)
    rows = [{"store_id": store_id, "day": day, "flow": flow, "figure": figure.value,
             "detail": detail if figure in _DETAILED else "", "n": by}
            for figure in figures]
    _upsert(session, rows)


def _upsert(session: Session, rows: list[dict[str, object]]) -> None:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(_ROLLUPS)
    statement = statement.on_conflict_do_update(
        index_elements=_KEY, set_={"n": _ROLLUPS.c.n + statement.excluded.n})
    # In key order: two transactions counting the same rows lock them in the same order,
    # so they wait for each other instead of deadlocking (a delivery of statuses, a batch).
    for row in sorted(rows, key=lambda r: tuple(str(r[k]) for k in _KEY)):
        session.execute(statement, row)


def backfill(session: Session, store_id: int | None = None) -> int:
    """Recompute the rollups of one store (or all) from their messages, replacing what was
    there; how many rollup rows it wrote. Run once after the upgrade, or to repair."""
    stores = select(Store.id, Store.timezone)
    if store_id is not None:
        stores = stores.where(Store.id == store_id)
    written = 0
    for sid, zone_name in session.execute(stores).all():
        session.execute(delete(MessageRollup).where(MessageRollup.store_id == sid))
        counts = _count_store(session, sid, zone_named(zone_name))
        _upsert(session, [{"store_id": sid, "day": day, "flow": flow, "figure": figure,
                           "detail": detail, "n": n}
                          for (day, flow, figure, detail), n in counts.items()])
        written += len(counts)
    return written


def _count_store(session: Session, store_id: int,
                 zone: ZoneInfo) -> Counter[tuple[date, str, str, str]]:
    """The figures of one store's messages from their present state: what reached sent
    (has a wamid), delivered, read, failed or skipped, and was clicked, replied to or
    followed by an opt-out."""
    counts: Counter[tuple[date, str, str, str]] = Counter()
    rows = session.execute(select(
        Message.cause, Message.step, Message.created_at, Message.state, Message.wamid,
        Message.error_code, Message.reason, Message.clicked_at, Message.replied_at,
        Message.opted_out_at).where(Message.store_id == store_id)
        .execution_options(yield_per=5000))
    for cause, step, created, state, wamid, code, reason, *reactions in rows:
        key = (local_day(created, zone), flow_of(cause, step))
        for figure, detail in figures_of_row(MessageState(state), wamid, code, reason):
            counts[(*key, figure.value, detail)] += 1
        for figure, at in zip(_REACTIONS, reactions, strict=True):
            if at is not None:
                counts[(*key, figure.value, "")] += 1
    return counts


# The figures kept by a time on the message's row, in the order _count_store reads them.
_REACTIONS = (Figure.CLICKED, Figure.REPLIED, Figure.OPTED_OUT)


def figures_of_row(state: MessageState, wamid: str | None, code: int | None,
                   reason: str | None) -> list[tuple[Figure, str]]:
    """The figures one message has reached, read from its row as it is now."""
    found: list[tuple[Figure, str]] = []
    sent = wamid is not None or state in (MessageState.SENT, MessageState.DELIVERED,
                                          MessageState.READ)
    if sent:
        found.append((Figure.SENT, ""))
    if state in (MessageState.DELIVERED, MessageState.READ):
        found.append((Figure.DELIVERED, ""))
    if state is MessageState.READ:
        found.append((Figure.READ, ""))
    if state is MessageState.FAILED:
        figure = Figure.FAILED_AFTER_SENT if sent else Figure.FAILED
        found.append((figure, detail_of(state, code, reason)))
    if state is MessageState.SKIPPED:
        found.append((Figure.SKIPPED, detail_of(state, code, reason)))
    return found
