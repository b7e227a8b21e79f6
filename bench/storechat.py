"""A throwaway StoreChat instance to benchmark: environment, schema, demo store, row counts."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from bench.server import ROOT

# Fixed, benchmark-only secrets: the instance lives in a temporary folder and is thrown away.
ENCRYPTION_KEY = "kYOJ_koGcSoAj0yZjEfbYZ6FpXHCr6ZYxFQ4C5H7mS4="
SECRET_KEY = "storechat-bench-secret-key"
LOOPBACK_HOSTS = {None, "", "localhost", "127.0.0.1", "::1"}
PG_URL_VARS = ("STORECHAT_BENCH_DATABASE_URL", "STORECHAT_TEST_DATABASE_URL")


class SetupError(RuntimeError):
    """Migrating the database or creating the demo store failed."""


@dataclass(frozen=True)
class Instance:
    """A prepared instance: its folder, database, environment and demo store."""

    path: Path
    database_url: str
    environ: dict[str, str]
    store_key: str
    webhook_secret: bytes

    @property
    def queue_db(self) -> Path:
        """The embedded Huey queue's SQLite file."""
        return self.path / "queue.db"


def environ_for(instance: Path, database_url: str) -> dict[str, str]:
    """The process environment for StoreChat: test mode, fixed keys, this database, no Redis."""
    # Drop the caller's STORECHAT_* so nothing (a queue URL, immediate jobs) leaks in.
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STORECHAT_")}
    environ.update(
        STORECHAT_ENV="test",
        STORECHAT_INSTANCE_PATH=str(instance),
        STORECHAT_ENCRYPTION_KEY=ENCRYPTION_KEY,
        STORECHAT_SECRET_KEY=SECRET_KEY,
        STORECHAT_DATABASE_URL=database_url,
        STORECHAT_REDIS_URL="",  # set, so a .env file cannot switch the queue to Redis
    )
    return environ


def sqlite_url(instance: Path) -> str:
    """The SQLite URL StoreChat would default to in this instance folder."""
    return f"sqlite:///{instance / 'storechat.db'}"


def prepare(instance: Path, database_url: str) -> Instance:
    """Migrate a fresh instance's database and create its demo store."""
    instance.mkdir(parents=True, exist_ok=True)
    environ = environ_for(instance, database_url)
    run_python(["-m", "plugin.cli", "db", "upgrade"], environ)
    store = json.loads(run_python(["-m", "bench.demo_store"], environ))
    return Instance(path=instance, database_url=database_url, environ=environ,
                    store_key=store["key"], webhook_secret=store["secret"].encode())


def run_python(args: list[str], environ: dict[str, str]) -> str:
    """Run the project's Python with `args` in the repository; its stdout, or SetupError."""
    completed = subprocess.run([sys.executable, *args], cwd=ROOT, env=environ,
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SetupError(f"python {' '.join(args)} failed:\n{completed.stderr.strip()}")
    return completed.stdout


def count_rows(database_url: str) -> int:
    """The number of rows in inbound_events."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM inbound_events"))
            return int(count.scalar_one())
    finally:
        engine.dispose()


def count_awaiting(database_url: str, queue_db: Path) -> int:
    """Work handed to the workers: jobs in the embedded Huey queue plus events stored for
    the relay (pending, never enqueued), which is how the embedded queue takes webhooks."""
    with closing(sqlite3.connect(f"file:{queue_db}?mode=ro", uri=True)) as connection:
        jobs = int(connection.execute("SELECT count(*) FROM task").fetchone()[0])
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            relayed = int(connection.execute(text(
                "SELECT count(*) FROM inbound_events"
                " WHERE state = 'pending' AND enqueued_at IS NULL")).scalar_one())
    finally:
        engine.dispose()
    return jobs + relayed


def postgres_url() -> tuple[str | None, str]:
    """A reachable loopback PostgreSQL URL to benchmark, or None and why not."""
    name, url = next(((var, os.environ[var]) for var in PG_URL_VARS if os.environ.get(var)),
                     ("", ""))
    if not url:
        return None, f"skipped: neither {' nor '.join(PG_URL_VARS)} is set"
    host = make_url(url).host
    if host not in LOOPBACK_HOSTS:
        return None, f"skipped: {name} points at {host}, not loopback (the run drops its schema)"
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure to connect means "not available"
        return None, f"skipped: {name} is set but not reachable ({error.__class__.__name__})"
    return url, f"from {name}"


def reset_postgres(url: str) -> None:
    """Drop and recreate schema public, so the run starts from an empty database."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
