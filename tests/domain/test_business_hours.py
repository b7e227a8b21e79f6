"""Business hours: open or closed at an instant, and when the store next opens, in the
store's zone with its holidays, across DST changes; next_open equals a minute-by-minute
search over the same schedule."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.domain import business_hours as bh
from plugin.domain.business_hours import Hours, is_open, next_open, read

# Monday to Friday 09:00-13:00 and 14:00-18:00 in Lisbon (UTC+0 in winter, +1 in summer).
WEEKDAYS = {day: [["09:00", "13:00"], ["14:00", "18:00"]] for day in bh.DAYS[:5]}
LISBON = read(WEEKDAYS, ["2026-12-25"], "Europe/Lisbon")


def test_spans_and_holidays_are_read_as_typed_or_refused_with_a_sentence() -> None:
    assert bh.parse_spans("9:00-13:00, 14:00 – 18:30") == [("09:00", "13:00"),
                                                            ("14:00", "18:30")]
    assert bh.parse_spans("  ") == []
    for bad in ("9-5", "18:00-09:00", "24:00-25:00", "09:00-09:00"):
        with pytest.raises(ValueError, match="start before end"):
            bh.parse_spans(bad)
    with pytest.raises(ValueError, match="at most 4"):
        bh.parse_spans(", ".join(f"{h:02d}:00-{h:02d}:30" for h in range(8, 13)))
    assert bh.parse_holidays("2026-12-25\n\n 2026-01-01 \n2026-12-25") == [
        date(2026, 1, 1), date(2026, 12, 25)]
    with pytest.raises(ValueError, match="“Xmas” is not a date"):
        bh.parse_holidays("2026-12-25\nXmas")


def test_stored_hours_that_are_malformed_are_dropped() -> None:
    hours = read({"mon": [["09:00", "18:00"], ["25:00", "26:00"], "x"], "xyz": [], "tue": 3},
                 ["2026-12-25", "soon", 7], "Mars/Olympus")
    assert hours.zone == "UTC"
    assert dict(hours.week) == {"mon": ((datetime(1, 1, 1, 9).time(),
                                         datetime(1, 1, 1, 18).time()),)}
    assert hours.holidays == frozenset({date(2026, 12, 25)})
    assert read({}, [], None).always_open and read(None, None, "Europe/Lisbon").always_open


def test_open_in_the_stores_zone_closed_between_spans_and_on_holidays() -> None:
    # Winter: Lisbon is UTC+0.
    assert is_open(LISBON, datetime(2026, 12, 7, 9, 0))  # Monday 09:00
    assert not is_open(LISBON, datetime(2026, 12, 7, 13, 30))  # lunch
    assert not is_open(LISBON, datetime(2026, 12, 7, 18, 0))  # the end is not included
    assert not is_open(LISBON, datetime(2026, 12, 12, 10, 0))  # Saturday
    assert not is_open(LISBON, datetime(2026, 12, 25, 10, 0))  # a Friday, but a holiday
    # Summer: Lisbon is UTC+1, so 08:30 UTC is 09:30 there.
    assert is_open(LISBON, datetime(2026, 7, 6, 8, 30))
    assert not is_open(LISBON, datetime(2026, 7, 6, 17, 30))  # 18:30 there
    # Holidays close an always-open store too, and only on that day in its zone.
    holiday_only = read({}, ["2026-12-25"], "Asia/Tokyo")
    assert not is_open(holiday_only, datetime(2026, 12, 24, 15, 0))  # 00:00 on the 25th there
    assert is_open(holiday_only, datetime(2026, 12, 25, 15, 0))  # 00:00 on the 26th


def test_next_open_skips_the_weekend_and_holidays() -> None:
    friday_evening = datetime(2026, 12, 4, 18, 30)
    assert next_open(LISBON, friday_evening) == datetime(2026, 12, 7, 9, 0)
    assert next_open(LISBON, datetime(2026, 12, 7, 13, 15)) == datetime(2026, 12, 7, 14, 0)
    assert next_open(LISBON, datetime(2026, 12, 7, 10, 0)) == datetime(2026, 12, 7, 10, 0)
    # Christmas is a Friday: Thursday evening waits until Monday the 28th.
    assert next_open(LISBON, datetime(2026, 12, 24, 19, 0)) == datetime(2026, 12, 28, 9, 0)
    # A schedule with no span at all never opens.
    assert next_open(read({"mon": []}, [], "UTC"), datetime(2026, 12, 7)) is None


def test_opening_hours_keep_the_wall_clock_across_dst_changes() -> None:
    # Lisbon springs forward on Sunday 29 March 2026 and falls back on Sunday 25 October.
    assert next_open(LISBON, datetime(2026, 3, 27, 18, 0)) == datetime(2026, 3, 30, 8, 0)
    assert next_open(LISBON, datetime(2026, 10, 23, 17, 0)) == datetime(2026, 10, 26, 9, 0)
    # The hour the clocks go back is lived twice: 01:00-01:30 opens at both.
    twice = read({"sun": [["01:00", "01:30"]]}, [], "Europe/Lisbon")
    assert next_open(twice, datetime(2026, 10, 24, 23, 0)) == datetime(2026, 10, 25, 0, 0)
    assert next_open(twice, datetime(2026, 10, 25, 0, 45)) == datetime(2026, 10, 25, 1, 0)
    # A span that starts inside the skipped hour opens when the clocks have moved on.
    night = read({"sun": [["01:30", "04:00"]]}, [], "Europe/Lisbon")
    opening = next_open(night, datetime(2026, 3, 28, 12, 0))
    assert opening is not None and is_open(night, opening)


def _minute_search(hours: Hours, start: datetime, horizon: timedelta) -> datetime | None:
    """The brute force: the first whole minute from `start` on which the store is open."""
    at = start
    while at < start + horizon:
        if is_open(hours, at):
            return at
        at += timedelta(minutes=1)
    return None


SPAN = st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 45]),
                 st.integers(15, 600)).map(
    lambda t: [f"{t[0]:02d}:{t[1]:02d}",
               min(f"{(t[0] * 60 + t[1] + t[2]) // 60:02d}:{(t[0] * 60 + t[1] + t[2]) % 60:02d}",
                   "23:59")])
WEEK = st.dictionaries(st.sampled_from(bh.DAYS), st.lists(SPAN, max_size=2), max_size=7)


@settings(max_examples=60, deadline=None)
@given(week=WEEK, zone=st.sampled_from(["UTC", "Europe/Lisbon", "America/New_York",
                                         "Asia/Kolkata"]),
       # Half of the starts fall in the days around Europe's and New York's DST changes.
       start=st.one_of(
           st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)),
           st.datetimes(min_value=datetime(2026, 3, 6), max_value=datetime(2026, 3, 9)),
           st.datetimes(min_value=datetime(2026, 3, 27), max_value=datetime(2026, 3, 30)),
           st.datetimes(min_value=datetime(2026, 10, 23), max_value=datetime(2026, 10, 26)),
           st.datetimes(min_value=datetime(2026, 10, 30), max_value=datetime(2026, 11, 2))),
       holiday_offset=st.integers(0, 3))
def test_next_open_equals_a_minute_by_minute_search(week: dict[str, list[list[str]]],
                                                    zone: str, start: datetime,
                                                    holiday_offset: int) -> None:
    start = start.replace(second=0, microsecond=0)
    hours = read(week, [(start.date() + timedelta(days=holiday_offset)).isoformat()], zone)
    found = _minute_search(hours, start, timedelta(days=8))
    expected = next_open(hours, start)
    if found is None:
        assert expected is None or expected >= start + timedelta(days=8)
    else:
        assert expected == found
