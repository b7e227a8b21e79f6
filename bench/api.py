"""`python -m bench.api`: the public API's read path, GET /api/v1/orders with a token, against
GET /healthz on the same server in the same run.

Everything runs on 127.0.0.1 in a temporary folder that is deleted afterwards. A fresh
SQLite instance gets the demo store, `--orders` orders and a read token. StoreChat runs
under gunicorn (2 `sync` workers, as in bench.ingest) with jobs inline
(STORECHAT_QUEUE_IMMEDIATE=1, so /healthz needs no worker process) and the API's rate
limit set far above reach: every call is still counted in the limiter's database row, it
just never says no. wrk (1 thread, 8 connections) measures, one after the other:

- **baseline** `GET /healthz`: the app's cheapest database-backed answer (one heartbeat
  upsert), through the same middleware, sessions and security headers;
- **api** `GET /api/v1/orders?limit=<page>`: look the token up by its public part and
  compare its hash, count the call (one upsert), validate the query, load a page of
  orders and serialise it with pydantic.

`ratio` is api / baseline requests per second; `ratio_cpu` compares the server CPU each
answer cost, which other processes on the machine disturb far less. Prints JSON and writes
bench/results/api.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from bench import cpu
from bench.load import Load, LoadError, WrkResult, run_script, wrk_path
from bench.load import wrk_version as wrk_name
from bench.report import publish
from bench.server import Gunicorn, Server, ServerError, log_tail, serving
from bench.storechat import Instance, SetupError, prepare, sqlite_url

RESULTS = Path(__file__).with_name("results") / "api.json"
LUA_SCRIPT = Path(__file__).with_name("api.lua")
STORECHAT_APP = "plugin:create_app()"
# Far above what any run here reaches: the limiter counts every call and never refuses.
UNREACHABLE_RATE_LIMIT = 1_000_000_000
# Above this share of the CPUs taken by other processes, the summary warns of noise.
NOISY_SHARE = 0.1

Report = dict[str, Any]


def seed(instance: Instance, orders: int) -> str:
    """Give the demo store `orders` orders and a read token; returns the token."""
    from sqlalchemy import select

    from plugin import create_app
    from plugin.auth import api_tokens
    from plugin.config import load_settings
    from plugin.infra import db
    from plugin.models import Order, Store

    app = create_app(load_settings(instance.environ))
    try:
        with app.app_context(), db.transaction() as session:
            store = session.scalars(select(Store).where(Store.key == instance.store_key)).one()
            for n in range(orders):
                lines = [{"title": "Linen shirt", "quantity": 1, "price": "49.90"}]
                session.add(Order(store_id=store.id, platform_id=f"bench-{n}",
                                  number=str(1001 + n), status="paid", currency="EUR",
                                  total="54.80", payment_gateway="card",
                                  snapshot={"line_items": lines}))
            _row, token = api_tokens.issue(session, store.id, "bench", api_tokens.Scope.READ,
                                           "bench")
    finally:
        app.extensions["storechat.engine"].dispose()
    return token


def run_get(url: str, authorization: str, load: Load, seconds: float) -> WrkResult:
    """GET `url` for `seconds` with wrk and bench/api.lua."""
    return run_script(LUA_SCRIPT, url, load, seconds, [str(seconds), authorization])


def measure(name: str, server: Server, path: str, authorization: str,
            load: Load) -> tuple[Report, list[str]]:
    """Warm up, then one measured run of GET `path`; the target's numbers and problems."""
    progress(name)
    url = server.url + path
    warmup = run_get(url, authorization, load, load.warmup_s)
    before = cpu.sample(server.pid)
    result = run_get(url, authorization, load, load.duration_s)
    used = cpu.split(before, cpu.sample(server.pid))
    problems = [f"{name} (warm-up): {p}" for p in warmup.problems()]
    problems += [f"{name}: {p}" for p in result.problems()]
    report: Report = {
        "path": path,
        "requests_per_s": round(result.requests_per_s, 1),
        "p50_ms": round(result.p50_ms, 2), "p90_ms": round(result.p90_ms, 2),
        "p99_ms": round(result.p99_ms, 2), "max_ms": round(result.max_ms, 2),
        "requests": result.responses, "ok_2xx": result.ok_2xx, "non_2xx": result.non_2xx,
        "socket_errors": sum(result.socket_errors.values()),
        "seconds": round(result.active_s, 3), "cpu_seconds": used,
        # Server CPU per answer: unlike the rate, it hardly moves when other processes
        # take cores from the run.
        "gunicorn_cpu_ms_per_request": round(1000 * used["gunicorn_s"] / result.responses, 3)
        if result.responses else None,
    }
    if result.statuses:
        report["non_2xx_statuses"] = result.statuses
    return report, problems


