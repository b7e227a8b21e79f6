"""The ingest benchmark: signed webhooks per second through verify → store → enqueue.

Targets, each under the same gunicorn settings on 127.0.0.1 and driven by the same wrk load:
bare Flask answering 200 (the baseline), StoreChat on SQLite, and StoreChat on PostgreSQL
when one is available. Prints JSON and writes it to bench/results/ingest.json.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bench import cpu
from bench.load import Load, LoadError, Signed, WrkResult, run_wrk, wrk_path, wrk_version
from bench.report import publish
from bench.server import Gunicorn, ServerError, log_tail, serving
from bench.storechat import (
    Instance,
    SetupError,
    count_awaiting,
    count_rows,
    postgres_url,
    prepare,
    reset_postgres,
    sqlite_url,
)

RESULTS = Path(__file__).with_name("results") / "ingest.json"
STORECHAT_APP = "plugin:create_app()"
BARE_APP = "bench.bare_app:app"
TOPIC = "orders/create"
AIM_RATIO = 0.5
AIM_P99_MS = 50.0
# Above this share of the CPUs taken by other processes, the summary warns of noise.
NOISY_SHARE = 0.1
QUEUE_NOTE = ("no queue consumer runs: each event is verified and stored in inbound_events, "
              "which with the embedded queue is the job itself (a worker's relay enqueues it); "
              "nothing is processed")

# What ends a target's run early: setup, gunicorn, wrk or a database count failing.
FAILURES = (SetupError, ServerError, LoadError, SQLAlchemyError, sqlite3.Error)

Report = dict[str, Any]


def order_body() -> bytes:
    """A demo-platform orders/create delivery, the size of a small real order."""
    payload = {
        "id": "demo-bench-order", "number": "1001", "status": "placed", "currency": "EUR",
        "total": "54.80", "payment_gateway": "card",
        "customer": {"id": "demo-customer-1", "first_name": "Ana", "last_name": "Silva",
                     "phone": "+351 912 345 678", "email": "ana@example.com", "locale": "en"},
        "line_items": [{"title": "Linen shirt", "quantity": 1, "price": "49.90"},
                       {"title": "Espresso cups (set of 2)", "quantity": 1, "price": "18.50"}],
        "status_url": "https://demo.storechat.invalid/orders/1001",
    }
    return json.dumps(payload, ensure_ascii=False).encode()


def sign(secret: bytes, body: bytes) -> str:
    """The base64 HMAC-SHA256 of the body, as the demo platform signs it."""
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def target_report(result: WrkResult, cpu_used: dict[str, float], log: Path,
                  stored_rows: int | None = None, awaiting_worker: int | None = None) -> Report:
    """One target's numbers, as they appear in the JSON (stored_rows is None for bare)."""
    report: Report = {
        "requests_per_s": round(result.requests_per_s, 1),
        "p50_ms": round(result.p50_ms, 2),
        "p90_ms": round(result.p90_ms, 2),
        "p99_ms": round(result.p99_ms, 2),
        "max_ms": round(result.max_ms, 2),
        "requests": result.responses,
        "ok_2xx": result.ok_2xx,
        "non_2xx": result.non_2xx,
        "socket_errors": sum(result.socket_errors.values()),
        "seconds": round(result.active_s, 3),
        "stored_rows": stored_rows,
        "cpu_seconds": cpu_used,
    }
    if result.statuses:
        report["non_2xx_statuses"] = result.statuses
    if stored_rows is not None:
        report["awaiting_worker"] = awaiting_worker
        report["rows_match_2xx"] = stored_rows == result.ok_2xx
    if log_tail(log):
        report["server_log_tail"] = log_tail(log, lines=5).splitlines()
    return report


def row_problems(name: str, result: WrkResult, stored: int) -> list[str]:
    """A problem when the rows stored differ from the 2xx responses counted."""
    if stored == result.ok_2xx:
        return []
    return [f"{name}: {stored} rows stored but wrk counted {result.ok_2xx} 2xx responses"]


def bench_bare(delivery: Signed, settings: Gunicorn, load: Load,
               work: Path) -> tuple[Report, list[str]]:
    """Measure the bare Flask baseline: warm up, then one measured run."""
    progress("bare Flask")
    log = work / "bare.log"
    with serving(BARE_APP, settings, dict(os.environ), log) as server:
        signed = replace(delivery, url=server.url + delivery.url)
        warmup = run_wrk(signed, load, "bare-warmup", load.warmup_s)
        before = cpu.sample(server.pid)
        result = run_wrk(signed, load, "bare", load.duration_s)
        used = cpu.split(before, cpu.sample(server.pid))
    problems = [f"bare (warm-up): {p}" for p in warmup.problems()]
    problems += [f"bare: {p}" for p in result.problems()]
    return target_report(result, used, log), problems


