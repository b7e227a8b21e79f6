"""`storechat analytics-backfill` on PostgreSQL: a history that reaches every analytics table,
made through the live paths, is rebuilt table by table after the tables are emptied, and a
second run changes nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from plugin.infra import db
from tests.conftest import make_app
from tests.worlds.backfill import (
    EVERY_TABLE,
    before_the_upgrade,
    live_history,
    run_backfill,
    snapshot_of,
)


@pytest.mark.services
def test_the_backfill_rebuilds_every_table_on_postgresql(tmp_path: Path,
                                                         pg_database: str) -> None:
    app = make_app(tmp_path / "instance", database_url=pg_database)
    try:
        store_id, clock = live_history(app, EVERY_TABLE)
        live = snapshot_of(app, store_id)
        assert all(live.values())
        run_backfill(app, store_id, clock)
        assert snapshot_of(app, store_id) == live
        with app.app_context(), db.transaction() as session:
            before_the_upgrade(session, store_id)
        run_backfill(app, store_id, clock)
        assert snapshot_of(app, store_id) == live
        run_backfill(app, store_id, clock)
        assert snapshot_of(app, store_id) == live
    finally:
        app.extensions["storechat.engine"].dispose()
