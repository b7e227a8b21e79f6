"""`python -m bench.cross_sell`: cross-sell's counting and selection on a store with a long
order history.

Everything runs on 127.0.0.1 in a temporary folder that is deleted afterwards.

1. **A fresh StoreChat process** (a spawned child) on a migrated SQLite instance (and on
   PostgreSQL when STORECHAT_BENCH_DATABASE_URL or STORECHAT_TEST_DATABASE_URL names a
   loopback server): one store with `--products` products (one variant each, in stock but
   every tenth sold out, in 50 categories).
2. **Counting**: `--orders` orders of 2 to 4 products (popular products more often, as in a
   real shop) are counted into the pairs with the real code
   (plugin.pipeline.alerts.cross_sell.count_pairs), a transaction per order as the order
   webhooks do it. Wall time, CPU and the pair rows written.
3. **Selection**: for `--selections` shoppers, each with a 2-product order and a past order,
   the real selection (cross_sell_send.suggestions: bought together, then the category,
   in stock, never bought) is timed; per selection in ms (median and 95th percentile).
4. **Query plan** of the bought-together lookup (cross_sell_send.together_query): it must
   read the pairs' unique index (uq_cross_sell_pairs_store_id_product_id_other_id; on
   SQLite the automatic index SQLite makes for that constraint).

Prints JSON and writes bench/results/cross_sell.json. The machine's other processes share
the cores; `other_processes_cpu_s` says how much they used meanwhile.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import cpu, plans
from bench.report import publish
from bench.server import ROOT
from bench.storechat import environ_for, postgres_url, reset_postgres, run_python, sqlite_url

RESULTS = ROOT / "bench" / "results" / "cross_sell.json"
# The pairs' unique constraint is the index: PostgreSQL keeps its name, SQLite names the
# index it makes for it sqlite_autoindex_<table>_<n>.
INDEX = {"postgresql": "uq_cross_sell_pairs_store_id_product_id_other_id",
         "sqlite": "sqlite_autoindex_cross_sell_pairs_"}
CHUNK = 2_000
Report = dict[str, Any]


def arrange(app: Any, products: int) -> int:
    """The store and its catalog: one in-stock variant per product (every tenth sold out)."""
    from sqlalchemy import insert

    from plugin.infra import db
    from plugin.models import CatalogItem, Store

    with app.app_context(), db.transaction() as session:
        store = Store(platform="shopify", domain="bench-cross.myshopify.com", name="Bench",
                      country="PT", currency="EUR")
        session.add(store)
        session.flush()
        store_id = store.id
    for first in range(0, products, CHUNK):
        with app.app_context(), db.transaction() as session:
            session.execute(insert(CatalogItem), [{
                "store_id": store_id, "variant_id": f"v{n}", "product_id": f"p{n}",
                "retailer_id": f"{store_id}-v{n}", "title": f"Product {n}",
                "category": f"c{n % 50}", "content_hash": "x", "state": "synced",
                "warnings": [], "stock_levels": {"1": 0 if n % 10 == 0 else 5},
                "data": {"availability": "in stock", "link": f"https://b.example/p{n}"}}
                for n in range(first, min(first + CHUNK, products))])
    return store_id


def _basket(rng: random.Random, products: int, size: int) -> list[str]:
    # Popular products come up more often (a long tail, as in real shops).
    return [f"p{int(products * rng.random() ** 2)}" for _ in range(size)]


def count(app: Any, store_id: int, products: int, orders: int) -> Report:
    """Count `orders` orders into the pairs, one transaction each."""
    from sqlalchemy import func, select

    from plugin.infra import db
    from plugin.models import CrossSellPair
    from plugin.pipeline.alerts import cross_sell

    rng = random.Random(16)
    baskets = [_basket(rng, products, rng.randint(2, 4)) for _ in range(orders)]
    machine0, cpu0, t0 = cpu.machine_busy_seconds(), time.process_time(), time.monotonic()
    with app.app_context():
        for basket in baskets:
            with db.transaction() as session:
                cross_sell.count_pairs(session, store_id, basket)
        wall = time.monotonic() - t0
        own = time.process_time() - cpu0
        with db.transaction() as session:
            rows = session.scalar(select(func.count(CrossSellPair.id)))
    return {"orders": orders, "pair_rows": rows, "wall_s": round(wall, 3),
            "cpu_s": round(own, 3), "per_order_ms": round(1000 * wall / orders, 3),
            "other_processes_cpu_s": round(
                max(cpu.machine_busy_seconds() - machine0 - own, 0.0), 3)}


def select_for(app: Any, store_id: int, products: int, selections: int) -> Report:
    """Time the selection for `selections` shoppers; check what it chose."""
    from plugin.infra import db
    from plugin.pipeline.alerts import cross_sell_send

    rng = random.Random(5)
    times, empty, errors = [], 0, []
    with app.app_context():
        for _ in range(selections):
            ordered = _basket(rng, products, 2)
            bought = set(ordered) | set(_basket(rng, products, 2))
            with db.transaction() as session:
                t0 = time.perf_counter()
                rows = cross_sell_send.suggestions(session, store_id, ordered, bought=bought)
                times.append(time.perf_counter() - t0)
            empty += not rows
            for row in rows:
                if row.product_id in bought or int(row.product_id[1:]) % 10 == 0:
                    errors.append(f"{row.product_id} was bought or is sold out")
    times.sort()
    return {"selections": selections, "with_nothing_to_suggest": empty,
            "median_ms": round(1000 * statistics.median(times), 3),
            "p95_ms": round(1000 * times[int(len(times) * 0.95) - 1], 3), "errors": errors}


def explain(app: Any, store_id: int) -> Report:
    """The bought-together lookup's plan, and whether it uses the pairs' index."""
    from plugin.infra import db
    from plugin.pipeline.alerts import cross_sell_send

    with app.app_context(), db.transaction() as session:
        index = INDEX[session.get_bind().dialect.name]
        return plans.explain(session, cross_sell_send.together_query(store_id, ["p1", "p2"]),
                             table="cross_sell_pairs", index=index,
                             analyze=("cross_sell_pairs",))


def child(environ: dict[str, str], args: dict[str, int], out: Any) -> None:
    """The StoreChat process: arrange, count, select, explain."""
    os.environ.update(environ)
    from plugin import create_app

    app = create_app()
    store_id = arrange(app, args["products"])
    report: Report = {"products": args["products"]}
    report["counting"] = count(app, store_id, args["products"], args["orders"])
    report["selection"] = select_for(app, store_id, args["products"], args["selections"])
    report["plan"] = explain(app, store_id)
    app.extensions["storechat.engine"].dispose()
    out.put(report)


def run_on(database_url: str, instance: Path, args: dict[str, int]) -> Report:
    """Migrate a fresh instance on `database_url` and run the child against it."""
    instance.mkdir(parents=True, exist_ok=True)
    environ = environ_for(instance, database_url)
    run_python(["-m", "plugin.cli", "db", "upgrade"], environ)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(target=child, args=(environ, args, out))
    process.start()
    report: Report = out.get()  # before join: a full queue would block the child's exit
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the StoreChat process exited {process.exitcode}")
    return report


def errors_of(report: Report) -> list[str]:
    """What went wrong in one database's run."""
    return list(report["plan"]["errors"]) + list(report["selection"]["errors"])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its JSON, write bench/results/cross_sell.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.cross_sell",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=5_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--selections", type=int, default=500)
    parsed = parser.parse_args(argv)
    args = {"products": parsed.products, "orders": parsed.orders,
            "selections": parsed.selections}
    report: Report = {"benchmark": "cross_sell", "cores": os.cpu_count(), "errors": []}
    with tempfile.TemporaryDirectory(prefix="storechat-bench-cross-sell-") as folder:
        work = Path(folder)
        report["sqlite"] = run_on(sqlite_url(work / "sqlite"), work / "sqlite", args)
        report["errors"] += [f"sqlite: {e}" for e in errors_of(report["sqlite"])]
        url, why = postgres_url()
        if url is None:
            report["postgresql"] = why
        else:
            reset_postgres(url)
            try:
                report["postgresql"] = run_on(url, work / "pg", args)
                report["errors"] += [f"postgresql: {e}"
                                     for e in errors_of(report["postgresql"])]
            finally:
                reset_postgres(url)
    lite = report["sqlite"]
    summary = (f"cross_sell: {lite['counting']['per_order_ms']} ms per order counted, "
               f"selection median {lite['selection']['median_ms']} ms on SQLite; index "
               f"used: {lite['plan']['uses_index']}")
    return publish("cross_sell", report, RESULTS, summary)


if __name__ == "__main__":
    sys.exit(main())
