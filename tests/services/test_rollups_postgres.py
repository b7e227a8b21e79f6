"""The analytics rollups on PostgreSQL: the same upsert (ON CONFLICT DO UPDATE n = n + 1)
keeps them equal to a brute-force count over the messages, and the backfill agrees."""
from __future__ import annotations

from pathlib import Path

import pytest

from plugin.infra import db
from plugin.pipeline import rollups
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
