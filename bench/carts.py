"""`python -m bench.carts`: 100,000 open carts, 10,000 of them due in the same minute.

Everything runs on 127.0.0.1 in a temporary folder that is deleted afterwards.

1. **The fake Graph API** (tests/fakes/graph.py via bench/graph_app.py) under gunicorn, and
   wrk's measure of what it answers alone: the ceiling any sender could reach here.
2. **A fresh StoreChat instance per database** (a spawned child, nothing warm from the
   set-up): one store with a connected number (throughput far above reach: the limiter is
   bench.send's business), the default recovery sequence on, the starter templates
   cart_recovery_1..3 approved; `--carts` open carts, each with its customer (a marketing
   opt-in) and its three timer rows. `--due` of them were last active 61 minutes ago, so their
   step 1 is due now; the rest 10 minutes ago (step 1 due in 50 minutes). Steps 2 and 3 of
   every cart are days away: 3 × carts rows, of which `--due` are due.
3. **Finding due work**: the claim a worker's sweeper runs (plugin.pipeline.recovery.timers
   .claim_due, 500 rows), timed on the loaded database and rolled back, several times; the
   same on a control database holding only the due carts (`--due` carts, all due). The cost of
   finding due work must not grow with the carts that are not due: the ratio of the two is
   reported, with the claim statement's query plan (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's
   EXPLAIN after ANALYZE), which must be a range on ix_checkout_recoveries_state_due_at.
4. **Find and send** (SQLite): the real jobs, with an in-process scheduler instead of Huey:
   recovery_send.enqueue_due claims batches and queues one RECOVERY_STEP per step; each
   step job decides and writes its outbox message and queues SEND_MESSAGE; send_message POSTs
   to the fake Graph. `--threads` threads in one process. Reported: time from the first claim
   to the last send, sends per second, CPU of this process per cart and the fake Graph's CPU
   per message (the fake must not be the bottleneck), and that every due cart got exactly one
   message and no other cart any.
5. **PostgreSQL** (steps 2–3) when STORECHAT_BENCH_DATABASE_URL (or
   STORECHAT_TEST_DATABASE_URL) names a loopback server: schema `public` is dropped and
   recreated before and after.

Prints JSON and writes bench/results/carts.json.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import cpu, plans
from bench.graph_app import PHONE_NUMBER_ID, TOKEN
from bench.load import Load, LoadError
from bench.report import publish
from bench.send import GRAPH_APP, Scheduler, graph_baseline
from bench.send_common import API_VERSION
from bench.server import ROOT, Gunicorn, ServerError, serving
from bench.storechat import environ_for, postgres_url, reset_postgres, run_python, sqlite_url

RESULTS = ROOT / "bench" / "results" / "carts.json"
INDEX = "ix_checkout_recoveries_state_due_at"
PUBLIC_URL = "https://chat.bench.example"
# Rows inserted per statement while setting up (keeps SQLite's variable limit far away).
CHUNK = 2_000
# Times the claim is measured (each rolled back) per database.
CLAIM_REPEATS = 7
Report = dict[str, Any]


def arrange(app: Any, carts: int, due: int) -> int:
    """The store, its number and templates, `carts` open carts with customers, opt-ins and
    timer rows, `due` of them due now; the store id."""
    from sqlalchemy import insert, select

    from plugin.domain.starter_templates import definitions
    from plugin.infra import db
    from plugin.models import (
        Checkout,
        ConsentEntry,
        Customer,
        RecoveryStep,
        Store,
        Template,
        WhatsAppAccount,
    )
    from plugin.pipeline.recovery import steps as recovery_steps

    now = db.utcnow()
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="https://bench.example", name="Bench",
                      locale="en", currency="EUR")
        session.add(store)
        session.flush()
        session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PHONE_NUMBER_ID,
                                    waba_id="1", access_token=TOKEN, throughput_mps=1_000_000))
        recovery_steps.set_enabled(session, store, True)
        for d in definitions(PUBLIC_URL, "en"):
            if d.name.startswith("cart_recovery_"):
                session.add(Template(store_id=store.id, name=d.name, language="en",
                                     category=d.category, status="APPROVED",
                                     parameter_format="POSITIONAL",
                                     components=d.create_request()["components"]))
        store_id = store.id
    for start in range(0, carts, CHUNK):
        numbers = range(start, min(start + CHUNK, carts))
        with app.app_context(), db.transaction() as session:
            session.execute(insert(Customer), [
                {"store_id": store_id, "platform_id": f"bench:{n}", "first_name": "Ana",
                 "phone_e164": f"+35191{n:07d}", "tags": [], "created_at": now}
                for n in numbers])
            ids = dict(session.execute(select(Customer.platform_id, Customer.id).where(
                Customer.store_id == store_id,
                Customer.platform_id.in_([f"bench:{n}" for n in numbers]))).all())
            session.execute(insert(ConsentEntry), [
                {"store_id": store_id, "customer_id": ids[f"bench:{n}"], "purpose": "marketing",
                 "granted": True, "source": "checkout", "text_shown": "WhatsApp offers",
                 "created_at": now} for n in numbers])
            activity = {n: now - timedelta(minutes=61 if n < due else 10) for n in numbers}
            session.execute(insert(Checkout), [
                {"store_id": store_id, "platform_id": f"cart-{n}",
                 "customer_id": ids[f"bench:{n}"], "first_name": "Ana",
                 "phone_e164": f"+35191{n:07d}", "locale": "en",
                 "items": [{"variant_id": "11", "product_id": "10", "title": "Linen shirt",
                            "variant_title": "Blue / M", "quantity": 2, "price": "45.00",
                            "image_url": "https://cdn.bench.example/shirt.jpg"}],
                 "item_count": 2, "total": "90.00", "currency": "EUR",
                 "recovery_url": f"https://bench.example/?storechat_restore={n}",
                 "activity_at": activity[n], "created_at": activity[n],
                 "updated_at": activity[n]} for n in numbers])
            checkout_ids = dict(session.execute(select(Checkout.platform_id, Checkout.id).where(
                Checkout.store_id == store_id,
                Checkout.platform_id.in_([f"cart-{n}" for n in numbers]))).all())
            delays = {1: timedelta(minutes=60), 2: timedelta(days=1), 3: timedelta(days=3)}
            session.execute(insert(RecoveryStep), [
                {"checkout_id": checkout_ids[f"cart-{n}"], "step": step, "cycle": 1,
                 "due_at": activity[n] + delay, "state": "scheduled", "cart_hash": "",
                 "created_at": now, "updated_at": now}
                for n in numbers for step, delay in delays.items()])
    return store_id


def explain(app: Any) -> Report:
    """The claim's query plan on this database, and whether it reads the index by range."""
    from plugin.infra import db
    from plugin.pipeline.recovery import timers as recovery_timers

    with app.app_context(), db.transaction() as session:
        query = recovery_timers.due_query(db.utcnow(), recovery_timers_batch())
        return plans.explain(session, query, table="checkout_recoveries", index=INDEX,
                             analyze=("checkout_recoveries", "checkouts"))


