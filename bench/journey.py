"""`python -m bench.journey`: from an order webhook's arrival to WhatsApp's request, idle.

Everything runs on 127.0.0.1 in a temporary folder that is deleted afterwards. StoreChat runs
as a user runs it, `storechat serve` (gunicorn and its worker), with a WooCommerce store, a
connected number and the starter journeys. The fake Graph API (tests/fakes/graph.py) runs in
this process and notes when each message arrives. One signed `order.created` webhook at a
time (a paid card order, each to a different shopper), then a pause: an idle store, as most
are. Latency = the Graph request's arrival - the moment the webhook was posted, both on this
process's monotonic clock: verify, store, queue, process the order, plan the message, send.

Targets: the embedded default (SQLite, embedded queue: a relay hands stored events to the
worker); PostgreSQL + Redis when `STORECHAT_BENCH_DATABASE_URL` / `STORECHAT_TEST_DATABASE_URL`
and `STORECHAT_TEST_REDIS_URL` name loopback servers (`eval "$(bash .ci/services.sh)"`). The
PostgreSQL schema `public` is dropped and recreated before and after. Aim: p99 under 1 s on
the embedded default. Prints JSON and writes bench/results/journey.json.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.graph_app import PHONE_NUMBER_ID, TOKEN
from bench.server import ROOT, free_port, in_thread, wait_ready
from bench.storechat import environ_for, postgres_url, reset_postgres, run_python, sqlite_url
from tests.fakes.graph import FakeGraph

RESULTS = Path(__file__).with_name("results") / "journey.json"
WEBHOOK_ID = "7"
WEBHOOK_SECRET = "bench-woocommerce-webhook-secret"
AIM_P99_S = 1.0
WAIT_S = 10.0

Report = dict[str, Any]


class TimedGraph(FakeGraph):
    """The fake Graph API, noting the monotonic arrival time of each message by recipient."""

    def __init__(self) -> None:
        super().__init__(tokens={PHONE_NUMBER_ID: TOKEN})
        self.arrived: dict[str, float] = {}
        self.ready = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        at = time.monotonic()
        response = super().__call__(environ, start_response)
        with self.ready:
            if self.sent and self.sent[-1].payload.get("to") not in self.arrived:
                self.arrived[str(self.sent[-1].payload.get("to"))] = at
            self.ready.notify_all()
        return response

    def wait_for(self, to: str, timeout: float) -> float | None:
        """When the message to `to` arrived, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.ready:
            while to not in self.arrived:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.ready.wait(left)
            return self.arrived[to]




SEED = """
import json, sys
from plugin import create_app
from plugin.infra import db
from plugin.platforms.starters import install_starters
from plugin.models import Store, WhatsAppAccount
app = create_app()
with app.app_context(), db.transaction() as session:
    store = Store(platform="woocommerce", domain="bench.example", name="Bench", country="PT",
                  currency="EUR", locale="en")
    store.credentials = json.dumps({"webhooks": {sys.argv[1]: sys.argv[2]}})
    session.add(store)
    session.flush()
    session.add(WhatsAppAccount(store_id=store.id, phone_number_id=sys.argv[3],
                                waba_id="bench-waba", access_token=sys.argv[4]))
    install_starters(session, store)
    print(store.key)
app.extensions["storechat.engine"].dispose()
"""


def seed(environ: dict[str, str]) -> str:
    """Create the store, its number and its starter journeys; its key."""
    return run_python(["-c", SEED, WEBHOOK_ID, WEBHOOK_SECRET, PHONE_NUMBER_ID, TOKEN],
                      environ).strip().splitlines()[-1]


def order(n: int) -> tuple[bytes, str]:
    """A paid card order from WooCommerce for shopper n, and the shopper's wa_id."""
    phone = f"35191{n:07d}"
    body = {"id": 5000 + n, "number": str(5000 + n), "status": "processing", "currency": "EUR",
            "total": "54.80", "payment_method": "stripe", "payment_method_title": "Card",
            "date_created_gmt": "2026-11-21T10:00:00",
            "date_modified_gmt": f"2026-11-21T10:{n % 60:02d}:00",
            "customer_id": 100 + n,
            "billing": {"first_name": "Ana", "last_name": "Silva", "phone": f"+{phone}",
                        "email": f"ana{n}@example.com", "country": "PT"},
            "line_items": [{"name": "Linen shirt", "quantity": 1, "price": 49.9,
                            "total": "49.90"}]}
    return json.dumps(body).encode(), phone


