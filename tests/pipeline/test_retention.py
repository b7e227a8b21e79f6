"""Webhook body retention: processed bodies are emptied after the retention period, by the
sweeper, in batches; unprocessed and retrying ones keep theirs; the dedupe key outlives them."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.config import ConfigError, load_settings
from plugin.infra import db
from plugin.models import InboundEvent
from plugin.pipeline import retention
from plugin.pipeline.inbound import record_event
from plugin.pipeline.sweep import sweep
from tests.conftest import environ_for, make_app

BODY = b'{"customer": {"phone": "+351912345678", "first_name": "Ana"}}'


def _event(key: str, state: str, age_days: float, processed: bool = True,
           attempts: int = 0) -> InboundEvent:
    at = db.utcnow() - timedelta(days=age_days)
    return InboundEvent(source="shopify", dedupe_key=key, topic="orders/create", headers={},
                        body=BODY, state=state, attempts=attempts, received_at=at,
                        enqueued_at=db.utcnow(), processed_at=at if processed else None)


def _bodies(app: Flask) -> dict[str, tuple[bytes, datetime | None]]:
    with app.app_context():
        return {e.dedupe_key: (e.body, e.body_purged_at)
                for e in db.session().scalars(select(InboundEvent))}


def test_the_sweeper_empties_old_processed_bodies_only(app: Flask) -> None:
    with app.app_context(), db.transaction() as session:
        session.add_all([
            _event("old-processed", "processed", 31),
            _event("old-ignored", "ignored", 40),
            _event("old-parked", "failed", 45, attempts=5),
            _event("young-processed", "processed", 29),
            # Never processed, or failed and waiting for its retry: the job needs the body.
            _event("old-pending", "pending", 60, processed=False),
            _event("old-retrying", "pending", 60, processed=False, attempts=2),
            _event("old-processing", "processing", 60, processed=False, attempts=1),
        ])
    with app.app_context():
        sweep()
    bodies = _bodies(app)
    for key in ("old-processed", "old-ignored", "old-parked"):
        assert bodies[key][0] == b"" and bodies[key][1] is not None, key
    for key in ("young-processed", "old-pending", "old-retrying", "old-processing"):
        assert bodies[key] == (BODY, None), key

    # A late redelivery of a purged event is still a duplicate: nothing new is stored.
    with app.app_context():
        again = record_event(source="shopify", dedupe_key="old-processed",
                             topic="orders/create", body=BODY)
    assert again.new is False


def test_the_retention_period_is_a_setting(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", webhook_retention_days=7)
    try:
        with app.app_context(), db.transaction() as session:
            session.add_all([_event("eight-days", "processed", 8),
                             _event("six-days", "processed", 6)])
        with app.app_context():
            sweep()
        bodies = _bodies(app)
        assert bodies["eight-days"][0] == b"" and bodies["six-days"][0] == BODY
    finally:
        app.extensions["storechat.engine"].dispose()
    env = {**environ_for(tmp_path / "other"), "STORECHAT_WEBHOOK_RETENTION_DAYS": "90"}
    assert load_settings(env).webhook_retention_days == 90
    assert load_settings(environ_for(tmp_path / "d")).webhook_retention_days == 30
    with pytest.raises(ConfigError):
        load_settings({**env, "STORECHAT_WEBHOOK_RETENTION_DAYS": "0"})


def test_a_backlog_drains_in_batches(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "PURGE_BATCH", 2)
    monkeypatch.setattr(retention, "PURGE_BATCHES_PER_SWEEP", 2)
    with app.app_context(), db.transaction() as session:
        session.add_all([_event(f"e{i}", "processed", 31) for i in range(5)])
    with app.app_context():
        now = db.utcnow()
        assert retention.purge_bodies(now, 30) == 4
        assert retention.purge_bodies(now, 30) == 1
        assert retention.purge_bodies(now, 30) == 0
    assert all(body == b"" for body, _ in _bodies(app).values())
