"""`python -m bench.catalog`: a Shopify store's full catalog sync to WhatsApp (the fake Meta
catalog), 100,000 variants by default.

Everything runs on 127.0.0.1 in a temporary folder that is deleted afterwards.

1. **The fakes** (bench/catalog_fakes.py) run in one threaded process: the fake Graph
   (tests/fakes/graph.py with its catalog side, which keeps catalogs in memory, so not several
   workers) and the fake Shopify whose bulk operation writes a generated catalog
   (`FakeBulk.generated`: `--products` products of `--variants-each` variants) to a file it
   then serves. The fake Graph finishes every batch on its first status poll (`batch_polls`
   0).
2. **Baselines, same run**: the fake Graph's own capacity (a plain httpx loop POSTing
   items_batch calls of 5,000 items, bodies encoded beforehand: items accepted per second
   and the fake's CPU per item), and after the syncs the fake Shopify's serving of the
   largest run's bulk file (MB/s and JSONL lines/s, downloaded by plain httpx).
3. **StoreChat** runs in a fresh process per run (so its peak RSS is that run's): a migrated
   SQLite instance; the shop installed through App Home (token exchange with the fake); its
   number connected to a catalog on the fake Graph (the real CloudCatalog gateway over
   HTTP). A full sync is requested as the owner does (`request_sync`) and runs through the
   real jobs (plugin.pipeline.catalog.runner: run_sync → full_sync.run, send_due,
   check_batch) on one thread. The queue is an in-process scheduler that honours every
   delay the jobs ask for, except the status check's: FIRST_CHECK_SECONDS (and its backoff)
   is not slept, the check runs at once, since the fake has the verdict on the first poll.
   No webhook reaches the StoreChat process, so after the sync starts the bulk export the
   bench polls the export's state (the engine's own export_state) and then does what the
   `bulk_operations/finish` applier does (full_sync.export_finished).
4. **Runs**: `--growth` sizes (25,000 and 50,000 variants) one sync each, then the full
   size, whose second full sync (nothing changed) is measured too. Peak RSS per run shows
   whether memory stays flat as the catalog grows.

Timing: `export_s` is the fake Shopify writing its file (Shopify's own time, not ours);
`sync_s` runs from the export's end to the last batch checked (read the file into rows,
every batch sent and checked); `total_s` is both. CPU: the StoreChat process's own CPU
seconds over `sync_s`, per variant; the fakes' process CPU over the same run (from /proc);
`other_processes_cpu_s` is what the rest of the machine used meanwhile. With `--pin` (the
default on 2+ cores) the fakes run on core 1 and StoreChat (and this driver) on core 0.
Prints JSON and writes bench/results/catalog.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import catalog_sync, cpu
from bench.catalog_fakes import API_KEY, API_SECRET
from bench.server import ROOT
from bench.storechat import environ_for, run_python, sqlite_url

RESULTS = Path(__file__).with_name("results") / "catalog.json"
API_VERSION = "v23.0"
# Meta's limit per items_batch call, which the baseline sends.
BASELINE_BATCH = 5000
# The second full sync with nothing changed should take less than this.
AIM_SECOND_SYNC_S = 60
# Cores when pinned: StoreChat and this driver on one, the fakes on the other.
STORECHAT_CORE, FAKES_CORE = 0, 1
# Above this share of the machine's CPU used by other processes, the run is called noisy.
NOISY_SHARE = 0.1

Report = dict[str, Any]


@dataclass(frozen=True)
class Fakes:
    """The running fakes process: its URLs and process id."""

    graph: str
    shopify: str
    control: str
    pid: int


@contextmanager
def fakes_process(pin: bool) -> Iterator[Fakes]:
    """Start bench.catalog_fakes; stop it (close its stdin) when the block ends."""
    process = subprocess.Popen([sys.executable, "-m", "bench.catalog_fakes"], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        if pin:
            os.sched_setaffinity(process.pid, {FAKES_CORE})
        assert process.stdout is not None
        urls = json.loads(process.stdout.readline())
        yield Fakes(urls["graph"], urls["shopify"], urls["control"], process.pid)
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def setup(fakes: Fakes, shop: str, products: int, variants_each: int) -> dict[str, Any]:
    """A generated shop and its connected catalog on the fakes."""
    response = httpx.post(f"{fakes.control}/setup", json={
        "shop": shop, "products": products, "variants_each": variants_each})
    response.raise_for_status()
    return dict(response.json())


def instance(work: Path, name: str, fakes: Fakes) -> dict[str, str]:
    """A migrated SQLite instance whose Graph API and Shopify are the fakes."""
    folder = work / name
    folder.mkdir()
    environ = environ_for(folder, sqlite_url(folder))
    environ.update(WHATSAPP_GRAPH_URL=fakes.graph, WHATSAPP_API_VERSION=API_VERSION,
                   SHOPIFY_API_KEY=API_KEY, SHOPIFY_API_SECRET=API_SECRET,
                   STORECHAT_SHOPIFY_ADMIN_URL=f"{fakes.shopify}/{{shop}}")
    run_python(["-m", "plugin.cli", "db", "upgrade"], environ)
    return environ


def storechat_run(work: Path, fakes: Fakes, variants: int, variants_each: int, second: bool,
                  pin: bool) -> Report:
    """One fresh StoreChat process syncing a new shop of `variants` variants."""
    products = max(1, variants // variants_each)
    shop = f"bench-{products * variants_each}.myshopify.com"
    environ = instance(work, f"storechat-{products * variants_each}", fakes)
    arranged = setup(fakes, shop, products, variants_each)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(target=catalog_sync.run, args=(
        environ, arranged, fakes.control, fakes.pid, second,
        STORECHAT_CORE if pin else None, out))
    process.start()
    report: Report = out.get()  # before join: a full queue would block the child's exit
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the StoreChat process exited {process.exitcode}")
    return {"shop": shop, "products": products, "variants_each": variants_each, **report}


def graph_baseline(fakes: Fakes, calls: int) -> Report:
    """Items per second the fake Graph takes on its own: `calls` items_batch calls of
    BASELINE_BATCH new items each, from a plain httpx loop with bodies encoded beforehand."""
    from adapters.whatsapp.catalog import item_data
    from plugin.domain.catalog_items import CatalogItem

    arranged = setup(fakes, "baseline.myshopify.com", 0, 1)
    bodies = []
    for call in range(calls):
        requests = [{"method": "UPDATE", "data": item_data(CatalogItem(
            retailer_id=f"base-{call}-{n}", item_group_id=f"g{call}-{n // 10}",
            title=f"Product {n} - Size {n % 10}", description="Soft linen.",
            price="12.50 EUR", sale_price="", availability="in stock", condition="new",
            brand="Acme", link=f"https://acme.example/products/p{n}",
            image_link=f"https://cdn.shopify.com/s/files/p{n}.jpg",
            additional_image_links=(), currency="EUR"))} for n in range(BASELINE_BATCH)]
        bodies.append(json.dumps({"item_type": "PRODUCT_ITEM", "allow_upsert": True,
                                  "requests": requests}).encode())
    url = f"{fakes.graph}/{API_VERSION}/{arranged['catalog_id']}/items_batch"
    headers = {"Authorization": f"Bearer {arranged['token']}",
               "Content-Type": "application/json"}
    fake0 = cpu.read_process(fakes.pid)
    with httpx.Client(timeout=120) as client:
        started = time.monotonic()
        for body in bodies:
            response = client.post(url, content=body, headers=headers)
            response.raise_for_status()
            if not response.json().get("handles"):
                raise RuntimeError(f"the fake took no items: {response.text[:300]}")
        seconds = time.monotonic() - started
    fake1 = cpu.read_process(fakes.pid)
    items = calls * BASELINE_BATCH
    fake_s = (fake1.seconds - fake0.seconds) if fake0 and fake1 else 0.0
    held = httpx.get(f"{fakes.control}/catalog", params={"id": arranged["catalog_id"]}).json()
    return {"calls": calls, "items_per_call": BASELINE_BATCH, "items": items,
            "items_held_after": held["items"], "seconds": round(seconds, 2),
            "items_per_s": round(items / seconds, 1),
            "fake_cpu_ms_per_item": round(fake_s * 1000 / items, 4),
            "body_bytes_per_call": len(bodies[0])}


def shopify_baseline(fakes: Fakes, shop: str) -> Report:
    """How fast the fake Shopify serves `shop`'s latest bulk file to a plain httpx reader."""
    export = httpx.get(f"{fakes.control}/export", params={"shop": shop}).json()
    if not export["url"]:
        return {"skipped": f"{shop} has no bulk file"}
    size = lines = 0
    started = time.monotonic()
    with httpx.Client(timeout=120) as client, client.stream("GET", export["url"]) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.monotonic() - started
    return {"shop": shop, "bytes": size, "lines": lines, "seconds": round(seconds, 3),
            "mb_per_s": round(size / seconds / 1e6, 1),
            "lines_per_s": round(lines / seconds, 1)}


