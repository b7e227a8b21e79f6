"""The sending policy, as pure decisions."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.domain.policy import (
    CAP_CLEARANCE,
    DEADLINE_PASSED,
    SendContext,
    cap_frees_at,
    decide,
    quiet_wait,
    quiet_wait_in_zone,
    window_open,
)

NOW = datetime(2026, 11, 21, 12, 0)
PT = "+351912345678"


def _marketing(**changes: object) -> SendContext:
    values: dict[str, object] = dict(store_active=True, recipient=PT, is_template=True,
                                     marketing=True, marketing_consent=True, now=NOW,
                                     local_now=NOW)
    values.update(changes)
    return SendContext(**values)  # type: ignore[arg-type]


def test_the_window_is_24_hours() -> None:
    assert window_open(NOW - timedelta(hours=23, minutes=59), NOW)
    assert not window_open(NOW - timedelta(hours=24), NOW)
    assert not window_open(None, NOW)


def test_free_form_only_inside_the_window() -> None:
    inside = SendContext(store_active=True, recipient=PT, is_template=False,
                         last_inbound_at=NOW - timedelta(hours=2), now=NOW)
    outside = SendContext(store_active=True, recipient=PT, is_template=False,
                          last_inbound_at=NOW - timedelta(hours=30), now=NOW)
    assert decide(inside).send
    assert "template" in decide(outside).reason


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"marketing_consent": None}, "no marketing opt-in"),
    ({"marketing_consent": False}, "opted out"),
    ({"marketing_consent": None, "consent_unconfirmed": True}, "awaits the shopper's first"),
    ({"recipient": "+12015550123"}, "+1 (US)"),
    ({"marketing_sent_this_week": 2}, "cap reached"),
])
def test_marketing_rules(changes: dict[str, object], fragment: str) -> None:
    decision = decide(_marketing(**changes))
    assert not decision.send and fragment in decision.reason


def test_utility_messages_ignore_marketing_rules() -> None:
    assert decide(_marketing(marketing=False, marketing_consent=False,
                             recipient="+12015550123", local_now=NOW.replace(hour=23))).send


def test_quiet_hours_defer_marketing_until_morning() -> None:
    decision = decide(_marketing(local_now=NOW.replace(hour=22, minute=30)))
    assert not decision.send and decision.defer == timedelta(hours=10, minutes=30)
    assert decide(_marketing(local_now=NOW.replace(hour=10))).send


@given(st.integers(0, 23), st.integers(0, 59), st.integers(0, 23), st.integers(0, 23))
def test_quiet_wait_always_lands_on_the_end_hour(hour: int, minute: int, start: int,
                                                 end: int) -> None:
    local = NOW.replace(hour=hour, minute=minute)
    wait = quiet_wait(local, (start, end))
    if wait is not None:
        assert timedelta(0) < wait <= timedelta(days=1)
        assert (local + wait).hour == end and (local + wait).minute == 0


LISBON = "Europe/Lisbon"


@pytest.mark.parametrize(("now", "wait"), [
    # Autumn: clocks go back at 02:00 on 25 October 2026; the night is an hour longer.
    (datetime(2026, 10, 24, 21, 30), timedelta(hours=11, minutes=30)),
    # Spring: clocks go forward at 01:00 on 29 March 2026; the night is an hour shorter.
    (datetime(2026, 3, 28, 22, 30), timedelta(hours=9, minutes=30)),
    # An ordinary night, for comparison.
    (datetime(2026, 11, 21, 22, 30), timedelta(hours=10, minutes=30)),
])
def test_quiet_hours_end_at_nine_local_across_a_dst_change(now: datetime,
                                                           wait: timedelta) -> None:
    decision = decide(_marketing(now=now, local_now=None, local_zone=LISBON))
    assert not decision.send and decision.defer == wait
    assert quiet_wait_in_zone(now + wait, LISBON, (21, 9)) is None  # 09:00 sharp: over


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
       st.sampled_from([LISBON, "America/New_York", "Australia/Sydney", "Asia/Kolkata"]))
def test_a_deferral_always_lands_on_the_end_hour_in_the_zone(now: datetime, zone: str) -> None:
    wait = quiet_wait_in_zone(now, zone, (21, 9))
    if wait is not None:
        local = (now + wait).replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
        assert (local.hour, local.minute) == (9, 0) and timedelta(0) < wait <= timedelta(1, 3600)


def test_the_stricter_cap_for_at_risk_customers() -> None:
    assert decide(_marketing(at_risk=False, marketing_sent_at_risk_period=1)).send
    capped = decide(_marketing(at_risk=True, marketing_sent_at_risk_period=1))
    assert not capped.send and "1 per 10 days for at-risk" in capped.reason
    assert decide(_marketing(at_risk=True, at_risk_cap=2, marketing_sent_at_risk_period=1)).send


def test_a_store_cap_replaces_the_default() -> None:
    assert decide(_marketing(weekly_cap=3, marketing_sent_this_week=2)).send
    capped = decide(_marketing(weekly_cap=1, marketing_sent_this_week=1))
    assert not capped.send and capped.reason == "marketing cap reached (1 a week)"


def test_a_held_customer_waits_for_the_hold_to_end() -> None:
    decision = decide(_marketing(held_until=NOW + timedelta(hours=5)))
    assert not decision.send and decision.defer == timedelta(hours=5)
    assert decide(_marketing(held_until=NOW - timedelta(seconds=1))).send
    # Order updates are never held, capped or kept quiet.
    assert decide(_marketing(marketing=False, held_until=NOW + timedelta(hours=5),
                             marketing_sent_this_week=9, local_now=NOW.replace(hour=23))).send


def test_deadlines_skip_rather_than_send_late() -> None:
    assert decide(_marketing(send_by=NOW)).reason == DEADLINE_PASSED
    assert decide(_marketing(marketing=False, send_by=NOW - timedelta(1))).reason == \
        DEADLINE_PASSED
    # Quiet until 09:00 (10.5 h), but due by 08:00: skipped now rather than sent late.
    night = NOW.replace(hour=22, minute=30)
    late = decide(_marketing(now=night, local_now=night, send_by=night + timedelta(hours=9)))
    assert not late.send and late.defer is None and late.reason.startswith(DEADLINE_PASSED)
    kept = decide(_marketing(now=night, local_now=night, send_by=night + timedelta(hours=12)))
    assert kept.defer == timedelta(hours=10, minutes=30)


def test_a_cap_frees_when_the_send_cap_places_from_the_newest_is_over_the_period_old() -> None:
    sends = [NOW - timedelta(days=d) for d in (1, 3, 6, 8)]  # the 8-day-old one is out
    assert cap_frees_at(sends, 2, 7, NOW) == NOW - timedelta(days=3) + timedelta(7) + \
        CAP_CLEARANCE
    assert cap_frees_at(sends, 3, 7, NOW) == NOW - timedelta(days=6) + timedelta(7) + \
        CAP_CLEARANCE
    assert cap_frees_at(sends, 4, 7, NOW) == NOW  # room now
    assert cap_frees_at(sends, 0, 7, NOW) is None  # no marketing at all: never
    # A send exactly a period old still counts (as the cap's count does).
    assert cap_frees_at([NOW - timedelta(days=7)], 1, 7, NOW) == NOW + CAP_CLEARANCE


@given(sends=st.lists(st.integers(min_value=0, max_value=20 * 86400), max_size=8),
       cap=st.integers(min_value=1, max_value=4), days=st.integers(min_value=1, max_value=14))
def test_at_the_time_a_cap_frees_it_allows_one_more_and_not_a_second_before(
        sends: list[int], cap: int, days: int) -> None:
    times = [NOW - timedelta(seconds=s) for s in sends]

    def count(at: datetime) -> int:
        return sum(at - timedelta(days=days) <= t <= at for t in times)

    frees = cap_frees_at(times, cap, days, NOW)
    assert frees is not None
    if count(NOW) < cap:
        assert frees == NOW
    else:
        assert count(frees) < cap <= count(frees - CAP_CLEARANCE)


def test_a_capped_campaign_message_waits_for_its_cap_and_others_are_skipped() -> None:
    frees = NOW + timedelta(days=2)
    capped = _marketing(marketing_sent_this_week=2, weekly_cap_frees_at=frees)
    skipped = decide(capped)  # not a campaign's: skipped
    assert (skipped.send, skipped.defer) == (False, None)
    waits = decide(_marketing(marketing_sent_this_week=2, weekly_cap_frees_at=frees,
                              cap_defers=True))
    assert (waits.send, waits.reason, waits.defer) == (
        False, "marketing cap reached (2 a week)", timedelta(days=2))
    # The stricter at-risk cap frees later: the wait is the longer of the two.
    both = decide(_marketing(marketing_sent_this_week=2, weekly_cap_frees_at=frees,
                             at_risk=True, marketing_sent_at_risk_period=1,
                             at_risk_cap_frees_at=frees + timedelta(days=3), cap_defers=True))
    assert both.defer == timedelta(days=5)
    # A cap of 0 never frees; a wait past the deadline is a skip.
    assert decide(_marketing(weekly_cap=0, cap_defers=True)).defer is None
    late = decide(_marketing(marketing_sent_this_week=2, weekly_cap_frees_at=frees,
                             cap_defers=True, send_by=NOW + timedelta(days=1)))
    assert not late.send and late.defer is None
    assert late.reason == f"{DEADLINE_PASSED} while waiting (marketing cap reached (2 a week))"
