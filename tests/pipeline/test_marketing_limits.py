"""The store's marketing limits at send time, through the batch engine: caps and quiet hours
defer a campaign's message (caps skip other flows' at once) correctly across a DST change,
in the shopper's own zone, and only a deadline drops it."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from plugin.domain.policy import CAP_CLEARANCE
from plugin.infra import db
from plugin.models import Message, Store
from plugin.pipeline.send_engine import send_pending
from tests.worlds.sending import CAUSE, UPDATE, Sending, sending_world

# Lisbon's clocks go back from 02:00 to 01:00 on 25 October 2026 (UTC+1 → UTC+0).
EVENING_BEFORE = datetime(2026, 10, 24, 21, 30)  # UTC: 22:30 in Lisbon (summer time)
MORNING_AFTER = datetime(2026, 10, 25, 9, 0)  # UTC: 09:00 in Lisbon (winter time)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Sending]:
    with sending_world(tmp_path, timezone="Europe/Lisbon") as sending:
        yield sending


def _send_at(world: Sending, monkeypatch: pytest.MonkeyPatch, now: datetime,
             cause: str = CAUSE) -> int:
    monkeypatch.setattr(db, "utcnow", lambda: now)
    with world.app.app_context():
        return send_pending(store_id=world.store_id, cause=cause, limit=100)


def _sent_before(world: Sending, customer: int, at: datetime, n: int) -> None:
    old = world.message(customer, cause=f"campaign:old{n}")
    world.set(Message, old, state="sent", sent_at=at)


def test_quiet_hours_defer_to_nine_local_across_the_night_the_clocks_go_back(
        world: Sending, monkeypatch: pytest.MonkeyPatch) -> None:
    lisbon = world.message(world.customer(1))  # +351: Lisbon's zone
    update = world.message(world.customer(2), template=UPDATE)  # order updates: no quiet
    assert _send_at(world, monkeypatch, EVENING_BEFORE) == 1
    row = world.row(lisbon)
    assert (row.state, row.reason) == ("pending", "quiet hours")
    # 09:00 in Lisbon after the change is 09:00 UTC, 11.5 hours on (not 10.5).
    assert row.not_before == MORNING_AFTER
    assert world.row(update).state == "sent"
    assert _send_at(world, monkeypatch, MORNING_AFTER - timedelta(minutes=1)) == 0
    assert _send_at(world, monkeypatch, MORNING_AFTER) == 1
    assert world.row(lisbon).state == "sent"


def test_quiet_hours_are_the_shoppers_own_zone(world: Sending,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # 22:30 in Lisbon is 18:30 in Rio (+55 21: one zone): her evening, not her night.
    rio = world.message(world.customer(1, phone="+5521987654321"))
    assert _send_at(world, monkeypatch, EVENING_BEFORE) == 1
    assert world.row(rio).state == "sent"


def test_a_deadline_before_the_morning_skips_rather_than_sends_late(
        world: Sending, monkeypatch: pytest.MonkeyPatch) -> None:
    flash = world.message(world.customer(1), send_by=MORNING_AFTER - timedelta(hours=1))
    assert _send_at(world, monkeypatch, EVENING_BEFORE) == 0
    row = world.row(flash)
    assert row.state == "skipped" and row.reason is not None
    assert row.reason.startswith("deadline passed")


def test_the_weekly_cap_counts_seven_days_of_real_time_across_the_change(
        world: Sending, monkeypatch: pytest.MonkeyPatch) -> None:
    world.set(Store, world.store_id, marketing_weekly_cap=1)
    now = datetime(2026, 10, 28, 12, 0)
    capped, free = world.customer(1), world.customer(2)
    # 6 days 23.5 hours before, the other side of the change: inside the week.
    _sent_before(world, capped, now - timedelta(days=7) + timedelta(minutes=30), 1)
    _sent_before(world, free, now - timedelta(days=7) - timedelta(minutes=30), 2)
    first, second = world.message(capped), world.message(free)
    assert _send_at(world, monkeypatch, now) == 1
    row = world.row(first)
    # A campaign's capped message waits, to the second the week's send is over 7 days old.
    assert (row.state, row.reason) == ("pending", "marketing cap reached (1 a week)")
    assert row.not_before == now + timedelta(minutes=30) + CAP_CLEARANCE
    assert world.row(second).state == "sent"
    assert _send_at(world, monkeypatch, now + timedelta(minutes=30)) == 0
    assert _send_at(world, monkeypatch, now + timedelta(minutes=30) + CAP_CLEARANCE) == 1
    assert world.row(first).state == "sent"


def test_a_capped_message_waits_for_its_cap_then_for_the_morning_across_the_change(
        world: Sending, monkeypatch: pytest.MonkeyPatch) -> None:
    world.set(Store, world.store_id, marketing_weekly_cap=1)
    shopper = world.customer(1)  # +351: Lisbon's zone
    # Last week's campaign reached her at 22:00 in Lisbon (21:00 UTC, summer time).
    _sent_before(world, shopper, datetime(2026, 10, 18, 21, 0), 1)
    sale = world.message(shopper)
    assert _send_at(world, monkeypatch, datetime(2026, 10, 24, 12, 0)) == 0
    row = world.row(sale)
    # Seven days of real time: 21:00 UTC on the 25th, which after the clocks went back is
    # 21:00 in Lisbon, not the 22:00 a wall-clock week would give.
    frees = datetime(2026, 10, 25, 21, 0) + CAP_CLEARANCE
    assert (row.state, row.reason, row.not_before) == (
        "pending", "marketing cap reached (1 a week)", frees)
    # The cap allows it at 21:00:01 in Lisbon: quiet hours, so on to 09:00 the next day.
    assert _send_at(world, monkeypatch, frees) == 0
    row = world.row(sale)
    assert (row.state, row.reason, row.not_before) == (
        "pending", "quiet hours", datetime(2026, 10, 26, 9, 0))
    assert _send_at(world, monkeypatch, datetime(2026, 10, 26, 9, 0)) == 1
    assert world.row(sale).state == "sent"
    assert len(world.graph.sent) == 1


def test_a_cap_that_frees_after_the_deadline_skips_and_other_flows_skip_at_once(
        world: Sending, monkeypatch: pytest.MonkeyPatch) -> None:
    world.set(Store, world.store_id, marketing_weekly_cap=1)
    now = datetime(2026, 11, 20, 12, 0)
    first, second = world.customer(1), world.customer(2)
    _sent_before(world, first, now - timedelta(days=1), 1)
    _sent_before(world, second, now - timedelta(days=1), 2)
    flash = world.message(first, send_by=now + timedelta(days=1))  # 24-hour flash sale
    alert = world.message(second, cause="price_drop:9")  # not a campaign: never waits
    assert _send_at(world, monkeypatch, now) == 0
    assert _send_at(world, monkeypatch, now, cause="price_drop:9") == 0
    assert (world.row(flash).state, world.row(flash).reason) == (
        "skipped", "deadline passed while waiting (marketing cap reached (1 a week))")
    assert (world.row(alert).state, world.row(alert).reason) == (
        "skipped", "marketing cap reached (1 a week)")


def test_at_risk_customers_get_the_stricter_cap(world: Sending,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 11, 20, 12, 0)
    at_risk, loyal = world.customer(1, tags=["at_risk"]), world.customer(2)
    _sent_before(world, at_risk, now - timedelta(days=9), 1)  # inside 10 days, outside 7
    _sent_before(world, loyal, now - timedelta(days=9), 2)
    first, second = world.message(at_risk), world.message(loyal)
    assert _send_at(world, monkeypatch, now) == 1
    row = world.row(first)
    assert row.state == "pending" and "1 per 10 days for at-risk" in (row.reason or "")
    assert row.not_before == now + timedelta(days=1) + CAP_CLEARANCE  # when 10 days passed
    assert world.row(second).state == "sent"
    # The owner loosens the at-risk period: the next campaign reaches them.
    world.set(Store, world.store_id, at_risk_cap_days=8)
    again = world.message(at_risk, cause="campaign:2")
    assert _send_at(world, monkeypatch, now, cause="campaign:2") == 1
    assert world.row(again).state == "sent"
