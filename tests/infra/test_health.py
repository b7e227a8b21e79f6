"""/healthz: 503 when no worker beat recently, when writes fail, and fast under a lock."""
from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask

from plugin.infra import db, heartbeat
from plugin.models import Heartbeat
from tests.conftest import DemoPlatform, make_app, order_payload

# Shopify gives up on a webhook delivery after 5 s; a 503 must come well before.
SHOPIFY_TIMEOUT_SECONDS = 5


def _queued_app(tmp_path: Path, **overrides: object) -> Flask:
    """An app whose jobs go to the embedded queue, so a worker process must run them."""
    return make_app(tmp_path / "instance", queue_immediate=False, **overrides)


def test_healthz_fails_until_a_worker_beats(tmp_path: Path) -> None:
    app = _queued_app(tmp_path)
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "worker" in response.json["detail"]
    with app.app_context():
        heartbeat.beat("worker", "worker test:1")
    assert client.get("/healthz").status_code == 200


def test_healthz_fails_when_the_last_worker_beat_is_stale(tmp_path: Path) -> None:
    app = _queued_app(tmp_path, worker_stale_seconds=30)
    with app.app_context(), db.transaction() as session:
        session.add(Heartbeat(name="worker test:1", kind="worker",
                              seen_at=db.utcnow() - timedelta(seconds=31)))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert "no worker has been seen for 31" in response.json["detail"]


def test_a_locked_database_answers_503_within_shopifys_timeout(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    demo = DemoPlatform(app, app.test_client())
    assert demo.client.get("/healthz").status_code == 200
    # Another process holds the write lock (a long job, a backup): reads still work in WAL.
    holder = sqlite3.connect(tmp_path / "instance" / "storechat.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        response = demo.post("orders/create", order_payload())
        elapsed = time.monotonic() - started
        print(f"\nlocked database: webhook answered {response.status_code} in {elapsed:.2f}s")
        assert response.status_code == 503
        assert elapsed < SHOPIFY_TIMEOUT_SECONDS
        assert demo.client.get("/healthz").status_code == 503
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert demo.client.get("/healthz").status_code == 200