def run(args: argparse.Namespace, work: Path) -> Report:
    """Baseline, growth runs, the full run with its second sync, then the file baseline."""
    pin = args.pin and (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity")
    if pin:
        os.sched_setaffinity(0, {STORECHAT_CORE})
    full = args.products * args.variants_each
    report: Report = {
        "benchmark": "catalog",
        "what": "full catalog sync of a Shopify store (fake bulk export) to a Meta catalog "
                "(fake Graph) through plugin.pipeline.catalog's jobs, on 127.0.0.1 (SQLite, "
                "one worker thread, in-process scheduler instead of Huey)",
        "cpus": os.cpu_count(),
        "cores": ({"storechat_and_driver": STORECHAT_CORE, "fakes": FAKES_CORE} if pin
                  else "not pinned"),
        "fakes": "one threaded process (werkzeug): fake Graph + fake Shopify",
    }
    with fakes_process(pin) as fakes:
        report["baseline_fake_graph"] = graph_baseline(fakes, args.baseline_calls)
        growth: list[Report] = []
        for size in sorted(s for s in args.growth if s < full):
            run_report = storechat_run(work, fakes, size, args.variants_each, False, pin)
            growth.append(_growth_line(run_report))
        main = storechat_run(work, fakes, full, args.variants_each, True, pin)
        growth.append(_growth_line(main))
        report["baseline_fake_shopify_file"] = shopify_baseline(fakes, main["shop"])
    report["full_sync"] = main
    report["memory_by_size"] = growth
    report["summary"] = _summary(main, report)
    return report


def _growth_line(run_report: Report) -> Report:
    first = run_report["first"]
    return {"variants": first["sync"]["variants"],
            "peak_rss_mb": run_report["peak_rss_mb_first"],
            "peak_rss_mb_before_sync": run_report["peak_rss_mb_before_sync"],
            "sync_s": first["sync_s"], "variants_per_s": first["variants_per_s"],
            "storechat_cpu_ms_per_variant": first["storechat_cpu_ms_per_variant"]}


def _summary(main: Report, report: Report) -> Report:
    first, second = main["first"], main["second"]
    sizes = report["memory_by_size"]
    rss = [line["peak_rss_mb"] for line in sizes]
    problems = []
    if first["sync"]["state"] != "done" or second["sync"]["state"] != "done":
        problems.append(f"sync states {first['sync']['state']}, {second['sync']['state']}")
    synced = first["rows_by_state"].get("synced", 0)
    if synced != first["sync"]["variants"] or first["fake_catalog_items"] != synced:
        problems.append(f"{synced} rows synced, {first['fake_catalog_items']} items at the "
                        f"fake, of {first['sync']['variants']} variants")
    sent_again = sum(v for k, v in second["graph_calls"].items() if "items_batch" in k)
    return {
        "variants": first["sync"]["variants"],
        "export_s": first["export_s"], "sync_s": first["sync_s"],
        "total_s": first["total_s"], "variants_per_s": first["variants_per_s"],
        "storechat_cpu_ms_per_variant": first["storechat_cpu_ms_per_variant"],
        "cpu_s": {"storechat": first["storechat_cpu_s"], "fakes": first["fakes_cpu_s"],
                  "other_processes": first["other_processes_cpu_s"]},
        "peak_rss_mb": main["peak_rss_mb_first"],
        "peak_rss_mb_by_size": {str(line["variants"]): line["peak_rss_mb"] for line in sizes},
        "rss_growth_mb_smallest_to_largest": round(rss[-1] - rss[0], 1) if rss else None,
        "graph_calls": first["graph_calls"],
        "fake_graph_items_per_s": report["baseline_fake_graph"]["items_per_s"],
        "second_sync_s": second["total_s"], "second_sync_changed": second["sync"]["changed"],
        "second_sync_graph_calls": second["graph_calls"],
        "aim_second_sync": {"no_items_sent": sent_again == 0 and second["sync"]["changed"] == 0,
                            "under_s": AIM_SECOND_SYNC_S,
                            "met": sent_again == 0 and second["total_s"] < AIM_SECOND_SYNC_S},
        "errors": problems,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.catalog",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=10_000, help="products, full run")
    parser.add_argument("--variants-each", type=int, default=10, help="variants per product")
    parser.add_argument("--growth", type=lambda s: [int(v) for v in s.split(",") if v],
                        default=[25_000, 50_000],
                        help="smaller runs' variant counts, comma-separated ('' for none)")
    parser.add_argument("--baseline-calls", type=int, default=10,
                        help="items_batch calls of 5,000 items in the fake Graph baseline")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="do not pin StoreChat and the fakes to one core each")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its JSON, write bench/results/catalog.json."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="storechat-bench-catalog-") as folder:
        try:
            report = run(args, Path(folder))
        except (RuntimeError, httpx.HTTPError, OSError, ValueError) as error:
            print(json.dumps({"benchmark": "catalog", "failed": str(error)}))
            return 1
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    summary = report["summary"]
    print(f"catalog: {summary['variants']} variants in {summary['sync_s']} s "
          f"({summary['variants_per_s']}/s), second sync {summary['second_sync_s']} s",
          file=sys.stderr)
    capacity = summary["total_s"] * (os.cpu_count() or 1)
    if summary["cpu_s"]["other_processes"] > NOISY_SHARE * capacity:
        print(f"WARNING other processes used {summary['cpu_s']['other_processes']} of "
              f"{capacity:.0f} CPU seconds: the numbers are noisy", file=sys.stderr)
    for problem in summary["errors"]:
        print(f"ERROR {problem}", file=sys.stderr)
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
