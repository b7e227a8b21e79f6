"""`python -m bench.send`: messages per second from the outbox to WhatsApp (the fake Graph API).

Everything runs on 127.0.0.1 in a temporary folder that is deleted afterwards.

1. The fake Graph API (tests/fakes/graph.py, bench/graph_app.py) runs under gunicorn, and wrk
   measures what it answers on its own: the ceiling any sender could reach here (baseline).
2. A fresh SQLite instance gets one store with a connected number and a batch of pending
   outbox rows, each to a different shopper (so the 6-second spacing per shopper never bites).
3. StoreChat's own send job, `plugin.pipeline.send.send_message` (lease the row, check the sending
   policy, count the number's rate limit, POST to Graph, record the wamid), drains them:
   - **limiter off**: the number's throughput is set far above reach, so only the work limits
     the rate; `--processes` worker processes (one per CPU) with `--threads` threads each,
     as a deployment would run several workers. Aim: at least 1,000 msg/s, Meta's ceiling for
     one number.
   - **limiter on**: the number's throughput is Meta's default, 80 msg/s; throttled messages are
     put back with the job's own 1 s delay. One process (the limit itself is shared through
     the database, or Redis at scale). More messages wait than the window can take, and the rate is
     counted over `--seconds` from the first send. Aim: within ±5% of 80.
The queue is replaced by an in-process scheduler that honours each delay the job asks for, so
the numbers are the send path, not Huey.
4. The batch send engine (plugin.pipeline.send_engine.send_pending, bench/send_engine.py)
   drains a campaign of `--engine-messages` rows, limiter off, then at 80 msg/s shared by two
   processes: the old path above is its baseline, measured in the same run.
On two or more cores, processes are pinned (taskset): the fake Graph on the last core, the
senders and wrk on the others; the report names the split. Prints JSON and writes
bench/results/send.json.
"""
from __future__ import annotations

import argparse
import heapq
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import cpu, send_engine
from bench.graph_app import PHONE_NUMBER_ID, TOKEN
from bench.load import Load, LoadError, Signed, run_wrk, wrk_path
from bench.send_common import (
    AIM_TOLERANCE,
    API_VERSION,
    LIMITED_PER_S,
    UNLIMITED_PER_S,
    body,
    fresh_instance,
    in_child,
    sent_times,
)
from bench.server import Gunicorn, ServerError, serving

RESULTS = Path(__file__).with_name("results") / "send.json"
GRAPH_APP = "bench.graph_app:app"
AIM_OFF_PER_S = 1000

Report = dict[str, Any]


def seed(environ: dict[str, str], messages: int, per_second: int) -> None:
    """One store, its number at `per_second`, and `messages` pending rows to distinct shoppers."""
    os.environ.update(environ)
    from plugin import create_app
    from plugin.infra import db
    from plugin.models import Message, Store, WhatsAppAccount

    app = create_app()
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="bench.example", name="Bench")
        session.add(store)
        session.flush()
        session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PHONE_NUMBER_ID,
                                    access_token=TOKEN, throughput_mps=per_second))
        now = db.utcnow()
        session.add_all(
            Message(store_id=store.id, cause=f"bench:{n}", step="order_confirmation",
                    to=f"+35191{n:07d}", template="order_confirmation",
                    payload=body(f"35191{n:07d}"), state="pending", attempts=0,
                    created_at=now, enqueued_at=now)
            for n in range(messages))
    app.extensions["storechat.engine"].dispose()


class Scheduler:
    """The queue, in process: ids due now first, delayed ids when their time comes."""

    def __init__(self, ids: list[int], stop_at: float | None) -> None:
        self._due = [(0.0, i) for i in ids]
        heapq.heapify(self._due)
        self._ready = threading.Condition()
        self._stop_at = stop_at

    def put(self, row_id: int, delay: float) -> None:
        """Run `row_id` again after `delay` seconds."""
        with self._ready:
            heapq.heappush(self._due, (time.monotonic() + delay, row_id))
            self._ready.notify()

    def take(self) -> int | None:
        """The next due id, waiting for it; None when nothing is left or time is up."""
        with self._ready:
            while True:
                now = time.monotonic()
                if self._stop_at is not None and now >= self._stop_at:
                    return None
                if not self._due:
                    return None
                due, row_id = self._due[0]
                if due <= now:
                    heapq.heappop(self._due)
                    return row_id
                self._ready.wait(min(due - now, 0.05))


