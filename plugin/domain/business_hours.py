"""A store's business hours: a weekly schedule and holidays, in the store's own time zone.

The schedule is what the owner types in the widget designer's Business hours: per weekday
up to four spans like 09:00-13:00 (24-hour clock, start before end), none = closed that day,
no day at all = always open. Holidays are dates on which the store is closed whatever the
schedule says. The widget reads them to show its away note; the automatic answers read them
to say when the team is back.

Times are wall-clock times in the zone: across a DST change "09:00" stays 09:00 local, so
an hour of UTC is gained or lost, never a span moved.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Day keys as stored, in datetime.weekday() order (Monday first).
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SPANS_PER_DAY = 4
# Holidays kept per store: a year's public holidays and closures with room to spare.
MAX_HOLIDAYS = 60
# How far ahead next_open looks before saying "never" (a schedule with every day empty).
LOOKAHEAD_DAYS = 400

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

Span = tuple[time, time]


@dataclass(frozen=True, slots=True)
class Hours:
    """When a store is open: spans per weekday key, closed dates, and the zone they are in."""

    week: Mapping[str, tuple[Span, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    zone: str = "UTC"

    @property
    def always_open(self) -> bool:
        """No schedule and no holiday: open at every hour."""
        return not self.week and not self.holidays


def parse_spans(text: str) -> list[tuple[str, str]]:
    """'09:00-13:00, 14:00-18:00' → [("09:00", "13:00"), ("14:00", "18:00")]; '' → [].

    Raises ValueError with a sentence the owner can act on."""
    spans: list[tuple[str, str]] = []
    for part in (p for p in text.split(",") if p.strip()):
        match = _SPAN.match(part)
        start, end = (f"{int(match[1]):02d}:{match[2]}", f"{int(match[3]):02d}:{match[4]}") \
            if match else ("", "")
        if not match or not _TIME.match(start) or not _TIME.match(end) or start >= end:
            raise ValueError("write spans like 09:00-13:00, 14:00-18:00 "
                             "(24-hour clock, start before end).")
        spans.append((start, end))
    if len(spans) > MAX_SPANS_PER_DAY:
        raise ValueError(f"at most {MAX_SPANS_PER_DAY} spans.")
    return spans


def parse_holidays(text: str) -> list[date]:
    """One date per line as 2026-12-25 → the dates, sorted, once each; '' → [].

    Raises ValueError naming the first line that is not a date."""
    days: set[date] = set()
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        try:
            days.add(date.fromisoformat(line))
        except ValueError:
            raise ValueError(f"“{line[:40]}” is not a date: write one date per line, "
                             "like 2026-12-25.") from None
    if len(days) > MAX_HOLIDAYS:
        raise ValueError(f"at most {MAX_HOLIDAYS} dates.")
    return sorted(days)


def read(week: object, holidays: object, zone: str | None) -> Hours:
    """Stored JSON (as the widget settings keep it) → Hours; anything malformed is dropped,
    an unknown zone is UTC."""
    spans: dict[str, tuple[Span, ...]] = {}
    if isinstance(week, Mapping):
        for day in DAYS:
            value = week.get(day)
            if isinstance(value, list):
                spans[day] = tuple(_spans(value))[:MAX_SPANS_PER_DAY]
    closed: set[date] = set()
    for value in holidays if isinstance(holidays, list) else []:
        try:
            closed.add(date.fromisoformat(value))
        except (TypeError, ValueError):
            continue
    return Hours(week=spans, holidays=frozenset(closed), zone=_zone_name(zone))


def is_open(hours: Hours, at: datetime) -> bool:
    """Whether the store is open at `at` (aware, or naive UTC as the database keeps it)."""
    if hours.always_open:
        return True
    local = _utc(at).astimezone(ZoneInfo(hours.zone))
    if local.date() in hours.holidays:
        return False
    if not hours.week:
        return True  # no schedule: open every day that is not a holiday
    now = local.time().replace(tzinfo=None)
    return any(start <= now < end for start, end in hours.week.get(DAYS[local.weekday()], ()))


def next_open(hours: Hours, at: datetime) -> datetime | None:
    """When the store next opens, as naive UTC: `at` itself when it is open now, None when
    no span is ahead within LOOKAHEAD_DAYS."""
    if is_open(hours, at):
        return _utc(at).replace(tzinfo=None)
    zone = ZoneInfo(hours.zone)
    instant = _utc(at)
    today = instant.astimezone(zone).date()
    for offset in range(LOOKAHEAD_DAYS):
        day = today + timedelta(days=offset)
        if day in hours.holidays:
            continue
        starts = [time(0, 0)] if not hours.week else \
            [start for start, _end in hours.week.get(DAYS[day.weekday()], ())]
        candidates = sorted(at for start in starts for at in _instants(day, start, zone))
        # A span that lies wholly in an hour the clocks skip never opens: hence is_open.
        opening = next((c for c in candidates if c > instant and is_open(hours, c)), None)
        if opening is not None:
            return opening.replace(tzinfo=None)
    return None


def _instants(day: date, start: time, zone: ZoneInfo) -> set[datetime]:
    """The UTC instants at which the wall clock reads `start` on `day` (twice in the hour
    the clocks go back), or first passes it (in the hour they skip)."""
    wall = datetime.combine(day, start)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return {first, second}
    # Skipped: walk from the earlier reading to the minute the clocks jump past it.
    moment = min(first, second)
    while moment.astimezone(zone).replace(tzinfo=None) < wall:
        moment += timedelta(minutes=1)
    return {moment}


def _spans(values: Iterable[object]) -> Iterable[Span]:
    for value in values:
        if isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, str) and _TIME.match(v) for v in value) and value[0] < value[1]:
            yield time.fromisoformat(value[0]), time.fromisoformat(value[1])


def _zone_name(zone: str | None) -> str:
    try:
        return ZoneInfo(zone).key if zone else "UTC"
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return "UTC"


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def open_seconds(hours: Hours, start: datetime, end: datetime) -> int:
    """How many whole seconds of [start, end) the store is open (aware, or naive UTC):
    exactly the instants at which is_open says yes, holidays and DST changes included."""
    begin, finish = _utc(start), _utc(end)
    if finish <= begin:
        return 0
    if hours.always_open:
        return int((finish - begin).total_seconds())
    zone = ZoneInfo(hours.zone)
    total = 0.0
    for piece_start, piece_end, offset in _steady_pieces(begin, finish, zone):
        # Within one offset the wall clock runs with UTC: measure the wall-clock stretch.
        wall_start = (piece_start + offset).replace(tzinfo=None)
        wall_end = (piece_end + offset).replace(tzinfo=None)
        total += _open_wall_seconds(hours, wall_start, wall_end)
    return int(total)


def _offset(at: datetime, zone: ZoneInfo) -> timedelta:
    return at.astimezone(zone).utcoffset() or timedelta(0)


def _steady_pieces(begin: datetime, finish: datetime,
                   zone: ZoneInfo) -> Iterable[tuple[datetime, datetime, timedelta]]:
    """[begin, finish) cut where the zone's UTC offset changes (found to the second)."""
    cursor = begin
    while cursor < finish:
        offset = _offset(cursor, zone)
        stop = min(cursor + timedelta(days=1), finish)
        if _offset(stop - timedelta(seconds=1), zone) != offset:
            # Zones change offset on a whole second: bisect over whole seconds from cursor.
            low, high = 0, int((stop - cursor).total_seconds()) - 1
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(cursor + timedelta(seconds=middle), zone) == offset:
                    low = middle
                else:
                    high = middle
            stop = (cursor + timedelta(seconds=high)).replace(microsecond=0)
            stop = max(stop, cursor + timedelta(microseconds=1))
        yield cursor, stop, offset
        cursor = stop


def _open_wall_seconds(hours: Hours, start: datetime, end: datetime) -> float:
    """Open seconds between two naive wall-clock times of the store's zone (overlapping
    spans of a day count once)."""
    total = 0.0
    day = start.date()
    while day <= end.date():
        if day not in hours.holidays:
            spans: Iterable[tuple[time, time | None]] = \
                hours.week.get(DAYS[day.weekday()], ()) if hours.week else ((time(0), None),)
            reached = datetime.combine(day, time(0))  # the day's wall clock counted so far
            for span_start, span_end in sorted(spans, key=lambda s: s[0]):
                opens = max(datetime.combine(day, span_start), reached)
                closes = datetime.combine(day, span_end) if span_end is not None \
                    else datetime.combine(day + timedelta(days=1), time(0))
                overlap = (min(closes, end) - max(opens, start)).total_seconds()
                total += max(overlap, 0.0)
                reached = max(reached, closes)
        day += timedelta(days=1)
    return total
