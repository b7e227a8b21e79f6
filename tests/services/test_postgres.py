"""StoreChat on PostgreSQL: the schema comes from `storechat db upgrade`, and an inbound
delivery is stored once however often (and however concurrently) it arrives, and several
sweepers at once put each lost row back on the queue once."""
from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import create_engine, func, insert, inspect, select, text, update

from plugin.infra import db, migrate, queue
from plugin.models import Base, InboundEvent, Message
from plugin.pipeline import sweep
from plugin.pipeline.inbound import Recorded, record_event
from tests.conftest import ROOT, DemoPlatform, make_app, order_payload
from tests.services.workers import storechat_environ


def storechat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `storechat` command line and return what it did."""
    return subprocess.run([sys.executable, "-m", "plugin.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.services
def test_db_upgrade_creates_the_schema_then_is_a_no_op(tmp_path: Path, pg_database: str) -> None:
    env = storechat_environ(tmp_path / "instance", STORECHAT_DATABASE_URL=pg_database)
    head = migrate.head_revision()

    first = storechat(env, "db", "upgrade")
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"database upgraded from empty to {head}" in first.stdout

    engine = create_engine(pg_database)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert set(Base.metadata.tables) | {"alembic_version"} == tables
            # The migrated schema is exactly what the models describe (types included).
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO stores (key, platform, domain, name, status, created_at) "
                "VALUES ('kept-key', 'demo', 'kept.invalid', 'Kept', 'active', now())"))

        second = storechat(env, "db", "upgrade")
        assert second.returncode == 0, second.stdout + second.stderr
        assert f"database is up to date ({head})" in second.stdout

        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all() \
                == [(head,)]
            assert connection.execute(text("SELECT key FROM stores")).all() == [("kept-key",)]
    finally:
        engine.dispose()


@pytest.fixture
def pg_app(tmp_path: Path, pg_database: str) -> Iterator[Flask]:
    """An app on a migrated PostgreSQL database, jobs inline."""
    app = make_app(tmp_path / "instance", database_url=pg_database)
    yield app
    app.extensions["storechat.engine"].dispose()


def rows(app: Flask, model: type, *where: Any) -> int:
    """How many rows of `model` match `where`."""
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.services
def test_same_source_and_dedupe_key_is_stored_once(pg_app: Flask) -> None:
    with pg_app.app_context():
        first = record_event(source="demo", dedupe_key="store-a:delivery-1",
                             topic="products/update", body=b'{"n": 1}')
        again = record_event(source="demo", dedupe_key="store-a:delivery-1",
                             topic="products/update", body=b'{"n": 2}')
        other_source = record_event(source="shopify", dedupe_key="store-a:delivery-1",
                                    topic="products/update", body=b'{"n": 3}')
        stored = db.session().scalars(select(InboundEvent).order_by(InboundEvent.id)).all()

    assert first.new and first.event_id is not None
    assert again == Recorded(None, False)
    assert other_source.new and other_source.event_id != first.event_id
    assert [(e.source, e.body) for e in stored] == [("demo", b'{"n": 1}'),
                                                    ("shopify", b'{"n": 3}')]


@pytest.mark.services
def test_concurrent_redeliveries_store_one_row(pg_app: Flask) -> None:
    threads = 8
    start = threading.Barrier(threads)

    def deliver(n: int) -> Recorded:
        with pg_app.app_context():
            start.wait(timeout=10)
            return record_event(source="demo", dedupe_key="store-a:raced", topic="products/update",
                                body=f'{{"copy": {n}}}'.encode())

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(deliver, range(threads)))

    assert sum(r.new for r in results) == 1, results
    assert rows(pg_app, InboundEvent, InboundEvent.dedupe_key == "store-a:raced") == 1


@pytest.mark.services
def test_concurrent_sweeps_requeue_each_row_once(pg_app: Flask,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Several workers sweep at once: no deadlock, and each stale row goes back once."""
    stale_rows, sweepers, rounds = 3000, 4, 3
    with pg_app.app_context():
        with db.transaction() as session:
            session.execute(insert(InboundEvent), [
                {"source": "demo", "dedupe_key": f"stale-{n}", "topic": "orders/create",
                 "headers": {}, "body": b"{}", "state": "pending", "attempts": 0,
                 "received_at": db.utcnow()} for n in range(stale_rows)])
    enqueued: list[int] = []
    monkeypatch.setattr(queue, "enqueue", lambda job, row_id, delay=0: enqueued.append(row_id))
    start = threading.Barrier(sweepers)

    def sweep_once(_: int) -> None:
        with pg_app.app_context():
            start.wait(timeout=10)
            sweep.sweep()

    for _ in range(rounds):
        with pg_app.app_context():
            with db.transaction() as session:  # every row waited too long in the queue
                session.execute(update(InboundEvent).values(
                    enqueued_at=db.utcnow() - timedelta(hours=1)))
        enqueued.clear()
        with ThreadPoolExecutor(max_workers=sweepers) as pool:
            list(pool.map(sweep_once, range(sweepers)))
        counts = Counter(enqueued)
        extra = sum(counts.values()) - len(counts)
        assert extra == 0, f"{extra} times a row was enqueued by a second sweeper"
        assert len(counts) == stale_rows, f"{stale_rows - len(counts)} stale rows left behind"


@pytest.mark.services
def test_redelivered_webhook_sends_one_message(pg_app: Flask) -> None:
    demo = DemoPlatform(pg_app, pg_app.test_client())
    payload = order_payload("pg-order-1")

    responses = [demo.post("orders/create", payload, event_id="delivery-42") for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert rows(pg_app, InboundEvent) == 1
    assert rows(pg_app, Message, Message.cause == "order:pg-order-1") == 1
