"""The StoreChat side of the catalog benchmark: one process that installs a Shopify store
against the fake Shopify, connects its number's catalog on the fake Graph, and runs full
syncs through the real engine, measuring each (bench/catalog.py starts it, fresh per size,
so its peak RSS belongs to that run alone).

The queue is an in-process scheduler (Jobs) calling the jobs bound in plugin.pipeline.jobs
(plugin.pipeline.catalog.runner) one at a time, on one thread: one worker's numbers.
"""
from __future__ import annotations

import heapq
import itertools
import os
import resource
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import jwt
from flask import Flask

from bench import cpu
from bench.catalog_fakes import API_KEY, API_SECRET

Report = dict[str, Any]
# How often the bench asks the fake Shopify whether its export has finished.
EXPORT_POLL_SECONDS = 0.05


class Jobs:
    """The queue, in process: jobs run in due order, each delay honoured by sleeping, except
    the status check's, which runs at once (the fake finishes batches on the first poll, so
    waiting FIRST_CHECK_SECONDS would only add idle time)."""

    def __init__(self, handlers: dict[Any, Callable[[int], Any]], check_job: Any) -> None:
        self._handlers = handlers
        self._check_job = check_job
        self._due: list[tuple[float, int, Any, int]] = []
        self._order = itertools.count()
        self.ignored: Counter[str] = Counter()  # jobs outside the catalog sync (install's)
        self.runs: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.idle_s = 0.0

    def put(self, job: Any, row_id: int, delay: float = 0) -> bool:
        """queue.enqueue's stand-in."""
        if job not in self._handlers:
            self.ignored[str(job)] += 1
            return True
        if job == self._check_job:
            delay = 0
        heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), job, row_id))
        return True

    def run(self, app: Flask) -> None:
        """Run jobs until none is left (sleeping until a delayed one is due)."""
        while self._due:
            due, _, job, row_id = heapq.heappop(self._due)
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
                self.idle_s += wait
            started = time.monotonic()
            with app.app_context():
                self._handlers[job](row_id)
            self.runs[str(job)] += 1
            self.seconds[str(job)] += time.monotonic() - started

    def snapshot(self) -> tuple[Counter[str], dict[str, float], float]:
        """Copies of the counters, to take differences per sync."""
        return Counter(self.runs), dict(self.seconds), self.idle_s


def id_token(shop: str) -> str:
    """An App Home ID token for `shop`, as App Bridge sends it (signed with the app secret)."""
    now = int(time.time())
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": API_KEY,
              "sub": "42", "exp": now + 60, "nbf": now - 5, "iat": now - 5,
              "jti": str(uuid.uuid4()), "sid": "bench"}
    return jwt.encode(claims, API_SECRET, algorithm="HS256")


def install(app: Flask, setup: dict[str, Any]) -> int:
    """Install the shop through App Home (token exchange with the fake Shopify), then give
    it a number whose catalog is the fake Graph's; the store's id."""
    from sqlalchemy import select

    from plugin.infra import db
    from plugin.models import Store, WhatsAppAccount

    shop = setup["shop"]
    response = app.test_client().get(f"/shopify/app?shop={shop}&id_token={id_token(shop)}")
    if response.status_code != 200:
        raise RuntimeError(f"install of {shop} answered {response.status_code}")
    with app.app_context(), db.transaction() as session:
        store = session.scalars(select(Store).where(Store.domain == shop)).one()
        session.add(WhatsAppAccount(
            store_id=store.id, phone_number_id=setup["phone_number_id"],
            waba_id=setup["waba_id"], access_token=setup["token"],
            catalog_id=setup["catalog_id"], catalog_name=f"{shop} catalog",
            catalog_connected_at=db.utcnow()))
        return store.id


def counts(control: str) -> dict[str, Any]:
    """The fakes' request counters."""
    return dict(httpx.get(f"{control}/counts").json())