def recovery_timers_batch() -> int:
    """The batch a worker's sweeper claims."""
    from plugin.pipeline.recovery import send as recovery_send

    return recovery_send.DUE_BATCH


def time_claims(app: Any) -> Report:
    """A worker's claim of one batch, timed CLAIM_REPEATS times, each rolled back."""
    from plugin.infra import db
    from plugin.pipeline.recovery import timers as recovery_timers

    walls, cpus, claimed = [], [], 0
    with app.app_context():
        for _ in range(CLAIM_REPEATS):
            session = db.session()
            wall, used = time.perf_counter(), time.process_time()
            claimed = len(recovery_timers.claim_due(session, db.utcnow(),
                                                    recovery_timers_batch()))
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - used)
            session.rollback()
    return {"batch": recovery_timers_batch(), "claimed": claimed,
            "median_ms": round(statistics.median(walls) * 1000, 2),
            "median_cpu_ms": round(statistics.median(cpus) * 1000, 2)}


def find_and_send(app: Any, due: int, threads: int, graph_pid: int) -> Report:
    """Claim every due step and send it through the real jobs to the fake Graph."""
    from sqlalchemy import func, select

    from plugin.infra import db, queue
    from plugin.models import Message, RecoveryStep
    from plugin.pipeline import send
    from plugin.pipeline.recovery import send as recovery_send

    scheduler = Scheduler([], None)
    handlers = {queue.Job.RECOVERY_STEP: recovery_send.send_step,
                queue.Job.SEND_MESSAGE: send.send_message}
    queue.enqueue = lambda job, row_id, delay=0: scheduler.put((job, row_id), delay) or True  # type: ignore[assignment,arg-type]
    failures: list[str] = []
    claiming = threading.Event()

    def work() -> None:
        while True:
            item = scheduler.take()
            if item is None:
                if claiming.is_set():
                    time.sleep(0.01)  # the claimer may still add work
                    continue
                return
            job, row_id = item  # type: ignore[misc]
            try:
                with app.app_context():
                    handlers[job](row_id)
            except Exception as error:  # noqa: BLE001 - counted and reported, never hidden
                failures.append(f"{job} {row_id}: {error.__class__.__name__}: {error}")

    graph_before = cpu.sample(graph_pid)
    wall, used = time.perf_counter(), time.process_time()
    claiming.set()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    claims = 0
    with app.app_context():
        while (found := recovery_send.enqueue_due()) > 0:
            claims += found
    claiming.clear()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - wall
    used = time.process_time() - used
    graph_cpu = cpu.split(graph_before, cpu.sample(graph_pid))["gunicorn_s"]
    with app.app_context():
        session = db.session()
        states = dict(session.execute(select(Message.state, func.count()).group_by(
            Message.state)).all())
        per_cart = session.execute(select(func.count(Message.id)).group_by(
            Message.cause).having(func.count(Message.id) > 1)).all()
        sent_steps = session.scalar(select(func.count()).select_from(RecoveryStep).where(
            RecoveryStep.state == "sent"))
    sent = int(states.get("sent", 0))
    errors = [f"{len(failures)} jobs raised; first: {failures[0]}"] if failures else []
    if sent != due or sent_steps != due:
        errors.append(f"{due} carts were due: {sent} messages sent, {sent_steps} steps sent")
    if per_cart:
        errors.append(f"{len(per_cart)} carts got more than one message")
    return {"threads": threads, "claimed": claims, "message_states": states,
            "seconds": round(seconds, 2), "sends_per_s": round(sent / seconds, 1),
            "cpu_ms_per_cart": round(used * 1000 / max(sent, 1), 3),
            "fake_graph_cpu_ms_per_message": round(graph_cpu * 1000 / max(sent, 1), 3),
            "errors": errors}


