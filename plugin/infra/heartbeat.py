"""Heartbeats: rows that say when each worker (and web process) was last alive.

Process memory cannot tell a web process that the queue consumers died with their
supervisor; the database can, and every process on every machine shares it.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from plugin.infra import db
from plugin.models import Heartbeat

log = logging.getLogger(__name__)

# A worker beats this often; /healthz's staleness setting must leave room for a few misses.
BEAT_INTERVAL_SECONDS = 10
# Rows of processes gone this long ago are deleted (each restart beats under a new pid).
FORGET_AFTER = timedelta(days=1)


def process_name(kind: str) -> str:
    """This process's heartbeat name: its kind, host and pid."""
    return f"{kind} {socket.gethostname()}:{os.getpid()}"


def beat(kind: str, name: str | None = None) -> None:
    """Record that this process (or `name`) is alive now; raises if the database cannot write."""
    engine = db.engine()
    insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert
    now = db.utcnow()
    statement = insert(Heartbeat).values(name=name or process_name(kind), kind=kind, seen_at=now)
    statement = statement.on_conflict_do_update(index_elements=[Heartbeat.name],
                                                set_={"seen_at": now, "kind": kind})
    with engine.begin() as connection:
        connection.execute(statement)


def last_seen(kind: str) -> datetime | None:
    """When any process of this kind last beat (naive UTC), or None if none ever did."""
    with db.engine().connect() as connection:
        return connection.execute(
            select(func.max(Heartbeat.seen_at)).where(Heartbeat.kind == kind)).scalar()


def forget_old() -> int:
    """Delete the rows of processes not seen for FORGET_AFTER; how many."""
    with db.engine().begin() as connection:
        return connection.execute(
            delete(Heartbeat).where(Heartbeat.seen_at < db.utcnow() - FORGET_AFTER)).rowcount


def start_thread(app: Flask, stop: threading.Event, kind: str = "worker") -> threading.Thread:
    """Beat at once and then every BEAT_INTERVAL_SECONDS until `stop` is set."""
    name = process_name(kind)

    def run() -> None:
        while not stop.is_set():
            try:
                with app.app_context():
                    beat(kind, name)
                    forget_old()
            except Exception:  # noqa: BLE001 - a locked database must not stop the beat
                log.exception("heartbeat failed; trying again in %ss", BEAT_INTERVAL_SECONDS)
            stop.wait(BEAT_INTERVAL_SECONDS)

    thread = threading.Thread(target=run, name="storechat-heartbeat", daemon=True)
    thread.start()
    return thread