def bench_storechat(name: str, instance: Instance, body_path: Path, settings: Gunicorn,
                    load: Load, work: Path) -> tuple[Report, list[str]]:
    """Measure StoreChat's receive path and check every 2xx left exactly one stored row."""
    progress(name)
    delivery = signed_delivery(instance, body_path)
    log = work / f"{name}.log"
    with serving(STORECHAT_APP, settings, instance.environ, log) as server:
        signed = replace(delivery, url=server.url + delivery.url)
        warmup = run_wrk(signed, load, f"{name}-warmup", load.warmup_s)
        rows_before = count_rows(instance.database_url)
        awaiting_before = count_awaiting(instance.database_url, instance.queue_db)
        before = cpu.sample(server.pid)
        result = run_wrk(signed, load, name, load.duration_s)
        used = cpu.split(before, cpu.sample(server.pid))
    stored = count_rows(instance.database_url) - rows_before
    awaiting = count_awaiting(instance.database_url, instance.queue_db) - awaiting_before
    problems = [f"{name} (warm-up): {p}" for p in warmup.problems()]
    problems += row_problems(f"{name} (warm-up)", warmup, rows_before)
    problems += [f"{name}: {p}" for p in result.problems()]
    problems += row_problems(name, result, stored)
    if awaiting != stored:
        problems.append(f"{name}: {stored} events stored but {awaiting} handed to workers")
    return target_report(result, used, log, stored, awaiting), problems


def bench_postgresql(body_path: Path, settings: Gunicorn, load: Load, work: Path,
                     bare: Report) -> tuple[Report, list[str]]:
    """The PostgreSQL section: the same run on a freshly reset schema, or why it was skipped."""
    url, note = postgres_url()
    if url is None:
        progress(f"PostgreSQL {note}")
        return {"skipped": note}, []
    reset_postgres(url)
    try:
        instance = prepare(work / "instance-postgresql", url)
        target, problems = bench_storechat("storechat_postgresql", instance, body_path,
                                           settings, load, work)
    except FAILURES as error:
        return {"database": note, "failed": str(error)}, [f"postgresql: {error}"]
    finally:
        reset_postgres(url)
    section: Report = {"database": note,
                       "schema": "public: dropped and recreated before and after",
                       "targets": {"storechat_postgresql": target}}
    section.update(ratio_and_aims(target, bare))
    return section, problems


def ratio_and_aims(target: Report, bare: Report) -> Report:
    """StoreChat's rps over bare Flask's, and whether the aims were met (never, with errors)."""
    ratio = target["requests_per_s"] / bare["requests_per_s"] if bare["requests_per_s"] else 0.0
    failed = any(t["non_2xx"] or t["socket_errors"] for t in (target, bare))
    clean = not failed and target["rows_match_2xx"]
    return {
        "ratio": round(ratio, 3),
        "aims": {
            "ratio_at_least": AIM_RATIO, "ratio_met": clean and ratio >= AIM_RATIO,
            "p99_ms_below": AIM_P99_MS, "p99_met": clean and target["p99_ms"] < AIM_P99_MS,
            "run_without_errors": clean,
        },
    }


def signed_delivery(instance: Instance, body_path: Path) -> Signed:
    """The body signed with this instance's demo-store secret, for its webhook path."""
    return Signed(url=f"/webhooks/demo/{instance.store_key}", body_path=body_path,
                  signature=sign(instance.webhook_secret, body_path.read_bytes()), topic=TOPIC)


def run(args: argparse.Namespace, work: Path) -> Report:
    """Run every target in one temporary folder and assemble the report."""
    settings = Gunicorn(worker_class=args.worker_class, threads=args.threads)
    load = Load(connections=args.connections, duration_s=args.duration, warmup_s=args.warmup)
    body_path = work / "body.json"
    body_path.write_bytes(order_body())
    progress("preparing a fresh SQLite instance (db upgrade, demo store)")
    sqlite_instance = prepare(work / "instance", sqlite_url(work / "instance"))
    bare, problems = bench_bare(signed_delivery(sqlite_instance, body_path), settings, load, work)
    storechat, more = bench_storechat("storechat_sqlite", sqlite_instance, body_path, settings,
                                      load, work)
    problems += more
    report = header(settings, load, body_path)
    report["targets"] = {"bare_flask": bare, "storechat_sqlite": storechat}
    report.update(ratio_and_aims(storechat, bare))
    if args.postgresql:
        report["postgresql"], more = bench_postgresql(body_path, settings, load, work, bare)
        problems += more
    else:
        report["postgresql"] = {"skipped": "skipped: --no-postgresql"}
    report["errors"] = problems
    return report