def child(environ: dict[str, str], carts: int, due: int, send_threads: int, graph_pid: int,
          out: Any) -> None:
    """One StoreChat process: arrange, explain, time the claim, then (if asked) send."""
    os.environ.update(environ)
    from plugin import create_app

    app = create_app()
    started = time.monotonic()
    arrange(app, carts, due)
    report: Report = {"carts": carts, "due": due, "timer_rows": 3 * carts,
                      "arrange_s": round(time.monotonic() - started, 1)}
    report["plan"] = explain(app)
    report["claim"] = time_claims(app)
    if send_threads:
        report["find_and_send"] = find_and_send(app, due, send_threads, graph_pid)
    app.extensions["storechat.engine"].dispose()
    out.put(report)


def run_on(database_url: str, instance: Path, graph_url: str, graph_pid: int, carts: int,
           due: int, send_threads: int) -> Report:
    """Migrate a fresh instance on `database_url` and run the child against it."""
    instance.mkdir(parents=True, exist_ok=True)
    environ = environ_for(instance, database_url)
    environ.update(WHATSAPP_GRAPH_URL=graph_url, WHATSAPP_API_VERSION=API_VERSION,
                   STORECHAT_PUBLIC_URL=PUBLIC_URL)
    run_python(["-m", "plugin.cli", "db", "upgrade"], environ)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(target=child, args=(environ, carts, due, send_threads,
                                                  graph_pid, out))
    process.start()
    report: Report = out.get()  # before join: a full queue would block the child's exit
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the StoreChat process exited {process.exitcode}")
    return report