def signature(body: bytes) -> str:
    """WooCommerce's webhook signature: base64 HMAC-SHA256 of the body with its secret."""
    digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@contextmanager
def serving(environ: dict[str, str], log: Path) -> Iterator[str]:
    """`storechat serve` on a free port, stopped with Ctrl-C (SIGINT) as a user stops it."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "plugin.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=ROOT, env=environ, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_ready(process, port, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.send_signal(2)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def measure(url: str, key: str, graph: TimedGraph, orders: int, pause: float) -> Report:
    """Post `orders` webhooks one at a time; the latency of each to its Graph request."""
    latencies, missing = [], 0
    with httpx.Client(timeout=10) as client:
        for n in range(orders):
            body, phone = order(n)
            posted = time.monotonic()
            response = client.post(f"{url}/webhooks/woocommerce/{key}", content=body, headers={
                "Content-Type": "application/json", "X-WC-Webhook-ID": WEBHOOK_ID,
                "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Resource": "order",
                "X-WC-Webhook-Signature": signature(body),
                "X-WC-Webhook-Delivery-ID": str(n)})
            response.raise_for_status()
            arrived = graph.wait_for(phone, WAIT_S)
            if arrived is None:
                missing += 1
            else:
                latencies.append(arrived - posted)
            time.sleep(pause)
    return summarize(latencies, orders, missing)


def summarize(latencies: list[float], orders: int, missing: int) -> Report:
    """p50, p90, p99 and max in milliseconds."""
    if len(latencies) < 2:
        return {"orders": orders, "missing": missing, "failed": "too few messages arrived"}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    p99 = cuts[98]
    return {"orders": orders, "arrived": len(latencies), "missing": missing,
            "p50_ms": round(cuts[49] * 1000, 1), "p90_ms": round(cuts[89] * 1000, 1),
            "p99_ms": round(p99 * 1000, 1), "max_ms": round(max(latencies) * 1000, 1),
            "aim_p99_below_ms": AIM_P99_S * 1000, "aim_met": missing == 0 and p99 < AIM_P99_S}


def target(work: Path, name: str, database_url: str, redis_url: str, args: argparse.Namespace,
           graph_url: str, graph: TimedGraph) -> Report:
    """One target: a fresh instance, seeded, served, measured."""
    folder = work / name
    folder.mkdir()
    environ = environ_for(folder, database_url)
    environ.update(WHATSAPP_GRAPH_URL=graph_url, WHATSAPP_API_VERSION="v23.0",
                   STORECHAT_REDIS_URL=redis_url, STORECHAT_PUBLIC_URL="http://127.0.0.1")
    run_python(["-m", "plugin.cli", "db", "upgrade"], environ)
    key = seed(environ)
    with serving(environ, folder / "serve.log") as url:
        time.sleep(1.0)  # the worker's first poll, as on any running install
        return measure(url, key, graph, args.orders, args.pause)


def run(args: argparse.Namespace, work: Path) -> Report:
    """Both targets against one fake Graph API."""
    graph = TimedGraph()
    report: Report = {"benchmark": "journey", "what": "order webhook posted -> Graph request "
                      "arrived, one order at a time with a pause (idle store)",
                      "orders_per_target": args.orders, "pause_s": args.pause}
    with in_thread(graph) as graph_url:
        report["embedded_sqlite"] = target(work, "sqlite", sqlite_url(work / "sqlite"), "",
                                           args, graph_url, graph)
        database, note = postgres_url()
        redis = os.environ.get("STORECHAT_TEST_REDIS_URL", "")
        if database is None or not redis:
            report["postgresql_redis"] = {"skipped": note if database is None
                                          else "no STORECHAT_TEST_REDIS_URL"}
        else:
            graph.arrived.clear()
            reset_postgres(database)
            try:
                report["postgresql_redis"] = target(work, "postgresql", database, redis, args,
                                                    graph_url, graph)
            finally:
                reset_postgres(database)
    return report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.journey",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=60, help="orders per target")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between orders")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its JSON, write bench/results/journey.json."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="storechat-bench-journey-") as folder:
        report = run(args, Path(folder))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
