"""`python -m bench.alerts`: a restock of one variant with 50,000 waiting subscribers.

Everything runs on 127.0.0.1 in a temporary folder that is deleted afterwards.

1. **A fresh StoreChat process** per database (a spawned child, so nothing is warm from the
   set-up): a migrated instance; one Shopify store with the approved back_in_stock template
   and the variant's catalog row, sold out; `--subscribers` customers, each with a confirmed
   (waiting) subscription to that variant, made one second apart (first come, first
   served), plus as many subscriptions to other variants, so the selection has rows to skip.
2. **The quota run**: the variant comes back with 3 units; the real release
   (plugin.pipeline.alerts.release.release_variant) selects the first 6 and writes their
   alerts to the outbox, then the transaction commits and their send jobs are enqueued in
   the embedded Huey queue (no consumer: sending is bench.send's business).
3. **The full run**: the variant comes back with enough units to release everyone
   (`--subscribers` / 2 units, so 2 × units = all), the same code path: every alert written
   and queued. Time (wall) and CPU (this process) cover select → outbox rows → commit →
   enqueue; rows written are counted afterwards.
4. **Query plans**: the selection statement the release runs (release.waiting_query) is
   explained on the loaded database: SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN
   (after ANALYZE). It must name ix_alert_subscriptions_selection; a plan that scans
   alert_subscriptions is an error.
5. **PostgreSQL** when STORECHAT_BENCH_DATABASE_URL (or STORECHAT_TEST_DATABASE_URL) names
   a loopback server: its schema `public` is dropped and recreated before and after.

The machine's other processes share the cores; `other_processes_cpu_s` says how much they
used meanwhile. Prints JSON and writes bench/results/alerts.json.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import cpu, plans
from bench.report import publish
from bench.server import ROOT
from bench.storechat import environ_for, postgres_url, reset_postgres, run_python, sqlite_url

RESULTS = ROOT / "bench" / "results" / "alerts.json"
VARIANT = "40000001"
INDEX = "ix_alert_subscriptions_selection"
# Rows inserted per statement while setting up (keeps SQLite's variable limit far away).
CHUNK = 2_000
Report = dict[str, Any]


def arrange(app: Any, subscribers: int) -> int:
    """The store, its template, the sold-out variant and its waiting subscribers; store id."""
    from sqlalchemy import insert

    from plugin.infra import db
    from plugin.models import (
        AlertSubscription,
        CatalogItem,
        Customer,
        Store,
        Template,
    )

    now = db.utcnow()
    start = now - timedelta(seconds=subscribers + 10)
    with app.app_context(), db.transaction() as session:
        store = Store(platform="shopify", domain="bench-alerts.myshopify.com", name="Bench",
                      country="PT", currency="EUR")
        session.add(store)
        session.flush()
        session.add(Template(store_id=store.id, name="back_in_stock", language="en",
                             category="MARKETING", status="APPROVED",
                             parameter_format="POSITIONAL",
                             components=[{"type": "HEADER", "format": "IMAGE"},
                                         {"type": "BODY", "text": "{{1}} {{2}} {{3}}"}]))
        session.add(CatalogItem(
            store_id=store.id, variant_id=VARIANT, product_id="4000", inventory_item_id="9",
            retailer_id=f"{store.id}-{VARIANT}", title="Linen shirt – L",
            data={"availability": "out of stock", "image_link": "https://cdn.example/l.jpg",
                  "link": "https://bench-alerts.myshopify.com/products/linen-shirt"},
            content_hash="x", state="synced", warnings=[], stock_levels={"1": 0}))
        store_id = store.id
    for first in range(0, subscribers, CHUNK):
        numbers = range(first, min(first + CHUNK, subscribers))
        with app.app_context(), db.transaction() as session:
            new = insert(Customer).returning(Customer.id, sort_by_parameter_order=True)
            ids = session.execute(new, [
                {"store_id": store_id, "platform_id": f"widget:+3519{n:08d}",
                 "phone_e164": f"+3519{n:08d}", "first_name": "", "last_name": "",
                 "tags": [], "created_at": now} for n in numbers]).scalars().all()
            rows = []
            for n, customer_id in zip(numbers, ids, strict=True):
                made = start + timedelta(seconds=n)
                for variant, state in ((VARIANT, "waiting"), (f"other-{n % 50}", "waiting")):
                    rows.append({"store_id": store_id, "customer_id": customer_id,
                                 "variant_id": variant, "product_id": "4000",
                                 "kind": "back_in_stock", "state": state,
                                 "link_token": f"{variant[:6]}{n:010d}x",
                                 "created_at": made, "confirmed_at": made,
                                 "expires_at": now + timedelta(days=90)})
            session.execute(insert(AlertSubscription), rows)
    return store_id


def restock(app: Any, store_id: int, units: int) -> Report:
    """The variant comes back with `units`: time and CPU of one release, commit included."""
    from sqlalchemy import func, select

    from plugin.infra import db
    from plugin.models import AlertSubscription, CatalogItem, Message, Store
    from plugin.pipeline.alerts import release

    with app.app_context(), db.transaction() as session:
        row = session.scalars(select(CatalogItem).where(
            CatalogItem.store_id == store_id, CatalogItem.variant_id == VARIANT)).one()
        row.stock_levels = {"1": units}
        row.data = dict(row.data or {}, availability="in stock")
    machine0, cpu0, t0 = cpu.machine_busy_seconds(), time.process_time(), time.monotonic()
    with app.app_context():
        with db.transaction() as session:
            store = session.get(Store, store_id)
            row = session.scalars(select(CatalogItem).where(
                CatalogItem.store_id == store_id, CatalogItem.variant_id == VARIANT)).one()
            released = release.release_variant(session, store, row, db.utcnow())
        wall = time.monotonic() - t0
    own = time.process_time() - cpu0
    other = max(cpu.machine_busy_seconds() - machine0 - own, 0.0)
    with app.app_context(), db.transaction() as session:
        messages = session.scalar(select(func.count(Message.id)).where(
            Message.cause.startswith("stock_alert:")))
        waiting = session.scalar(select(func.count(AlertSubscription.id)).where(
            AlertSubscription.variant_id == VARIANT, AlertSubscription.state == "waiting"))
    return {"units": units, "released": released, "outbox_rows_total": messages,
            "still_waiting": waiting, "wall_s": round(wall, 3), "cpu_s": round(own, 3),
            "per_subscriber_ms": round(1000 * wall / released, 3) if released else None,
            "other_processes_cpu_s": round(other, 3)}


def explain(app: Any, store_id: int) -> Report:
    """The selection's query plan on this database, and whether it uses the index."""
    from plugin.infra import db
    from plugin.pipeline.alerts import release

    with app.app_context(), db.transaction() as session:
        query = release.waiting_query(store_id, VARIANT, db.utcnow(), 100)
        return plans.explain(session, query, table="alert_subscriptions", index=INDEX,
                             analyze=("alert_subscriptions", "customers"))


