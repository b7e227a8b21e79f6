"""open_seconds counts exactly the instants is_open says yes to: over nights, weekends,
holidays and both DST changes (hypothesis against a minute-by-minute count)."""
from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.domain import business_hours
from plugin.domain.business_hours import Hours, is_open, open_seconds, read

WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def _minutes(hours: Hours, start: datetime, end: datetime) -> int:
    total, at = 0, start
    while at < end:
        total += 60 if is_open(hours, at) else 0
        at += timedelta(minutes=1)
    return total


def test_friday_evening_to_monday_morning_is_only_the_open_minutes() -> None:
    hours = read(WEEKDAYS, [], "Europe/Lisbon")
    # Friday 4 December 2026 16:55 → Monday 7 December 09:03 (Lisbon is UTC in winter).
    assert open_seconds(hours, datetime(2026, 12, 4, 16, 55), datetime(2026, 12, 7, 9, 3)) \
        == 8 * 60


def test_a_holiday_and_a_night_count_nothing() -> None:
    hours = read(WEEKDAYS, ["2026-12-25"], "Europe/Lisbon")
    assert open_seconds(hours, datetime(2026, 12, 24, 16, 0),
                        datetime(2026, 12, 28, 10, 0)) == 2 * 3600
    assert open_seconds(hours, datetime(2026, 12, 22, 18, 0),
                        datetime(2026, 12, 23, 8, 59)) == 0


def test_no_schedule_is_always_open_and_backwards_is_nothing() -> None:
    always = read(None, None, "UTC")
    start = datetime(2026, 1, 1, 10, 0)
    assert open_seconds(always, start, start + timedelta(hours=3, seconds=7)) == 3 * 3600 + 7
    assert open_seconds(always, start, start - timedelta(hours=1)) == 0


SPANS = st.lists(st.tuples(st.integers(0, 23), st.sampled_from((0, 30)),
                           st.integers(1, 6)), max_size=2)


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(("America/New_York", "Europe/Lisbon", "Asia/Kolkata",
                             "Australia/Lord_Howe")),
       day_spans=st.dictionaries(st.sampled_from(business_hours.DAYS), SPANS, max_size=7),
       holiday=st.booleans(),
       start_minutes=st.integers(0, 3 * 24 * 60),
       length=st.integers(0, 4 * 24 * 60),
       around=st.sampled_from((datetime(2026, 3, 6), datetime(2026, 10, 30),
                               datetime(2026, 4, 3), datetime(2026, 6, 12))))
def test_open_seconds_equals_a_minute_by_minute_count(
        zone: str, day_spans: dict[str, list[tuple[int, int, int]]], holiday: bool,
        start_minutes: int, length: int, around: datetime) -> None:
    week = {day: [[f"{h:02d}:{m:02d}", f"{min(h + d, 23):02d}:{59 if h + d > 23 else m:02d}"]
                  for h, m, d in spans] for day, spans in day_spans.items()}
    holidays = [(around + timedelta(days=2)).date().isoformat()] if holiday else []
    hours = read(week, holidays, zone)
    start = around + timedelta(minutes=start_minutes)
    end = start + timedelta(minutes=length)
    assert open_seconds(hours, start, end) == _minutes(hours, start, end)
