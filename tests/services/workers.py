"""Helpers for the services lane: an app on PostgreSQL + Redis, the fake Graph API, a store
with a WhatsApp number, feeding order events, `storechat worker` subprocesses, bounded waits."""
from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, func, select, text

from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import InboundEvent, Message, WhatsAppAccount
from plugin.pipeline.inbound import record_event
from tests.conftest import ROOT, environ_for, make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer

PHONE_NUMBER_ID = "100200300400"
WABA_ID = "900800700600"
ACCESS_TOKEN = "EAAG-services-lane-token"


# --- the database and the app -------------------------------------------------------------

def reset_postgres(pg_url: str) -> None:
    """Drop every table (and type, sequence, ...): the next migration starts from nothing."""
    engine = create_engine(pg_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@contextmanager
def services_app(instance: Path, database_url: str, redis_url: str) -> Iterator[Flask]:
    """An app on a migrated PostgreSQL database whose jobs go to Redis (none run inline)."""
    app = make_app(instance, database_url=database_url, redis_url=redis_url,
                   queue_immediate=False)
    try:
        yield app
    finally:
        app.extensions["storechat.engine"].dispose()


# --- the fake Graph API --------------------------------------------------------------------

@contextmanager
def fake_graph() -> Iterator[tuple[FakeGraph, str]]:
    """The fake Cloud API on loopback, accepting our number's token; yields (fake, its URL)."""
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # one access-log line per send is only noise
    graph = FakeGraph(tokens={PHONE_NUMBER_ID: ACCESS_TOKEN})
    try:
        with LoopbackServer(graph) as server:
            yield graph, server.url
    finally:
        werkzeug_log.setLevel(level)


# --- the store and its events --------------------------------------------------------------

def connect_store(app: Flask) -> tuple[int, str]:
    """The demo store (starter automations) with a Cloud API number; returns (id, key)."""
    with app.app_context():
        with db.transaction() as session:
            store = demo_store.get_or_create(session)
            session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PHONE_NUMBER_ID,
                                        waba_id=WABA_ID, access_token=ACCESS_TOKEN,
                                        throughput_mps=1000))
        return store.id, store.key


def order_body(n: int) -> bytes:
    """orders/create for order n, from its own customer (its own phone number)."""
    return json.dumps({
        "id": f"svc-order-{n}",
        "number": str(10000 + n),
        "status": "placed",
        "currency": "EUR",
        "total": "54.80",
        "payment_gateway": "card",
        "customer": {"id": f"svc-customer-{n}", "first_name": "Ana", "last_name": "Silva",
                     "phone": f"+35191{n:07d}", "locale": "en"},
        "line_items": [{"title": "Linen shirt", "quantity": 1, "price": "49.90"}],
    }).encode()


def feed_orders(app: Flask, store_id: int, store_key: str, count: int, threads: int = 4) -> None:
    """Record `count` distinct orders/create deliveries, as the webhook receiver would."""

    def record(n: int) -> None:
        with app.app_context():
            recorded = record_event(source="demo", dedupe_key=f"{store_key}:svc-{n}",
                                    topic="orders/create", body=order_body(n),
                                    store_id=store_id)
        assert recorded.new, f"delivery {n} was not stored as new"

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(record, range(count)))


def state_counts(app: Flask) -> tuple[dict[str, int], dict[str, int]]:
    """(inbound events by state, messages by state)."""
    with app.app_context():
        with db.transaction() as session:
            events = dict(session.execute(
                select(InboundEvent.state, func.count()).group_by(InboundEvent.state)).all())
            messages = dict(session.execute(
                select(Message.state, func.count()).group_by(Message.state)).all())
    return events, messages


def message_callback_ids(app: Flask) -> set[str]:
    """The biz_opaque_callback_data each message row is sent with."""
    with app.app_context():
        with db.transaction() as session:
            return {f"storechat:{i}" for i in session.scalars(select(Message.id))}


def all_done(app: Flask, events: int) -> Callable[[], bool]:
    """A predicate: every event processed and every message (one per event) sent."""

    def check() -> bool:
        by_event, by_message = state_counts(app)
        return by_event.get("processed") == events and by_message.get("sent") == events

    return check


# --- worker processes ----------------------------------------------------------------------

def storechat_environ(instance: Path, **settings: str) -> dict[str, str]:
    """The environment of a `storechat` subprocess: ours minus any StoreChat, WhatsApp or
    Shopify settings, plus the test settings and `settings`."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("STORECHAT_", "WHATSAPP_", "SHOPIFY_"))}
    base.update(environ_for(instance, PYTHONUNBUFFERED="1", **settings))
    return base


class Worker:
    """One `storechat worker` subprocess in its own process group, logging to a file."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, threads: int = 4) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "plugin.cli", "worker", "--threads", str(threads)],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )

    def running(self) -> bool:
        """True while the process has not exited."""
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean-up, no finally blocks, like a power cut."""
        if self.running():
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        """Ask the worker to shut down (SIGTERM); SIGKILL it if it does not within `timeout`."""
        if self.running():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        self._log.close()

    def requeued(self) -> int:
        """How many rows this worker's sweeper put back on the queue."""
        found = re.findall(r"sweeper re-enqueued (\d+) events and (\d+) messages",
                           self.log_path.read_text(errors="replace"))
        return sum(int(events) + int(messages) for events, messages in found)

    def assert_no_errors(self) -> None:
        """Fail if the worker logged an error or a traceback (retries may hide them)."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        errors = [n for n, line in enumerate(lines)
                  if " ERROR " in line or line.startswith("Traceback")]
        if errors:
            first = errors[0]
            raise AssertionError(f"{self.name} logged {len(errors)} error lines; the first:\n"
                                 + "\n".join(lines[first:first + 30]))

    def tail(self, lines: int = 40) -> str:
        """The last lines of the worker's output, for failure messages."""
        content = self.log_path.read_text(errors="replace").splitlines()
        status = "running" if self.running() else f"exited with {self.process.returncode}"
        return f"--- {self.name} ({status}), last {lines} lines of {self.log_path}:\n" + \
            "\n".join(content[-lines:])


def describe(workers: list[Worker], app: Flask, graph: FakeGraph) -> str:
    """Where things stand: row states, what the fake received, and the workers' logs."""
    events, messages = state_counts(app)
    received = graph.callback_ids()
    return (f"events by state {events}, messages by state {messages}, fake received "
            f"{len(received)} ({len(set(received))} distinct)\n"
            + "\n".join(w.tail() for w in workers))


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               explain: Callable[[], str], interval: float = 0.2,
               workers: list[Worker] | None = None) -> float:
    """Poll `condition` until it holds; fail with `explain()` after `timeout` seconds or as
    soon as a worker dies. Returns the seconds waited."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        if condition():
            return time.monotonic() - started
        for worker in workers or []:
            if not worker.running():
                raise AssertionError(f"{worker.name} exited while waiting for {what}\n"
                                     + explain())
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n"
                                 + explain())
        time.sleep(interval)