def child(environ: dict[str, str], subscribers: int, out: Any) -> None:
    """The StoreChat process: arrange, the quota run, the full run, the plan."""
    os.environ.update(environ)
    from plugin import create_app

    app = create_app()
    t0 = time.monotonic()
    store_id = arrange(app, subscribers)
    report: Report = {"subscribers": subscribers, "arrange_s": round(time.monotonic() - t0, 1)}
    report["plan"] = explain(app, store_id)
    report["quota_run"] = restock(app, store_id, 3)
    report["full_run"] = restock(app, store_id, subscribers // 2 + 1)
    app.extensions["storechat.engine"].dispose()
    out.put(report)


def run_on(database_url: str, instance: Path, subscribers: int) -> Report:
    """Migrate a fresh instance on `database_url` and run the child against it."""
    instance.mkdir(parents=True, exist_ok=True)
    environ = environ_for(instance, database_url)
    run_python(["-m", "plugin.cli", "db", "upgrade"], environ)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(target=child, args=(environ, subscribers, out))
    process.start()
    report: Report = out.get()  # before join: a full queue would block the child's exit
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the StoreChat process exited {process.exitcode}")
    return report


def errors_of(report: Report) -> list[str]:
    """What went wrong in one database's run."""
    found = list(report["plan"]["errors"])
    if report["quota_run"]["released"] != 6:
        found.append(f"3 units released {report['quota_run']['released']}, not 6")
    if report["full_run"]["still_waiting"] != 0:
        found.append(f"{report['full_run']['still_waiting']} subscribers were not released")
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its JSON, write bench/results/alerts.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.alerts",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=50_000)
    args = parser.parse_args(argv)
    report: Report = {"benchmark": "alerts", "cores": os.cpu_count(), "errors": []}
    with tempfile.TemporaryDirectory(prefix="storechat-bench-alerts-") as folder:
        work = Path(folder)
        report["sqlite"] = run_on(sqlite_url(work / "sqlite"), work / "sqlite", args.subscribers)
        report["errors"] += [f"sqlite: {e}" for e in errors_of(report["sqlite"])]
        url, why = postgres_url()
        if url is None:
            report["postgresql"] = why
        else:
            reset_postgres(url)
            try:
                report["postgresql"] = run_on(url, work / "pg", args.subscribers)
                report["errors"] += [f"postgresql: {e}" for e in errors_of(report["postgresql"])]
            finally:
                reset_postgres(url)
    full = report["sqlite"]["full_run"]
    summary = (f"alerts: {full['released']} released and queued in {full['wall_s']} s "
               f"({full['cpu_s']} s CPU) on SQLite; index used: "
               f"{report['sqlite']['plan']['uses_index']}")
    return publish("alerts", report, RESULTS, summary)


if __name__ == "__main__":
    sys.exit(main())