def full_sync(app: Flask, store_id: int, jobs: Jobs, control: str, fakes_pid: int) -> Report:
    """One full sync, requested as the owner would, to its end: every batch checked."""
    from plugin.infra import db
    from plugin.models import CatalogSync, Store
    from plugin.pipeline.catalog import full_sync as engine
    from plugin.pipeline.catalog.requests import request_sync
    from plugin.platforms.shopify.catalog_export import export_state

    runs0, seconds0, idle0 = jobs.snapshot()
    calls0 = counts(control)
    fake0 = _fake_cpu(fakes_pid)
    machine0 = cpu.machine_busy_seconds()
    cpu0 = time.process_time()
    t0 = time.monotonic()
    with app.app_context(), db.transaction() as session:
        sync_id = request_sync(session, _get(session, Store, store_id)).id
    jobs.run(app)  # the sync job starts Shopify's bulk export and waits for it
    with app.app_context():
        export_id = _get(db.session(), CatalogSync, sync_id).export_id
        if export_id is None:
            raise RuntimeError("the sync did not start an export")
        # No webhook reaches this process: poll as a worker would, then do what the
        # bulk_operations/finish applier does (full_sync.export_finished).
        while not export_state(db.session(), _get(db.session(), Store, store_id),
                               export_id).finished:
            time.sleep(EXPORT_POLL_SECONDS)
        with db.transaction() as session:
            engine.export_finished(session, _get(session, Store, store_id), export_id)
    t_exported = time.monotonic()
    cpu_exported = time.process_time()
    jobs.run(app)  # read the file, send every batch, check every batch
    t_end = time.monotonic()
    cpu_end = time.process_time()
    fake_end = _fake_cpu(fakes_pid)
    machine_end = cpu.machine_busy_seconds()
    calls1 = counts(control)
    runs1, seconds1, idle1 = jobs.snapshot()
    rows = _rows(app, store_id, sync_id)
    variants = rows["sync"]["variants"] or 1
    sync_s = t_end - t_exported
    cpu_s = cpu_end - cpu_exported
    fake_s = fake_end - fake0
    return {
        "sync": rows["sync"], "rows_by_state": rows["states"], "batches": rows["batches"],
        "fake_catalog_items": httpx.get(f"{control}/catalog",
                                        params={"id": rows["catalog_id"]}).json()["items"],
        "export_s": round(t_exported - t0, 2),
        "sync_s": round(sync_s, 2),
        "total_s": round(t_end - t0, 2),
        "variants_per_s": round(variants / sync_s, 1) if sync_s else None,
        "storechat_cpu_s": round(cpu_s, 2),
        "storechat_cpu_ms_per_variant": round(cpu_s * 1000 / variants, 3),
        "storechat_cpu_s_during_export": round(cpu_exported - cpu0, 2),
        "fakes_cpu_s": round(fake_s, 2),
        "other_processes_cpu_s": round(max(0.0, machine_end - machine0
                                           - (cpu_end - cpu0) - fake_s), 2),
        "jobs": {job: {"runs": runs1[job] - runs0[job],
                       "seconds": round(seconds1[job] - seconds0.get(job, 0.0), 2)}
                 for job in runs1},
        "scheduler_idle_s": round(idle1 - idle0, 2),
        "graph_calls": _difference(calls1["graph"], calls0["graph"]),
        "shopify_graphql_calls": calls1["shopify_graphql"] - calls0["shopify_graphql"],
        "shopify_file_downloads": calls1["shopify_downloads"] - calls0["shopify_downloads"],
    }


def _get(session: Any, model: type[Any], row_id: int) -> Any:
    """A row that must exist (the bench made it)."""
    row = session.get(model, row_id)
    if row is None:
        raise RuntimeError(f"no {model.__name__} {row_id}")
    return row


def _fake_cpu(pid: int) -> float:
    process = cpu.read_process(pid)
    return process.seconds if process is not None else 0.0


def _difference(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in sorted(after.items()) if v - before.get(k, 0)}


def _rows(app: Flask, store_id: int, sync_id: int) -> dict[str, Any]:
    """The sync's counts, the store's rows by state and its batches by state."""
    from sqlalchemy import func, select

    from plugin.infra import db
    from plugin.models import CatalogBatch, CatalogItem, CatalogSync, WhatsAppAccount

    with app.app_context():
        session = db.session()
        sync = _get(session, CatalogSync, sync_id)
        states = dict(session.execute(select(CatalogItem.state, func.count()).where(
            CatalogItem.store_id == store_id).group_by(CatalogItem.state)).all())
        batches = dict(session.execute(select(CatalogBatch.state, func.count()).where(
            CatalogBatch.store_id == store_id).group_by(CatalogBatch.state)).all())
        catalog_id = session.scalars(select(WhatsAppAccount.catalog_id).where(
            WhatsAppAccount.store_id == store_id)).one()
        return {"sync": {"state": sync.state, "error": sync.error, "products": sync.products,
                         "variants": sync.variants, "changed": sync.changed,
                         "kept_out": sync.kept_out, "deleted": sync.deleted},
                "states": {str(k): int(v) for k, v in states.items()},
                "batches": {str(k): int(v) for k, v in batches.items()},
                "catalog_id": catalog_id}


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run(environ: dict[str, str], setup: dict[str, Any], control: str, fakes_pid: int,
        second: bool, core: int | None, out: Any) -> None:
    """The StoreChat process: install, full sync (and a second one when `second`); puts
    its report on `out`."""
    if core is not None:
        os.sched_setaffinity(0, {core})
    os.environ.update(environ)
    from plugin import create_app
    from plugin.infra import queue
    from plugin.infra.queue import Job
    from plugin.pipeline.catalog import runner

    app = create_app()
    jobs = Jobs({Job.CATALOG_SYNC: runner.run_sync, Job.CATALOG_SEND: runner.send_due,
                 Job.CATALOG_CHECK: runner.check_batch}, Job.CATALOG_CHECK)
    queue.enqueue = jobs.put
    store_id = install(app, setup)
    report: Report = {"peak_rss_mb_before_sync": peak_rss_mb()}
    report["first"] = full_sync(app, store_id, jobs, control, fakes_pid)
    report["peak_rss_mb_first"] = peak_rss_mb()
    if second:
        report["second"] = full_sync(app, store_id, jobs, control, fakes_pid)
        report["peak_rss_mb_second"] = peak_rss_mb()
    report["ignored_jobs"] = dict(jobs.ignored)
    app.extensions["storechat.engine"].dispose()
    out.put(report)
