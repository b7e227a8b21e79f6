"""The conversation and keyword rollups on PostgreSQL: the same upserts (one row per figure,
many terms per message in one statement) and the reply clock's FOR UPDATE keep them equal to
the brute-force count over the events."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from plugin.infra import db
from tests.conftest import make_app
from tests.worlds.conversation_figures import (
    START,
    TEXTS,
    Event,
    brute_force,
    brute_keywords,
    feed,
    keywords_rolled_up,
    make_store,
    rolled_up,
)


@pytest.mark.services
def test_conversation_rollups_equal_the_brute_force_count_on_postgresql(
        tmp_path: Path, pg_database: str) -> None:
    app = make_app(tmp_path / "instance", database_url=pg_database)
    try:
        store_id, customers = make_store(app)
        kinds = ("inbound", "auto", "inbound", "team", "resolve", "inbound", "team", "csat")
        events = [Event(at=START + timedelta(minutes=45 * i), customer=i % 3,
                        kind=kinds[i % len(kinds)], text=TEXTS[i % len(TEXTS)],
                        score=1 + i % 10) for i in range(60)]
        with app.app_context():
            for event in events:  # one transaction per event, as they arrive
                with db.transaction() as session:
                    feed(session, store_id, customers, [event])
            assert rolled_up(db.session(), store_id) == brute_force(events)
            assert keywords_rolled_up(db.session(), store_id) == brute_keywords(events)
    finally:
        app.extensions["storechat.engine"].dispose()
