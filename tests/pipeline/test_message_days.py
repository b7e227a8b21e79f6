"""Messages per day (the Analytics chart's table): for any history, each day's sent,
delivered, read and failed equal a brute-force count over the message rows (hypothesis);
every day of the period is there, quiet ones as zeros, and nothing outside it."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from plugin.infra import db
from plugin.models import Message, MessageRollup, Store
from plugin.pipeline import message_days, rollups
from plugin.pipeline.message_figures import Period
from tests.conftest import DemoPlatform
from tests.worlds.analytics import ENDINGS, REPORTS, live

CAUSES = [("order:1", "order_confirmation"), ("checkout:3:1", "cart_recovery_1"),
          ("campaign:7", "c"), ("inbox:4", "agent:1:ab")]
reports = st.lists(st.tuples(st.sampled_from(REPORTS), st.sampled_from([None, 131049])),
                   max_size=5)
# Hours after START: some fall before the period, some after it, most inside.
histories = st.lists(st.tuples(st.sampled_from(CAUSES), st.sampled_from(ENDINGS), reports,
                               st.integers(min_value=0, max_value=24 * 9)), max_size=12)
START = datetime(2026, 11, 27)
PERIOD = Period(first=date(2026, 11, 28), last=date(2026, 12, 4), days=7)


def _reset(app: Flask, store_id: int, zone: str) -> None:
    rollups.forget_zones()
    with app.app_context(), db.transaction() as session:
        session.execute(delete(Message))
        session.execute(delete(MessageRollup))
        session.execute(update(Store).where(Store.id == store_id).values(timezone=zone))


def _by_hand(app: Flask, store_id: int, zone: str) -> dict[str, Counter[str]]:
    """Per local day of the period, straight from the rows: what reached each point."""
    tz = rollups.zone_named(zone)
    found: dict[str, Counter[str]] = {(PERIOD.first + timedelta(days=i)).isoformat(): Counter()
                                      for i in range(PERIOD.days)}
    with app.app_context():
        for m in db.session().scalars(select(Message).where(Message.store_id == store_id)):
            local = rollups.local_day(m.created_at, tz).isoformat()
            if local not in found:
                continue
            sent = m.wamid is not None or m.state in ("sent", "delivered", "read")
            found[local]["sent"] += sent
            found[local]["delivered"] += m.state in ("delivered", "read")
            found[local]["read"] += m.state == "read"
            found[local]["failed"] += m.state == "failed"
    return found


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories, zone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"]))
def test_each_day_equals_a_brute_force_count_over_the_messages(
        app: Flask, demo: DemoPlatform, history: list[Any], zone: str) -> None:
    _reset(app, demo.store_id, zone)
    with app.app_context():
        for n, ((cause, step), ending, said, hour) in enumerate(history):
            with db.transaction() as session:
                live(session, demo.store_id, n, f"{cause}:{n}", step, ending, said,
                     created=START + timedelta(hours=hour))
        lines = message_days.per_day(db.session(), demo.store_id, PERIOD)
    expected = _by_hand(app, demo.store_id, zone)
    assert [line.day for line in lines] == list(expected)  # every day, oldest first
    for line in lines:
        want = expected[line.day]
        assert (line.sent, line.delivered, line.read, line.failed) == (
            want["sent"], want["delivered"], want["read"], want["failed"]), line.day


def test_a_quiet_period_is_a_row_of_zeros_per_day(app: Flask, demo: DemoPlatform) -> None:
    _reset(app, demo.store_id, "UTC")
    with app.app_context():
        with db.transaction() as session:  # a message before the period is not in it
            live(session, demo.store_id, 1, "order:1", "order_confirmation", "sent",
                 [("read", None)], created=datetime(2026, 11, 27, 12))
        lines = message_days.per_day(db.session(), demo.store_id, PERIOD)
    assert len(lines) == 7 and lines[0].day == "2026-11-28" and lines[-1].day == "2026-12-04"
    assert all(line.row[1] == [0, 0, 0, 0] for line in lines)
