"""kill -9 of the `storechat serve` supervisor takes gunicorn and the embedded worker with
it: nothing keeps answering without a worker, a restart on the same port comes up, and every
webhook stored before the kill is processed after it (embedded SQLite, and PostgreSQL+Redis)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import InboundEvent
from tests.conftest import ROOT, make_app, order_payload
from tests.services.workers import storechat_environ
from webhooks.signatures import hmac_sha256_base64

WEBHOOKS = 60
# `serve` must answer /healthz within this long after it starts.
START_TIMEOUT_SECONDS = 45
# After the kill, gunicorn's graceful stop (--graceful-timeout 10) plus some slack.
ORPHAN_TIMEOUT_SECONDS = 20
PROCESS_TIMEOUT_SECONDS = 90


@dataclass
class Serve:
    """One `storechat serve` subprocess, leading its own session, logging to a file."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def tail(self, lines: int = 40) -> str:
        """The end of its output, for failure messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.log}:\n" + "\n".join(text.splitlines()[-lines:])


def _processes() -> dict[tuple[int, str], int]:
    """Every live process as (pid, start time) -> parent pid; zombies left out."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        if fields[0] != "Z":
            table[(int(entry.name), fields[19])] = int(fields[1])
    return table


def _tree(root: int) -> set[tuple[int, str]]:
    """`root` and every process descended from it."""
    table = _processes()
    tree = {key for key in table if key[0] == root}
    while True:
        pids = {pid for pid, _ in tree}
        children = {key for key, ppid in table.items() if ppid in pids} - tree
        if not children:
            return tree
        tree |= children


def _alive(processes: set[tuple[int, str]]) -> list[str]:
    """Which of these still run, as 'pid command' lines."""
    table = _processes()
    alive = []
    for pid, start in sorted(processes):
        if (pid, start) in table:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            alive.append(f"{pid} {command.decode(errors='replace').strip()}")
    return alive


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _start(env: dict[str, str], port: int, log: Path) -> Serve:
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "plugin.cli", "serve", "--port", str(port)], cwd=ROOT,
            env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
    serve = Serve(process, port, log)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    with httpx.Client(trust_env=False, timeout=2) as client:
        while True:
            assert serve.process.poll() is None, \
                f"serve exited ({serve.process.returncode})\n{serve.tail()}"
            try:
                if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    return serve
            except httpx.TransportError:
                pass  # not listening yet
            assert time.monotonic() < deadline, \
                f"/healthz did not answer 200 within {START_TIMEOUT_SECONDS}s\n{serve.tail()}"
            time.sleep(0.2)


def _stop(serve: Serve, family: set[tuple[int, str]]) -> None:
    """Ctrl-C, then SIGKILL whatever of ours is left (never leak into the next test)."""
    if serve.process.poll() is None:
        os.killpg(serve.process.pid, signal.SIGINT)
        try:
            serve.process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            pass
    for line in _alive(family | _tree(serve.process.pid)):
        os.kill(int(line.split()[0]), signal.SIGKILL)
    serve.process.wait(timeout=5)


@pytest.fixture(params=["embedded", "postgresql+redis"])
def database(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The settings of the database (and queue) under test."""
    if request.param == "embedded":
        yield {}
    else:
        yield {"STORECHAT_DATABASE_URL": request.getfixturevalue("pg_database"),
               "STORECHAT_REDIS_URL": request.getfixturevalue("redis_db")}


@pytest.mark.services
def test_kill_9_of_serve_leaves_no_process_and_loses_no_webhook(
        tmp_path: Path, database: dict[str, str]) -> None:
    instance = tmp_path / "instance"
    app = make_app(instance, queue_immediate=False,
                   database_url=database.get("STORECHAT_DATABASE_URL", ""),
                   redis_url=database.get("STORECHAT_REDIS_URL", ""))
    with app.app_context(), db.transaction() as session:
        store = demo_store.get_or_create(session)
        key, secret = store.key, json.loads(store.credentials)["webhook_secret"].encode()
    # Short leases and sweeps: events leased by the killed worker come back within seconds.
    env = storechat_environ(instance, STORECHAT_LEASE_SECONDS="5",
                            STORECHAT_SWEEP_GRACE_SECONDS="3",
                            STORECHAT_SWEEP_INTERVAL_SECONDS="1", **database)
    port = _free_port()
    first = _start(env, port, tmp_path / "serve-1.log")
    family = _tree(first.process.pid)
    second = None
    try:
        assert len(family) >= 4, f"expected supervisor, gunicorn master, web workers and the " \
                                 f"queue worker; found {_alive(family)}"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False,
                          timeout=5) as client:
            for n in range(WEBHOOKS):
                body = json.dumps(order_payload(f"kill-{n}")).encode()
                response = client.post(f"/webhooks/demo/{key}", content=body, headers={
                    "X-StoreChat-Topic": "orders/create",
                    "X-StoreChat-Event-Id": uuid.uuid4().hex,
                    "X-StoreChat-Hmac-Sha256": hmac_sha256_base64(secret, body),
                    "Content-Type": "application/json"})
                assert response.status_code == 200, response.text

        first.process.send_signal(signal.SIGKILL)  # the supervisor alone, as `kill -9 PID`
        first.process.wait(timeout=5)
        with app.app_context(), db.transaction() as session:
            waiting = dict(session.execute(select(InboundEvent.state, func.count())
                                           .group_by(InboundEvent.state)).all())
        deadline = time.monotonic() + ORPHAN_TIMEOUT_SECONDS
        while _alive(family) and time.monotonic() < deadline:
            time.sleep(0.2)
        leftovers = _alive(family)
        print(f"\nkill -9 of serve: events by state at the kill {waiting}, "
              f"{len(leftovers)} processes left after {ORPHAN_TIMEOUT_SECONDS}s")
        assert leftovers == [], "processes outlived their supervisor:\n" + "\n".join(leftovers)
        assert not _port_open(port), "something still answers on the port"

        second = _start(env, port, tmp_path / "serve-2.log")
        deadline = time.monotonic() + PROCESS_TIMEOUT_SECONDS
        while True:
            with app.app_context(), db.transaction() as session:
                # The store's own webhooks: the demo phone's receipts are events too.
                states = dict(session.execute(select(InboundEvent.state, func.count())
                                              .where(InboundEvent.source == "demo")
                                              .group_by(InboundEvent.state)).all())
            if states == {"processed": WEBHOOKS}:
                break
            assert time.monotonic() < deadline, \
                f"events by state after the restart: {states}\n{second.tail()}"
            time.sleep(0.5)
    finally:
        if second is not None:
            _stop(second, set())
        _stop(first, family)
        app.extensions["storechat.engine"].dispose()