def drain(environ: dict[str, str], ids: list[int], threads: int, seconds: float | None,
          cpu_out: Any = None) -> None:
    """Send `ids` through plugin.pipeline.send.send_message on `threads` threads (one process);
    put this process's CPU seconds spent sending (start-up excluded) on `cpu_out`."""
    os.environ.update(environ)
    from plugin import create_app
    from plugin.infra import queue
    from plugin.pipeline import send

    app = create_app()
    stop_at = time.monotonic() + seconds if seconds else None
    scheduler = Scheduler(ids, stop_at)
    # The job's own re-enqueues (throttled, retry later) go back to this scheduler.
    queue.enqueue = lambda job, row_id, delay=0: scheduler.put(row_id, delay) or True  # type: ignore[assignment]

    failures: list[str] = []

    def work() -> None:
        while (row_id := scheduler.take()) is not None:
            try:
                with app.app_context():
                    send.send_message(row_id)
            except Exception as error:  # noqa: BLE001 - counted and reported, never hidden
                failures.append(f"message {row_id}: {error.__class__.__name__}: {error}")

    workers = [threading.Thread(target=work) for _ in range(threads)]
    started = time.process_time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if cpu_out is not None:
        cpu_out.put(time.process_time() - started)
    app.extensions["storechat.engine"].dispose()
    if failures:
        print(f"{len(failures)} send jobs raised; first: {failures[0]}", file=sys.stderr)
        sys.exit(1)  # the caller reports the exit code: a failed run is never a result


def ids(environ: dict[str, str]) -> list[int]:
    """The pending rows' ids."""
    os.environ.update(environ)
    from sqlalchemy import select

    from plugin import create_app
    from plugin.infra import db
    from plugin.models import Message

    app = create_app()
    with app.app_context():
        found = list(db.session().scalars(select(Message.id).order_by(Message.id)))
    app.extensions["storechat.engine"].dispose()
    return found


def limiter_off(work: Path, graph_url: str, graph_pid: int, args: argparse.Namespace) -> Report:
    """Drain a batch with no rate limit, on several processes; msg/s from first to last send,
    and the CPU each message cost the senders and the fake Graph API."""
    environ = fresh_instance(work, "off", graph_url)
    in_child(seed, environ, args.messages, UNLIMITED_PER_S)
    rows = ids(environ)
    slices = [rows[i::args.processes] for i in range(args.processes)]
    context = multiprocessing.get_context("spawn")
    cpu_out = context.Queue()
    processes = [context.Process(target=drain, args=(environ, part, args.threads, None, cpu_out))
                 for part in slices]
    graph_before = cpu.sample(graph_pid)
    for process in processes:
        process.start()
    sender_cpu = sum(cpu_out.get() for _ in processes)
    for process in processes:
        process.join()
    graph_cpu = cpu.split(graph_before, cpu.sample(graph_pid))["gunicorn_s"]
    failed = [p.exitcode for p in processes if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"sender processes exited {failed}")
    times, states = sent_times(environ)
    # From the first send to the last: process start-up (imports, app) is not sending.
    seconds = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0.0
    rate = (len(times) - 1) / seconds if seconds else 0.0
    sent = max(len(times), 1)
    return {"messages": args.messages, "processes": args.processes,
            "threads_per_process": args.threads, "states": states,
            "seconds": round(seconds, 3), "messages_per_s": round(rate, 1),
            "sender_cpu_ms_per_message": round(sender_cpu * 1000 / sent, 3),
            "fake_graph_cpu_ms_per_message": round(graph_cpu * 1000 / sent, 3),
            "aim_at_least_per_s": AIM_OFF_PER_S,
            "aim_met": rate >= AIM_OFF_PER_S and states.get("sent") == args.messages}


def limiter_on(work: Path, graph_url: str, args: argparse.Namespace) -> Report:
    """Drain at the number's 80 msg/s; the rate over a window that always had work waiting."""
    environ = fresh_instance(work, "on", graph_url)
    window = args.seconds
    backlog = int(LIMITED_PER_S * (window + 3))
    in_child(seed, environ, backlog, LIMITED_PER_S)
    in_child(drain, environ, ids(environ), args.threads, window + 1.5)
    times, states = sent_times(environ)
    first = times[0] if times else None
    inside = [t for t in times if first and (t - first).total_seconds() < window]
    rate = len(inside) / window
    return {"limit_per_s": LIMITED_PER_S, "window_seconds": window, "backlog": backlog,
            "sent_in_window": len(inside), "messages_per_s": round(rate, 2),
            "deviation": round(rate / LIMITED_PER_S - 1, 4), "states": states,
            "aim_within": AIM_TOLERANCE,
            "aim_met": abs(rate / LIMITED_PER_S - 1) <= AIM_TOLERANCE}


