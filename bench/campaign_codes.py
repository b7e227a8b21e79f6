"""`python -m bench.campaign_codes`: a campaign's unique WooCommerce codes, batched against
one per call, in the same run.

Everything runs on 127.0.0.1 in a temporary folder that is deleted afterwards.

1. **The fake WooCommerce site** (tests/fakes/woocommerce.py, REST v3 with OAuth 1.0a over
   plain http, as StoreChat's test mode calls it) in a process of its own, pinned to the
   last core; StoreChat in this process, pinned to the first (when there are two). The
   fake counts its requests and the seconds its handlers were busy, so the report shows
   how much of each run's time was the far side's.
2. **A migrated SQLite instance** with a WooCommerce store connected to the fake, `--codes`
   customers and two campaigns in unique-code mode, each with one code row per customer,
   none made yet (what materialisation leaves for the code maker).
3. **Batched**: `plugin.pipeline.campaigns.codes.make_missing` tick after tick until no
   code is missing: `POST coupons/batch`, 100 coupons a request, each batch recorded.
4. **Baseline, one per call**: the path before batching, as it was: for each code the
   one-coupon call (`plugin.platforms.discounts.make_code`: `GET coupons?code=`, then
   `POST coupons`), then its row recorded.

Both runs must leave every code made at the store and recorded; otherwise the report's
`errors` says so. Prints JSON and writes bench/results/campaign_codes.json.
"""
from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench import cpu
from bench.report import publish
from bench.server import ROOT
from bench.storechat import environ_for, run_python, sqlite_url

RESULTS = ROOT / "bench" / "results" / "campaign_codes.json"
PERCENT, HOURS = 15, 24
Report = dict[str, Any]


def _pin(core: int) -> str:
    """Pin this process to `core` when the machine has more than one; where it runs."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return "unpinned (one core)"
    chosen = cores[core]
    os.sched_setaffinity(0, {chosen})
    return f"core {chosen}"


def fake_site(conn: Connection) -> None:
    """The fake site's process: serve on loopback, answer the control pipe until closed."""
    from tests.fakes.server import LoopbackServer
    from tests.fakes.woocommerce import FakeWooCommerce

    where = _pin(-1)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    site = FakeWooCommerce()
    busy = [0.0]
    lock = threading.Lock()

    def timed(environ: dict[str, Any], start_response: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return list(site(environ, start_response))
        finally:
            with lock:
                busy[0] += time.perf_counter() - t0

    with LoopbackServer(timed) as server:
        site.url = server.url
        key = site.add_key()
        conn.send({"url": server.url, "key": key["consumer_key"],
                   "secret": key["consumer_secret"], "pinned": where})
        while True:
            try:
                command = conn.recv()
            except EOFError:
                return
            with site._lock, lock:
                counts = {"requests": len(site.requests), "batches": list(site.coupon_batches),
                          "coupons": len(site.coupons),
                          "attempts_over_1": sum(n > 1 for n in site.coupon_attempts.values()),
                          "busy_s": round(busy[0], 3)}
                if command == "reset":
                    site.requests.clear()
                    site.coupon_batches.clear()
                    site.coupons.clear()
                    site.coupon_attempts.clear()
                    busy[0] = 0.0
            conn.send(counts)


def arrange(app: Any, fake: dict[str, str], codes_each: int) -> tuple[Any, list[int]]:
    """The store connected to the fake, its customers, and two unique-code campaigns with
    their code rows: (the store, detached; the campaigns' ids)."""
    from sqlalchemy import insert

    from plugin.infra import db
    from plugin.models import Campaign, CampaignCode, Customer, Store
    from plugin.pipeline.campaigns import codes
    from plugin.platforms.stores import set_credentials

    now = db.utcnow()
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain=fake["url"], name="Bench Woo",
                      currency="EUR")
        set_credentials(store, {"consumer_key": fake["key"],
                                "consumer_secret": fake["secret"]})
        session.add(store)
        session.flush()
        customers = session.execute(
            insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
            [{"store_id": store.id, "platform_id": f"c{n}", "phone_e164": f"+3519{n:08d}",
              "first_name": "Ana", "last_name": "", "tags": [], "created_at": now}
             for n in range(codes_each)]).scalars().all()
        campaign_ids = []
        for name in ("batched", "one per call"):
            campaign = Campaign(store_id=store.id, name=name, template="winter_sale",
                                language="en", state="preparing",
                                discount={"mode": "unique", "percent": PERCENT,
                                          "hours": HOURS})
            session.add(campaign)
            session.flush()
            session.execute(insert(CampaignCode), [
                {"campaign_id": campaign.id, "customer_id": c,
                 "code": codes.code_for(campaign.id, c)} for c in customers])
            campaign_ids.append(campaign.id)
        session.flush()
        session.expunge(store)
    return store, campaign_ids