def page_items(server: Server, path: str, token: str) -> int:
    """How many orders one API answer holds (checked once before the load)."""
    request = urllib.request.Request(server.url + path,
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return len(json.loads(response.read())["data"])


def run(args: argparse.Namespace, work: Path) -> Report:
    """Prepare the instance, serve it, measure both paths, assemble the report."""
    settings = Gunicorn()
    load = Load(connections=args.connections, duration_s=args.duration, warmup_s=args.warmup)
    progress("preparing a fresh SQLite instance (db upgrade, demo store, orders, token)")
    instance = prepare(work / "instance", sqlite_url(work / "instance"))
    token = seed(instance, args.orders)
    environ = dict(instance.environ, STORECHAT_QUEUE_IMMEDIATE="1",
                   STORECHAT_API_RATE_LIMIT=str(UNREACHABLE_RATE_LIMIT))
    api_path = f"/api/v1/orders?limit={args.page}"
    log = work / "storechat.log"
    with serving(STORECHAT_APP, settings, environ, log) as server:
        items = page_items(server, api_path, token)
        baseline, problems = measure("baseline GET /healthz", server, "/healthz", "", load)
        api, more = measure(f"api GET {api_path}", server, api_path, f"Bearer {token}", load)
    problems += more
    if items != min(args.page, args.orders):
        problems.append(f"the API answered {items} orders, not {min(args.page, args.orders)}")
    ratio = api["requests_per_s"] / baseline["requests_per_s"] if baseline[
        "requests_per_s"] else 0.0
    report: Report = {
        "benchmark": "api",
        "measures": (f"GET {api_path} with a read token: token lookup and hash compare, "
                     "rate-limit count (one upsert), a page of orders, pydantic serialisation"),
        "baseline": "GET /healthz on the same server in the same run (one heartbeat upsert)",
        "server": f"gunicorn {settings.describe()} on 127.0.0.1, SQLite, jobs inline",
        "data": {"orders": args.orders, "page": args.page, "items_per_answer": items},
        "load": {"tool": wrk_name(), "threads": load.threads, "connections": load.connections,
                 "warmup_s": load.warmup_s, "duration_s": load.duration_s},
        "cpu_split": (f"{os.cpu_count()} cores shared: wrk {load.threads} thread, "
                      f"{load.connections} connections; gunicorn {settings.describe()}; "
                      "no queue consumer"),
        "targets": {"baseline_healthz": baseline, "api_orders": api},
        "ratio": round(ratio, 3),
        "ratio_cpu": _cpu_ratio(baseline, api),
        "errors": problems,
    }
    if log_tail(log):
        report["server_log_tail"] = log_tail(log, lines=5).splitlines()
    return report


def _cpu_ratio(baseline: Report, api: Report) -> float | None:
    """Baseline's server CPU per answer over the API's: what `ratio` would be on a quiet
    machine where the server had the cores to itself."""
    base, cost = baseline["gunicorn_cpu_ms_per_request"], api["gunicorn_cpu_ms_per_request"]
    return round(base / cost, 3) if base and cost else None


def summary(report: Report) -> str:
    """One line for people: both rates, the ratio, the latencies, and any noise or error."""
    api, base = report["targets"]["api_orders"], report["targets"]["baseline_healthz"]
    lines = [f"api: {api['requests_per_s']:.0f} req/s (p50 {api['p50_ms']} ms, p99 "
             f"{api['p99_ms']} ms) vs /healthz {base['requests_per_s']:.0f} req/s (p99 "
             f"{base['p99_ms']} ms): {report['ratio']:.2f} × baseline; server CPU per "
             f"answer {api['gunicorn_cpu_ms_per_request']} ms vs "
             f"{base['gunicorn_cpu_ms_per_request']} ms ({report['ratio_cpu']} ×)"]
    for name, target in report["targets"].items():
        used = target["cpu_seconds"]
        share = used["other_processes_s"] / used["capacity_s"] if used["capacity_s"] else 0.0
        if share > NOISY_SHARE:
            lines.append(f"note: other processes used {share:.0%} of the CPUs during {name}; "
                         "the numbers are noisy")
    lines += [f"ERROR {problem}" for problem in report["errors"]]
    return "\n".join(lines)


def progress(message: str) -> None:
    """Say what the benchmark is doing, on stderr (stdout carries only the JSON)."""
    print(f"bench.api: {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.api",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds each")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds each")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--orders", type=int, default=200, help="orders in the store")
    parser.add_argument("--page", type=int, default=50, help="orders per API answer")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every request was answered 2xx, 1 otherwise, 2 without wrk."""
    args = parse_args(argv)
    if wrk_path() is None:
        print("bench.api: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="storechat-bench-api-") as tmp:
            report = run(args, Path(tmp))
    except (SetupError, ServerError, LoadError, OSError) as error:
        print(f"bench.api: failed: {error}", file=sys.stderr)
        return 1
    return publish("bench.api", report, args.output, summary(report))


if __name__ == "__main__":
    sys.exit(main())
