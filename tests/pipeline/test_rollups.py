"""The analytics rollups: kept as messages move, they equal a brute-force count over the
message table for any history (hypothesis), count a twice-reported status once, cut days in
the store's timezone, and the backfill rebuilds them from the rows."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from plugin.infra import db
from plugin.models import Message, MessageRollup, Store
from plugin.pipeline import rollups
from tests.conftest import DemoPlatform
from tests.worlds.analytics import ENDINGS, REPORTS, brute_force, live, rolled_up

CAUSES = [("order:1", "order_confirmation"), ("order:2", "shipping_update"),
          ("checkout:3:1", "cart_recovery_1"), ("campaign:7", "c"), ("answer:wamid.x", "a"),
          ("inbox:4", "agent:1:ab"), ("price_drop:9", "price_drop")]
reports = st.lists(st.tuples(st.sampled_from(REPORTS), st.sampled_from([None, 131049])),
                   max_size=6)
histories = st.lists(st.tuples(st.sampled_from(CAUSES), st.sampled_from(ENDINGS), reports,
                               st.integers(min_value=0, max_value=72)), max_size=12)
START = datetime(2026, 11, 28)


def _reset(app: Flask, store_id: int, zone: str) -> None:
    rollups.forget_zones()
    with app.app_context():
        with db.transaction() as session:
            session.execute(delete(Message))
            session.execute(delete(MessageRollup))
            session.execute(update(Store).where(Store.id == store_id).values(timezone=zone))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories, zone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"]))
def test_rollups_equal_a_brute_force_count_over_the_messages(
        app: Flask, demo: DemoPlatform, history: list[Any], zone: str) -> None:
    _reset(app, demo.store_id, zone)
    with app.app_context():
        for n, ((cause, step), ending, said, hour) in enumerate(history):
            with db.transaction() as session:
                live(session, demo.store_id, n, f"{cause}:{n}", step, ending, said,
                     created=START + timedelta(hours=hour))
        session = db.session()
        expected = brute_force(session, demo.store_id)
        assert rolled_up(session, demo.store_id) == expected
        # The backfill, from the rows alone, comes to the same figures.
        with db.transaction() as session:
            rollups.backfill(session, demo.store_id)
        assert rolled_up(db.session(), demo.store_id) == expected


def test_a_status_reported_twice_counts_once(app: Flask, demo: DemoPlatform) -> None:
    _reset(app, demo.store_id, "UTC")
    with app.app_context():
        with db.transaction() as session:
            live(session, demo.store_id, 1, "order:1", "order_confirmation", "sent",
                 [("delivered", None), ("delivered", None), ("read", None), ("read", None),
                  ("delivered", None), ("sent", None)], created=START)
        found = rolled_up(db.session(), demo.store_id)
    day = START.date().isoformat()
    flow = "journey:order_confirmation"
    assert found == {(day, flow, "sent", ""): 1,
                     (day, flow, "delivered", ""): 1, (day, flow, "read", ""): 1}


def test_a_read_without_a_delivered_report_counts_as_delivered_and_failure_keeps_its_code(
        app: Flask, demo: DemoPlatform) -> None:
    _reset(app, demo.store_id, "UTC")
    with app.app_context():
        with db.transaction() as session:
            live(session, demo.store_id, 1, "campaign:5", "c", "sent", [("read", None)],
                 created=START)
            live(session, demo.store_id, 2, "campaign:5", "d", "sent",
                 [("failed", 131049), ("failed", 131049)], created=START)
        found = rolled_up(db.session(), demo.store_id)
    day = START.date().isoformat()
    assert found[(day, "campaign:5", "delivered", "")] == 1
    assert found[(day, "campaign:5", "read", "")] == 1
    assert found[(day, "campaign:5", "failed_after_sent", "131049")] == 1
    assert found[(day, "campaign:5", "sent", "")] == 2


def test_days_are_cut_in_the_stores_timezone(app: Flask, demo: DemoPlatform) -> None:
    # 03:00 UTC on the 2nd is still the 1st in New York, already the 2nd in Kolkata.
    for zone, day in (("America/New_York", "2026-12-01"), ("Asia/Kolkata", "2026-12-02")):
        _reset(app, demo.store_id, zone)
        with app.app_context():
            with db.transaction() as session:
                live(session, demo.store_id, 1, "order:1", "order_confirmation", "sent", [],
                     created=datetime(2026, 12, 2, 3))
            found = rolled_up(db.session(), demo.store_id)
        assert set(found) == {(day, "journey:order_confirmation", "sent", "")}