def batched(app: Any, campaign_id: int) -> Report:
    """The real code maker, tick after tick, until nothing is missing."""
    from plugin.pipeline.campaigns import codes

    ticks, left = 0, -1
    with app.app_context():
        while left != 0:
            left = codes.make_missing(campaign_id)
            ticks += 1
    return {"ticks": ticks}


def one_per_call(app: Any, store: Any, campaign_id: int) -> Report:
    """The path before batching: the one-coupon call per code, each row then recorded."""
    from sqlalchemy import select, update

    from plugin.infra import db
    from plugin.models import CampaignCode
    from plugin.platforms import discounts

    expires = datetime.now(UTC) + timedelta(hours=HOURS)
    with app.app_context():
        with db.transaction() as session:
            rows = list(session.execute(select(CampaignCode.id, CampaignCode.code).where(
                CampaignCode.campaign_id == campaign_id,
                CampaignCode.created_at.is_(None)).order_by(CampaignCode.id)))
        for row in rows:
            discounts.make_code(store, row.code, PERCENT, expires, single_use=True,
                                purpose="Campaign")
            with db.transaction() as session:
                session.execute(update(CampaignCode).where(CampaignCode.id == row.id)
                                .values(created_at=db.utcnow()))
    return {}


def measure(app: Any, control: Connection, campaign_id: int, work: Any) -> Report:
    """Run `work`, timed, between two reads of the fake's counts (reset before)."""
    from plugin.infra import db
    from plugin.pipeline.campaigns import codes

    control.send("reset")
    control.recv()
    machine0, cpu0, t0 = cpu.machine_busy_seconds(), time.process_time(), time.monotonic()
    report: Report = work()
    wall = time.monotonic() - t0
    own = time.process_time() - cpu0
    other = max(cpu.machine_busy_seconds() - machine0 - own, 0.0)
    control.send("counts")
    counts = control.recv()
    with app.app_context(), db.transaction() as session:
        missing = codes.missing(session, campaign_id)
    report.update(
        wall_s=round(wall, 3), storechat_cpu_s=round(own, 3),
        other_processes_cpu_s=round(other, 3), requests=counts["requests"],
        batch_sizes=counts["batches"], coupons_made=counts["coupons"],
        codes_sent_twice=counts["attempts_over_1"], fake_busy_s=counts["busy_s"],
        codes_missing_after=missing)
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its JSON, write bench/results/campaign_codes.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.campaign_codes",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--codes", type=int, default=2_000)
    args = parser.parse_args(argv)
    report: Report = {"benchmark": "campaign_codes", "codes": args.codes,
                      "cores": os.cpu_count(), "errors": []}
    context = multiprocessing.get_context("spawn")
    control, remote = context.Pipe()
    fake_process = context.Process(target=fake_site, args=(remote,), daemon=True)
    fake_process.start()
    with tempfile.TemporaryDirectory(prefix="storechat-bench-codes-") as folder:
        try:
            fake = control.recv()
            instance = Path(folder)
            environ = environ_for(instance, sqlite_url(instance))
            environ["STORECHAT_ALLOW_HTTP_STORES"] = "1"  # the fake is plain http on loopback
            run_python(["-m", "plugin.cli", "db", "upgrade"], environ)
            os.environ.update(environ)
            report["pinned"] = {"storechat": _pin(0), "fake_woocommerce": fake["pinned"]}
            from plugin import create_app

            app = create_app()
            store, (batch_id, single_id) = arrange(app, fake, args.codes)
            report["batched"] = measure(app, control, batch_id,
                                        lambda: batched(app, batch_id))
            report["baseline_one_per_call"] = measure(
                app, control, single_id, lambda: one_per_call(app, store, single_id))
            app.extensions["storechat.engine"].dispose()
        finally:
            control.close()
            fake_process.join(timeout=10)
    for name in ("batched", "baseline_one_per_call"):
        run = report[name]
        if run["coupons_made"] != args.codes or run["codes_missing_after"]:
            report["errors"].append(f"{name}: {run['coupons_made']} coupons made, "
                                    f"{run['codes_missing_after']} codes missing")
        if run["codes_sent_twice"]:
            report["errors"].append(f"{name}: {run['codes_sent_twice']} codes sent twice")
    if max(report["batched"]["batch_sizes"] or [0]) > 100:
        report["errors"].append("a batch of more than 100 coupons was sent")
    fast, slow = report["batched"], report["baseline_one_per_call"]
    report["x_fewer_requests"] = round(slow["requests"] / max(fast["requests"], 1), 1)
    report["x_faster"] = round(slow["wall_s"] / max(fast["wall_s"], 0.001), 1)
    summary = (f"campaign_codes: {args.codes} codes: batched {fast['requests']} requests in "
               f"{fast['wall_s']} s; one per call {slow['requests']} requests in "
               f"{slow['wall_s']} s ({report['x_faster']}x)")
    return publish("campaign_codes", report, RESULTS, summary)


if __name__ == "__main__":
    sys.exit(main())
