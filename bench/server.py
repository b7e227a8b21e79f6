"""Starting and stopping gunicorn on loopback with the settings every target shares."""
from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


class ServerError(RuntimeError):
    """gunicorn did not start, or died; the message carries the end of its log."""


@dataclass(frozen=True)
class Server:
    """A running gunicorn: its base URL and its master's process id."""

    url: str
    pid: int


@dataclass(frozen=True)
class Gunicorn:
    """How gunicorn serves every target: worker processes, worker class, threads."""

    workers: int = 2
    worker_class: str = "sync"
    threads: int = 4

    def describe(self) -> str:
        """A short human description, e.g. '2 workers (gthread, 4 threads)'."""
        if self.worker_class == "gthread":
            return f"{self.workers} workers (gthread, {self.threads} threads)"
        return f"{self.workers} workers ({self.worker_class})"

    def argv(self, port: int, app: str) -> list[str]:
        """The gunicorn command line for `app` on 127.0.0.1:port."""
        command = [sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}",
                   "--workers", str(self.workers), "--worker-class", self.worker_class,
                   "--log-level", "warning", "--chdir", str(ROOT)]
        if self.worker_class == "gthread":
            # gunicorn turns `sync` into gthread when threads > 1, so pass it only here.
            command += ["--threads", str(self.threads)]
        return command + [app]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def log_tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file ('' if it does not exist)."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def serving(app: str, settings: Gunicorn, environ: Mapping[str, str],
            log_path: Path) -> Iterator[Server]:
    """Run gunicorn for `app` until the block ends; yields its URL and pid."""
    port = free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(settings.argv(port, app), cwd=ROOT, env=dict(environ),
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(process, port, log_path)
        yield Server(url=f"http://{HOST}:{port}", pid=process.pid)
        if process.poll() is not None:
            raise ServerError(f"gunicorn exited during the run:\n{log_tail(log_path)}")
    finally:
        stop(process)


def wait_ready(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Wait until gunicorn answers HTTP on the port; raise ServerError if it dies or hangs."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"gunicorn exited ({process.returncode}):\n{log_tail(log_path)}")
        if answers_http(port):
            return
        time.sleep(0.1)
    raise ServerError(f"gunicorn did not answer within {READY_TIMEOUT_S:.0f} s:\n"
                      f"{log_tail(log_path)}")


def answers_http(port: int) -> bool:
    """True if something answers an HTTP GET / on 127.0.0.1:port (any status)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn master we started (it stops its workers); kill it if it hangs."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Quiet(WSGIRequestHandler):
    """No access log line per request: the JSON is the output."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@contextmanager
def in_thread(app: Callable[..., Any]) -> Iterator[str]:
    """A WSGI app on a free 127.0.0.1 port, in a thread of this process; yields its base URL."""
    server = make_server(HOST, 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
