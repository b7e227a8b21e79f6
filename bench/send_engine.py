"""The batch send engine's half of `bench/send`: plugin.pipeline.send_engine.send_pending
draining one campaign's rows to the fake Graph API, limiter off and at 80 msg/s.

Called by bench/send.py, which measures the old path (send_message per row) in the same
run as the baseline and the fake Graph alone with wrk. Processes are pinned to cores with
`taskset` / sched_setaffinity when the machine has two or more: the fake Graph's gunicorn
tree on the last core, the senders (and wrk) on the others, so the two never take each
other's CPU and each side's CPU per message is its own.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import cpu
from bench.send_common import (
    AIM_TOLERANCE,
    LIMITED_PER_S,
    UNLIMITED_PER_S,
    body,
    fresh_instance,
    in_child,
    sent_times,
)

CAUSE = "campaign:bench"
# Rows asked for per send_pending call in the drains (a few batches).
PER_CALL = 1000

Report = dict[str, Any]


def cores() -> tuple[set[int], set[int]] | None:
    """(sender cores, fake Graph cores) when the machine has two or more, else None."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None
    return set(available[:-1]), {available[-1]}


def pin_tree(pid: int, cpus: set[int]) -> None:
    """Pin a process and its children (gunicorn's workers), every thread, with taskset."""
    listed = ",".join(str(c) for c in sorted(cpus))
    for process in cpu.processes():
        if pid in (process.pid, process.parent):
            subprocess.run(["taskset", "-a", "-p", "-c", listed, str(process.pid)],
                           check=False, capture_output=True)


def seed(environ: dict[str, str], messages: int, per_second: int) -> None:
    """One store, its number at `per_second`, `messages` pending rows of one campaign."""
    os.environ.update(environ)
    from bench.graph_app import PHONE_NUMBER_ID, TOKEN
    from plugin import create_app
    from plugin.infra import db
    from plugin.models import Store, WhatsAppAccount
    from plugin.pipeline import outbox

    app = create_app()
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="bench.example", name="Bench")
        session.add(store)
        session.flush()
        session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PHONE_NUMBER_ID,
                                    access_token=TOKEN, throughput_mps=per_second))
        session.flush()
        for start in range(0, messages, 5000):
            outbox.write_many(session, [
                {"store_id": store.id, "customer_id": None, "cause": CAUSE,
                 "step": f"to:{n}", "to": f"+35191{n:07d}", "template": "order_confirmation",
                 "payload": body(f"35191{n:07d}")}
                for n in range(start, min(messages, start + 5000))])
    app.extensions["storechat.engine"].dispose()


def drain(environ: dict[str, str], seconds: float | None, cpus: set[int] | None,
          cpu_out: Any) -> None:
    """send_pending until nothing is due (or `seconds` are up); CPU seconds on `cpu_out`."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    os.environ.update(environ)
    from sqlalchemy import select

    from plugin import create_app
    from plugin.infra import db
    from plugin.models import Store
    from plugin.pipeline.send_engine import send_pending

    app = create_app()
    with app.app_context():
        store_id = db.session().scalars(select(Store.id)).one()  # the instance's one store
    stop_at = time.monotonic() + seconds if seconds else None
    started = time.process_time()  # every thread of this process: the pool's too
    with app.app_context():
        while stop_at is None or time.monotonic() < stop_at:
            if send_pending(store_id=store_id, cause=CAUSE, limit=PER_CALL) == 0:
                if stop_at is None:
                    break
                time.sleep(0.01)
    cpu_out.put(time.process_time() - started)
    app.extensions["storechat.engine"].dispose()


def _drain_all(environ: dict[str, str], processes: int, seconds: float | None,
               cpus: set[int] | None) -> float:
    context = multiprocessing.get_context("spawn")
    cpu_out = context.Queue()
    workers = [context.Process(target=drain, args=(environ, seconds, cpus, cpu_out))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    spent = sum(cpu_out.get() for _ in workers)
    for worker in workers:
        worker.join()
    failed = [w.exitcode for w in workers if w.exitcode != 0]
    if failed:
        raise RuntimeError(f"engine processes exited {failed}")
    return float(spent)


def limiter_off(work: Path, graph_url: str, graph_pid: int, args: argparse.Namespace,
                cpus: set[int] | None) -> Report:
    """The engine with no rate limit: msg/s from first to last send, CPU per message."""
    environ = fresh_instance(work, "engine-off", graph_url)
    in_child(seed, environ, args.engine_messages, UNLIMITED_PER_S)
    graph_before = cpu.sample(graph_pid)
    sender_cpu = _drain_all(environ, args.engine_processes, None, cpus)
    graph_cpu = cpu.split(graph_before, cpu.sample(graph_pid))["gunicorn_s"]
    times, states = sent_times(environ)
    seconds = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0.0
    rate = (len(times) - 1) / seconds if seconds else 0.0
    sent = max(len(times), 1)
    return {"messages": args.engine_messages, "processes": args.engine_processes,
            "states": states, "seconds": round(seconds, 3), "messages_per_s": round(rate, 1),
            "sender_cpu_ms_per_message": round(sender_cpu * 1000 / sent, 3),
            "fake_graph_cpu_ms_per_message": round(graph_cpu * 1000 / sent, 3),
            "aim_at_least_per_s": 1000,
            "aim_met": rate >= 1000 and states.get("sent") == args.engine_messages}


def limiter_on(work: Path, graph_url: str, args: argparse.Namespace,
               cpus: set[int] | None) -> Report:
    """The engine at the number's 80 msg/s, shared by two processes through the limiter."""
    environ = fresh_instance(work, "engine-on", graph_url)
    window = args.seconds
    backlog = int(LIMITED_PER_S * (window + 3))
    in_child(seed, environ, backlog, LIMITED_PER_S)
    _drain_all(environ, 2, window + 1.5, cpus)
    times, states = sent_times(environ)
    first = times[0] if times else None
    inside = [t for t in times if first and (t - first).total_seconds() < window]
    rate = len(inside) / window
    return {"limit_per_s": LIMITED_PER_S, "processes": 2, "window_seconds": window,
            "backlog": backlog, "sent_in_window": len(inside),
            "messages_per_s": round(rate, 2), "deviation": round(rate / LIMITED_PER_S - 1, 4),
            "states": states, "aim_within": AIM_TOLERANCE,
            "aim_met": abs(rate / LIMITED_PER_S - 1) <= AIM_TOLERANCE}