def header(settings: Gunicorn, load: Load, body_path: Path) -> Report:
    """What was measured and how: the fixed part of the report."""
    server = f"gunicorn {settings.describe()} on 127.0.0.1"
    return {
        "benchmark": "ingest",
        "measures": ("signed POST /webhooks/demo/<store key>: verify HMAC, store the "
                     "inbound_events row (the job: the embedded queue's relay enqueues it), "
                     "answer 200"),
        "queue": QUEUE_NOTE,
        "server": server,
        "baseline": f"bench/bare_app.py: bare Flask answering 200 to the same POST, {server}",
        "load": {"tool": wrk_version(), "threads": load.threads,
                 "connections": load.connections, "warmup_s": load.warmup_s,
                 "duration_s": load.duration_s, "body_bytes": body_path.stat().st_size,
                 "topic": TOPIC, "event_ids": "distinct per request (<run>-<thread>-<n>)"},
        "cpu_split": (f"{os.cpu_count()} cores shared: wrk {load.threads} thread, "
                      f"{load.connections} connections; gunicorn {settings.describe()}; "
                      "no queue consumer"),
    }


def summary(report: Report) -> str:
    """One human line per StoreChat target: rps, ratio, p99 and the aims."""
    lines = [line_for("SQLite", report["targets"]["storechat_sqlite"], report)]
    postgresql = report["postgresql"]
    if "targets" in postgresql:
        lines.append(line_for("PostgreSQL", postgresql["targets"]["storechat_postgresql"],
                              postgresql))
    else:
        lines.append(f"PostgreSQL: {postgresql.get('skipped') or postgresql.get('failed')}")
    share = max(other_share(target) for target in all_targets(report))
    if share > NOISY_SHARE:
        lines.append(f"note: other processes used up to {share:.0%} of the CPUs during a "
                     "measured run; the numbers are noisy (see cpu_seconds)")
    lines += [f"ERROR {problem}" for problem in report["errors"]]
    return "\n".join(lines)


def all_targets(report: Report) -> list[Report]:
    """Every measured target in the report, PostgreSQL's included."""
    targets = list(report["targets"].values())
    return targets + list(report["postgresql"].get("targets", {}).values())


def other_share(target: Report) -> float:
    """The share of the machine's CPU time other processes took during a target's run."""
    used = target["cpu_seconds"]
    return used["other_processes_s"] / used["capacity_s"] if used["capacity_s"] else 0.0


def line_for(name: str, target: Report, section: Report) -> str:
    """'SQLite: 950 events/s, 0.19 × bare (aim ≥ 0.5: NOT met), p99 12.8 ms (…: met), …'."""
    aims = section["aims"]
    return (f"{name}: {target['requests_per_s']:.0f} events/s, {section['ratio']:.2f} × bare "
            f"(aim ≥ {AIM_RATIO}: {'met' if aims['ratio_met'] else 'NOT met'}), "
            f"p99 {target['p99_ms']:.1f} ms (aim < {AIM_P99_MS:.0f} ms: "
            f"{'met' if aims['p99_met'] else 'NOT met'}), {target['stored_rows']} rows stored "
            f"for {target['ok_2xx']} 2xx")


def progress(message: str) -> None:
    """Say what the benchmark is doing, on stderr (stdout carries only the JSON)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (`make bench BENCH_ARGS='--duration 5'`)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per target")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync",
                        help="gunicorn worker class (sync served StoreChat best; see README)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--no-postgresql", dest="postgresql", action="store_false",
                        help="skip the PostgreSQL section even when one is available")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every request was answered 2xx and stored, 1 otherwise."""
    args = parse_args(argv)
    if wrk_path() is None:
        print("bench: wrk is not installed. Install it with `apt-get install wrk` "
              "(Debian/Ubuntu) and run `make bench` again.", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="storechat-bench-") as tmp:
            report = run(args, Path(tmp))
    except FAILURES as error:
        print(f"bench: failed: {error}", file=sys.stderr)
        return 1
    return publish("bench", report, args.output, summary(report))


if __name__ == "__main__":
    sys.exit(main())