def graph_baseline(graph_url: str, work: Path, load: Load) -> Report:
    """What the fake Graph answers per second on its own (wrk, the same template body)."""
    if wrk_path() is None:
        return {"skipped": "wrk is not installed"}
    body_path = work / "graph-body.json"
    body_path.write_text(json.dumps(body("351910000000")))
    target = Signed(url=f"{graph_url}/{API_VERSION}/{PHONE_NUMBER_ID}/messages",
                    body_path=body_path, signature="", topic="", authorization=f"Bearer {TOKEN}")
    run_wrk(target, load, "graph-warmup", load.warmup_s)
    result = run_wrk(target, load, "graph", load.duration_s)
    return {"requests_per_s": round(result.requests_per_s, 1), "p50_ms": round(result.p50_ms, 2),
            "p99_ms": round(result.p99_ms, 2), "errors": result.problems()}


def run(args: argparse.Namespace, work: Path) -> Report:
    """The fake Graph under gunicorn, its baseline, then the old path's and the engine's
    drains against it."""
    split = send_engine.cores() if args.pin else None
    if split is not None:
        # Everything this process starts from here (wrk, senders) runs on the sender cores;
        # the fake Graph's tree is moved to its own core once it runs.
        os.sched_setaffinity(0, split[0])
    settings = Gunicorn(workers=args.graph_workers, worker_class="gthread", threads=8)
    load = Load(connections=16, duration_s=5, warmup_s=1)
    report: Report = {
        "benchmark": "send",
        "what": "outbox rows sent by plugin.pipeline.send.send_message to the fake Graph API "
                "on 127.0.0.1 (SQLite, in-process scheduler instead of Huey)",
        "fake_graph": f"gunicorn {settings.describe()}", "cpus": os.cpu_count(),
    }
    report["cores"] = ({"senders_and_wrk": sorted(split[0]), "fake_graph": sorted(split[1])}
                       if split else "not pinned")
    with serving(GRAPH_APP, settings, dict(os.environ), work / "graph.log") as graph:
        if split is not None:
            send_engine.pin_tree(graph.pid, split[1])
        report["baseline_fake_graph"] = graph_baseline(graph.url, work, load)
        if not args.engine_only:
            report["limiter_off"] = limiter_off(work, graph.url, graph.pid, args)
            report["limiter_on"] = limiter_on(work, graph.url, args)
        report["engine_limiter_off"] = send_engine.limiter_off(
            work, graph.url, graph.pid, args, split[0] if split else None)
        report["engine_limiter_on"] = send_engine.limiter_on(
            work, graph.url, args, split[0] if split else None)
    engine = report["engine_limiter_off"]
    old = report.get("limiter_off")
    if old and old["messages_per_s"]:
        engine["speedup_over_old_path"] = round(engine["messages_per_s"]
                                                / old["messages_per_s"], 2)
        engine["cpu_ratio_to_old_path"] = round(engine["sender_cpu_ms_per_message"]
                                                / old["sender_cpu_ms_per_message"], 3)
    ceiling = report["baseline_fake_graph"].get("requests_per_s")
    if ceiling:
        engine["ratio_to_fake_graph"] = round(engine["messages_per_s"] / ceiling, 3)
    if args.engine_only:
        return report
    off = report["limiter_off"]["messages_per_s"]
    ceiling = report["baseline_fake_graph"].get("requests_per_s")
    if ceiling:
        report["limiter_off"]["ratio_to_fake_graph"] = round(off / ceiling, 3)
    per_message = (report["limiter_off"]["sender_cpu_ms_per_message"]
                   + report["limiter_off"]["fake_graph_cpu_ms_per_message"])
    # What 1,000 msg/s would take here, senders and fake Graph together, at this cost.
    report["limiter_off"]["cpus_for_aim"] = round(per_message * AIM_OFF_PER_S / 1000, 2)
    return report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.send",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=6000, help="rows for the limiter-off run")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2,
                        help="sender processes, limiter off (default: one per CPU)")
    parser.add_argument("--threads", type=int, default=4, help="threads per sender process")
    parser.add_argument("--seconds", type=float, default=10.0, help="limiter-on window")
    parser.add_argument("--graph-workers", type=int, default=2, help="fake Graph gunicorn workers")
    parser.add_argument("--engine-messages", type=int, default=10000,
                        help="rows for the engine's limiter-off run")
    parser.add_argument("--engine-processes", type=int, default=1,
                        help="engine processes, limiter off")
    parser.add_argument("--engine-only", action="store_true",
                        help="skip the old path's drains (no baseline)")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="do not pin the fake Graph and the senders to separate cores")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its JSON, write bench/results/send.json."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="storechat-bench-send-") as folder:
        try:
            report = run(args, Path(folder))
        except (ServerError, LoadError, RuntimeError) as error:
            print(json.dumps({"benchmark": "send", "failed": str(error)}))
            return 1
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
