"""The analytics rollups on PostgreSQL: the same upsert (ON CONFLICT DO UPDATE n = n + 1)
keeps them equal to a brute-force count over the messages, and the backfill agrees."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from plugin.infra import db
from plugin.models import Customer
from plugin.pipeline import reactions, rollups
from tests.conftest import DemoPlatform, make_app
from tests.worlds.analytics import brute_force, live, rolled_up


@pytest.mark.services
def test_rollups_equal_the_brute_force_count_on_postgresql(tmp_path: Path,
                                                           pg_database: str) -> None:
    app = make_app(tmp_path / "instance", database_url=pg_database)
    try:
        demo = DemoPlatform(app, app.test_client())
        rollups.forget_zones()
        histories = [("order:1", "order_confirmation", "sent", [("read", None), ("read", None)]),
                     ("order:2", "order_confirmation", "sent_batch", [("failed", 131049)]),
                     ("campaign:3", "c", "skipped_batch", []),
                     ("checkout:4:1", "cart_recovery_1", "failed", []),
                     ("answer:5", "a", "skipped_at_write", [])]
        with app.app_context():
            for n, (cause, step, ending, reports) in enumerate(histories):
                with db.transaction() as session:
                    live(session, demo.store_id, n, cause, step, ending, reports)
            expected = brute_force(db.session(), demo.store_id)
            assert rolled_up(db.session(), demo.store_id) == expected
            assert sum(expected.values()) == 8
            with db.transaction() as session:
                rollups.backfill(session, demo.store_id)
            assert rolled_up(db.session(), demo.store_id) == expected
    finally:
        app.extensions["storechat.engine"].dispose()


@pytest.mark.services
def test_clicks_replies_and_opt_outs_count_once_on_postgresql(tmp_path: Path,
                                                              pg_database: str) -> None:
    app = make_app(tmp_path / "instance", database_url=pg_database)
    try:
        demo = DemoPlatform(app, app.test_client())
        rollups.forget_zones()
        sent = datetime(2026, 12, 1, 12)
        with app.app_context():
            with db.transaction() as session:
                customer = Customer(store_id=demo.store_id, platform_id="c1", tags=[])
                session.add(customer)
                session.flush()
                first = live(session, demo.store_id, 1, "campaign:3", "c", "sent", [],
                             created=sent, customer_id=customer.id, sent=sent)
            later = sent + timedelta(hours=1)
            for _ in range(2):  # the second of each finds its message already counted
                with db.transaction() as session:
                    reactions.clicked(session, first, later)
                    reactions.replied(session, demo.store_id, customer.id, later)
                    reactions.opted_out(session, demo.store_id, customer.id, later)
            found = rolled_up(db.session(), demo.store_id)
            day = sent.date().isoformat()
            assert {k[2]: n for k, n in found.items() if k[1] == "campaign:3"} == {
                "sent": 1, "clicked": 1, "replied": 1, "opted_out": 1}
            assert found[(day, "campaign:3", "clicked", "")] == 1
            with db.transaction() as session:
                rollups.backfill(session, demo.store_id)
            assert rolled_up(db.session(), demo.store_id) == found
    finally:
        app.extensions["storechat.engine"].dispose()