def compare(loaded: Report, control: Report) -> Report:
    """How much more a claim costs with the carts that are not due than without them."""
    ratio = loaded["claim"]["median_ms"] / max(control["claim"]["median_ms"], 0.001)
    return {"loaded_carts": loaded["carts"], "control_carts": control["carts"],
            "claim_ms_loaded": loaded["claim"]["median_ms"],
            "claim_ms_control": control["claim"]["median_ms"], "ratio": round(ratio, 2)}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its JSON, write bench/results/carts.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.carts",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--carts", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=4,
                        help="job threads for the send (0: measure finding only)")
    parser.add_argument("--graph-workers", type=int, default=1)
    args = parser.parse_args(argv)
    report: Report = {"benchmark": "carts", "cores": os.cpu_count(), "errors": []}
    settings = Gunicorn(workers=args.graph_workers, worker_class="gthread", threads=8)
    report["fake_graph"] = f"gunicorn {settings.describe()}"
    with tempfile.TemporaryDirectory(prefix="storechat-bench-carts-") as folder:
        work = Path(folder)
        try:
            with serving(GRAPH_APP, settings, dict(os.environ), work / "graph.log") as graph:
                report["baseline_fake_graph"] = graph_baseline(
                    graph.url, work, Load(connections=16, duration_s=5, warmup_s=1))
                before = cpu.machine_busy_seconds()
                loaded = run_on(sqlite_url(work / "loaded"), work / "loaded", graph.url,
                                graph.pid, args.carts, args.due, args.threads)
                report["other_processes_cpu_s"] = round(
                    cpu.machine_busy_seconds() - before, 1)
                control = run_on(sqlite_url(work / "control"), work / "control", graph.url,
                                 graph.pid, args.due, args.due, 0)
                report["sqlite"] = {"loaded": loaded, "control": control,
                                    "finding_cost": compare(loaded, control)}
                report["errors"] += [f"sqlite: {e}" for e in loaded["plan"]["errors"]
                                     + loaded.get("find_and_send", {}).get("errors", [])]
                url, why = postgres_url()
                if url is None:
                    report["postgresql"] = why
                else:
                    report["postgresql"] = postgres(url, work, graph.url, graph.pid, args)
                    report["errors"] += [
                        f"postgresql: {e}"
                        for e in report["postgresql"]["loaded"]["plan"]["errors"]]
        except (ServerError, LoadError, RuntimeError) as error:
            report["errors"].append(str(error))
            return publish("carts", report, RESULTS, f"carts: failed: {error}")
    sent = report["sqlite"]["loaded"].get("find_and_send")
    cost = report["sqlite"]["finding_cost"]
    summary = (f"carts: a claim costs {cost['claim_ms_loaded']} ms among {args.carts:,} carts vs "
               f"{cost['claim_ms_control']} ms among {args.due:,}")
    if sent:
        summary += (f"; {args.due:,} due found and sent in {sent['seconds']} s "
                    f"({sent['sends_per_s']}/s, {sent['cpu_ms_per_cart']} CPU-ms per cart)")
    return publish("carts", report, RESULTS, summary)


def postgres(url: str, work: Path, graph_url: str, graph_pid: int,
             args: argparse.Namespace) -> Report:
    """The loaded and control databases on PostgreSQL: plans and claim times (no send)."""
    runs: Report = {}
    for name, carts in (("loaded", args.carts), ("control", args.due)):
        reset_postgres(url)
        try:
            runs[name] = run_on(url, work / f"pg-{name}", graph_url, graph_pid, carts, args.due,
                                0)
        finally:
            reset_postgres(url)
    runs["finding_cost"] = compare(runs["loaded"], runs["control"])
    return runs


if __name__ == "__main__":
    sys.exit(main())
