"""Run `storechat serve` as a user runs it, and stop it as Ctrl-C does, for browser tests.

The server is the real one: `storechat db upgrade`, then `storechat serve` (gunicorn plus the
embedded Huey worker on SQLite) in a fresh folder, with no inline jobs.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from plugin.serve import STOP_GRACE_SECONDS
from tests import conftest

# The server must answer /healthz within this long after `serve` starts.
START_TIMEOUT_SECONDS = 30
# After Ctrl-C, children get STOP_GRACE_SECONDS; everything must be gone a little after that.
STOP_TIMEOUT_SECONDS = STOP_GRACE_SECONDS + 10
# A clean stop takes a second or two; gunicorn only SIGKILLs a stuck worker after its
# --graceful-timeout (10 s), so a stop this slow means something hung.
STOP_EXPECTED_SECONDS = 8
# Outside configuration must not leak into the server under test (e.g. a developer's .env
# exported into the shell, or STORECHAT_QUEUE_IMMEDIATE).
FOREIGN_PREFIXES = ("STORECHAT_", "WHATSAPP_", "SHOPIFY_", "FLASK_")


@dataclass
class Served:
    """A running `storechat serve`, and what its shutdown looked like."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    exit_code: int | None = None
    stop_seconds: float = 0.0
    leftovers: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Base URL without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output, for failure messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _processes() -> dict[tuple[int, str], tuple[int, str]]:
    """Every live process: (pid, start time) -> (parent pid, command line); zombies left out."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # it ended while we looked
        if fields[0] != "Z":
            table[(int(entry.name), fields[19])] = (int(fields[1]), cmdline.strip())
    return table


def process_tree(root: int) -> set[tuple[int, str]]:
    """`root` and every process descended from it (gunicorn runs in a group of its own)."""
    table = _processes()
    tree = {key for key in table if key[0] == root}
    grew = True
    while grew:
        pids = {pid for pid, _ in tree}
        children = {key for key, (ppid, _) in table.items() if ppid in pids} - tree
        tree |= children
        grew = bool(children)
    return tree


def still_running(processes: set[tuple[int, str]]) -> list[str]:
    """Which of these (pid, start time) processes still run, as 'pid command' lines."""
    table = _processes()
    return [f"{pid} {table[(pid, start)][1]}" for pid, start in sorted(processes)
            if (pid, start) in table]


def _environ(instance: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    return {**inherited, **conftest.test_environ(instance), "PYTHONUNBUFFERED": "1"}


def _get(url: str) -> int:
    """GET on loopback, never through a proxy from the environment; the status code."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _wait_healthy(served: Served) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            pytest.fail(f"storechat serve exited ({served.process.returncode}):\n"
                        f"{served.log_tail()}")
        try:
            if _get(f"{served.url}/healthz") == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    pytest.fail(f"/healthz did not answer 200 within {START_TIMEOUT_SECONDS}s:\n"
                f"{served.log_tail()}")


def _stop(served: Served) -> None:
    """Ctrl-C as a terminal sends it (SIGINT to the foreground group); record how it went."""
    started = time.monotonic()
    family = process_tree(served.process.pid)
    if served.process.poll() is None:
        os.killpg(served.process.pid, signal.SIGINT)  # serve leads its own session and group
    try:
        served.exit_code = served.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        served.exit_code = None
    served.stop_seconds = time.monotonic() - started
    # Children are stopped before the supervisor exits; give the kernel a moment to reap.
    deadline = time.monotonic() + 2
    served.leftovers = still_running(family)
    while served.leftovers and time.monotonic() < deadline:
        time.sleep(0.1)
        served.leftovers = still_running(family)
    for line in served.leftovers:  # never leak our own processes into the next test
        os.kill(int(line.split()[0]), signal.SIGKILL)
    if served.exit_code is None:
        served.process.wait(timeout=5)


@contextmanager
def storechat_serve(folder: Path) -> Iterator[Served]:
    """`storechat db upgrade` then `storechat serve` in `folder`; Ctrl-C on the way out."""
    instance = folder / "instance"
    environ = _environ(instance)
    upgrade = subprocess.run([sys.executable, "-m", "plugin.cli", "db", "upgrade"], cwd=folder,
                             env=environ, capture_output=True, text=True, timeout=60)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    assert "database upgraded" in upgrade.stdout

    port = _free_port()
    log = folder / "serve.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "plugin.cli", "serve", "--port", str(port)], cwd=folder,
            env=environ, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    served = Served(process=process, port=port, log=log)
    try:
        _wait_healthy(served)
        yield served
    finally:
        _stop(served)
