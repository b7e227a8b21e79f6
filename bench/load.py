"""Driving wrk with a bench/*.lua script and reading the JSON line its done() prints
(wrk_common.lua, shared by ingest.lua and api.lua)."""
from __future__ import annotations

import json
import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INGEST_SCRIPT = Path(__file__).with_name("ingest.lua")
RESULT_PREFIX = "BENCH_JSON "
# Seconds wrk keeps running after the Lua sending window, so requests in flight are answered.
DRAIN_S = 1
# wrk drops latencies over its timeout from the histogram (default 2 s): keep them.
TIMEOUT = "10s"


class LoadError(RuntimeError):
    """wrk failed or printed no result line."""


@dataclass(frozen=True)
class Load:
    """What wrk sends: one thread, some connections, a warm-up and a measured window."""

    connections: int = 8
    duration_s: float = 10.0
    warmup_s: float = 2.0
    threads: int = 1


@dataclass(frozen=True)
class Signed:
    """One signed delivery: the body file, its signature and topic, and the URL to post to."""

    url: str
    body_path: Path
    signature: str
    topic: str
    authorization: str = ""  # sent as the Authorization header when set (the fake Graph)


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run counted (from wrk_common.lua's done())."""

    responses: int
    sent: int
    ok_2xx: int
    non_2xx: int
    statuses: dict[str, int]
    socket_errors: dict[str, int]
    active_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float

    @property
    def requests_per_s(self) -> float:
        """2xx responses per second of the sending window."""
        return self.ok_2xx / self.active_s if self.active_s > 0 else 0.0

    @property
    def unanswered(self) -> int:
        """Requests sent whose response never came back before wrk stopped."""
        return self.sent - self.responses

    def problems(self) -> list[str]:
        """Errors this run saw, in words (empty when every request got a 2xx)."""
        found = []
        if self.non_2xx:
            found.append(f"{self.non_2xx} non-2xx responses {self.statuses}")
        failed = {kind: count for kind, count in self.socket_errors.items() if count}
        if failed:
            found.append(f"socket errors {failed}")
        if self.unanswered:
            found.append(f"{self.unanswered} requests unanswered when wrk stopped")
        return found


def wrk_path() -> str | None:
    """The wrk executable, or None when it is not installed."""
    return shutil.which("wrk")


def wrk_version() -> str:
    """wrk's version line, e.g. 'wrk debian/4.1.0-3+b2 [epoll]'."""
    completed = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (completed.stdout or completed.stderr).splitlines()[:1]
    return first[0].split(" Copyright")[0].strip() if first else "wrk"


def run_wrk(target: Signed, load: Load, label: str, seconds: float) -> WrkResult:
    """Send signed deliveries for `seconds`, numbering event ids '<label>-<thread>-<n>'."""
    return run_script(INGEST_SCRIPT, target.url, load, seconds,
                      [str(target.body_path), target.signature, target.topic, label,
                       str(seconds), target.authorization])


def run_script(script: Path, url: str, load: Load, seconds: float,
               script_args: list[str]) -> WrkResult:
    """Run wrk with `script` against `url` for the `seconds` window plus the drain; its result.

    `script_args` go to the script's init() after `--`; LoadError if wrk fails."""
    command = [
        "wrk", "--threads", str(load.threads), "--connections", str(load.connections),
        "--duration", f"{math.ceil(seconds) + DRAIN_S}s", "--timeout", TIMEOUT, "--latency",
        "--script", str(script), url, "--", *script_args,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise LoadError(f"wrk exited {completed.returncode}: {completed.stderr.strip()}")
    return parse_result(completed.stdout)


def parse_result(output: str) -> WrkResult:
    """The WrkResult from wrk's output; LoadError if the done() line is missing."""
    for line in output.splitlines():
        if line.startswith(RESULT_PREFIX):
            return from_json(json.loads(line[len(RESULT_PREFIX):]))
    raise LoadError(f"wrk printed no {RESULT_PREFIX.strip()} line:\n{output}")


def from_json(data: dict[str, Any]) -> WrkResult:
    """A WrkResult from the fields wrk_common.lua prints."""
    return WrkResult(
        responses=data["requests"], sent=data["sent"], ok_2xx=data["ok_2xx"],
        non_2xx=data["non_2xx"], statuses=data["statuses"],
        socket_errors=data["socket_errors"], active_s=data["active_seconds"],
        p50_ms=data["p50_ms"], p90_ms=data["p90_ms"], p99_ms=data["p99_ms"],
        max_ms=data["max_ms"], mean_ms=data["mean_ms"],
    )
