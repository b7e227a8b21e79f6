"""`python -m bench.analytics`: the Analytics page over 1,000,000 messages, 200,000 orders
and 50,000 conversations.

Everything runs on 127.0.0.1 in a temporary folder that is deleted afterwards.

1. **A migrated instance** on SQLite (the default), or on PostgreSQL with `--postgres`: a
   database of its own (`--pg-database`, default storechat_analytics_bench) created on the
   loopback server of STORECHAT_ANALYTICS_BENCH_DATABASE_URL, STORECHAT_BENCH_DATABASE_URL or
   STORECHAT_TEST_DATABASE_URL and dropped at the end (never the database that URL names).
2. **The rows** (bench/analytics_seed.py): one store and its owner, 50,000 customers each with
   a conversation, 200,000 orders and 1,000,000 messages over the last 120 days, over every
   kind of flow, in every state; COPY on PostgreSQL, executemany on SQLite; timed per table.
   Then `--conversations` conversations over 90 days (and as many in the 90 before) as their
   rollups hold them: daily reply figures and the words shoppers wrote.
3. **The backfill** (`storechat analytics-backfill`) computes the rollups from them, timed.
4. **The page and its baseline, interleaved** (one page load, then one baseline, `--loads`
   times): GET /stores/<id>/analytics?days=90 through Flask's test client, signed in as the
   owner (rollups read, template rendered), and the **baseline**: the same figures (per flow
   and state; per day in the store's timezone) by GROUP BY over the raw message table on
   the same engine. p50/p99 of each, their ratio, and a check that the baseline's per-day
   figures equal the page's (a mismatch is an error).

**Cores.** This process (driver and app: it is the page's whole Python side) is pinned to
core 0 (`--no-pin` leaves it to the kernel); PostgreSQL is the machine's shared service and
is not ours to pin, so it runs on either core. The report splits the CPU seconds of the
timed loop: this process, every `postgres` process (other users of the server included),
and the rest of the machine, with the load averages before and after: the machine is shared
and the numbers say what this run saw. Prints JSON and writes bench/results/analytics.json.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from sqlalchemy import TextClause, create_engine, insert, make_url, text

from bench import cpu
from bench.analytics_seed import Sizes, seed
from bench.inbox import _percentiles, _signed_in
from bench.report import publish
from bench.server import ROOT
from bench.storechat import LOOPBACK_HOSTS, environ_for, run_python, sqlite_url

RESULTS = ROOT / "bench" / "results" / "analytics.json"
PG_VARS = ("STORECHAT_ANALYTICS_BENCH_DATABASE_URL", "STORECHAT_BENCH_DATABASE_URL",
           "STORECHAT_TEST_DATABASE_URL")
DAYS = 90
# The core this process keeps to when pinned; PostgreSQL may use any.
BENCH_CORE = 0


def _flow_case() -> str:
    """SQL for a message's flow, the same rule as plugin.domain.message_flows.flow_of."""
    from plugin.domain.message_flows import _PREFIXES, MAX_FLOW  # the rule's own table

    def starts(prefix: str) -> str:
        return f"substr(cause, 1, {len(prefix)}) = '{prefix}'"

    whens = [f"WHEN {starts('order:')} THEN substr('journey:' || step, 1, {MAX_FLOW})",
             f"WHEN {starts('campaign:')} THEN substr(cause, 1, {MAX_FLOW})"]
    whens += [f"WHEN {starts(prefix)} THEN '{flow}'" for prefix, flow in _PREFIXES]
    return f"CASE {' '.join(whens)} ELSE 'other' END"


# The figures the page shows, from the raw table: per flow and state (with the codes and
# reasons failures and skips are shown under)...
def _flows_sql() -> TextClause:
    return text(
        f"SELECT {_flow_case()} AS flow, state, error_code, reason, wamid IS NOT NULL, "
        "count(*) FROM messages WHERE store_id = :store AND created_at >= :since "
        "GROUP BY 1, 2, 3, 4, 5")


# ...and per day of the store's calendar (PostgreSQL converts to the store's timezone).
DAYS_PG_SQL = text(
    "SELECT (created_at AT TIME ZONE 'UTC' AT TIME ZONE :zone)::date AS day, "
    "count(*) FILTER (WHERE wamid IS NOT NULL OR state IN ('sent', 'delivered', 'read')), "
    "count(*) FILTER (WHERE state IN ('delivered', 'read')), "
    "count(*) FILTER (WHERE state = 'read'), count(*) FILTER (WHERE state = 'failed') "
    "FROM messages WHERE store_id = :store AND created_at >= :since GROUP BY 1")
# SQLite has no timezones: it cuts UTC days (the same work; figures not compared there).
DAYS_SQLITE_SQL = text(
    "SELECT date(created_at) AS day, "
    "sum(wamid IS NOT NULL OR state IN ('sent', 'delivered', 'read')), "
    "sum(state IN ('delivered', 'read')), sum(state = 'read'), sum(state = 'failed') "
    "FROM messages WHERE store_id = :store AND created_at >= :since GROUP BY 1")
Report = dict[str, Any]


def _since(app: Any, store_id: int) -> tuple[datetime, str, list[Any], dict[str, list[int]]]:
    """The period's first moment as naive UTC, the store's zone, and the page's own figures:
    per day, and per flow (sent, delivered, read, failed, skipped)."""
    from plugin.infra import db
    from plugin.models import Store
    from plugin.pipeline import message_days, message_figures, rollups

    with app.app_context():
        store = db.session().get(Store, store_id)
        span = message_figures.period(store, DAYS)
        zone = rollups.zone_named(store.timezone)
        first = datetime.combine(span.first, clock(), tzinfo=zone).astimezone(UTC)
        days = message_days.per_day(db.session(), store_id, span)
        _span, lines = message_figures.figures(db.session(), store, DAYS)
        flows = {f.flow: [f.sent, f.delivered, f.read, f.failed, f.skipped] for f in lines}
        return first.replace(tzinfo=None), str(zone), days, flows


def _raw_flows(rows: list[Any]) -> dict[str, list[int]]:
    """The baseline's groups added up per flow as the page counts them."""
    flows: dict[str, list[int]] = {}
    for flow, state, _code, _reason, has_wamid, n in rows:
        line = flows.setdefault(flow, [0, 0, 0, 0, 0])
        sent = has_wamid or state in ("sent", "delivered", "read")
        for i, reached in enumerate((sent, state in ("delivered", "read"), state == "read",
                                     state == "failed", state == "skipped")):
            line[i] += n if reached else 0
    return flows


# Rows per insert of the conversations' rollups.
CHUNK = 5_000
# Shoppers' text messages per conversation, and terms (words and phrases) per message.
MESSAGES_PER_CONVERSATION = 2
TERMS_PER_MESSAGE = 5
# The words shoppers use, per language: a Zipf-like draw over this many.
VOCABULARY = 4_000
KEYWORD_LANGUAGES = (("en", 0.5), ("es", 0.2), ("pt_BR", 0.15), ("hi", 0.05), ("id", 0.05),
                     ("ar", 0.05))


def seed_conversations(app: Any, store_id: int, conversations: int) -> int:
    """`conversations` over 90 days (and as many in the 90 before, for the keyword trends)
    as the rollups keep them: daily conversation figures and daily term counts; how many
    keyword rows."""
    from plugin.infra import db
    from plugin.models import ConversationRollup, KeywordRollup

    rng = random.Random(20)
    today = db.utcnow().date()
    per_day = max(1, conversations // 90)
    weights = [1 / (rank + 1) for rank in range(VOCABULARY)]
    keyword_rows = 0
    with app.app_context(), db.transaction() as session:
        for offset in range(180):
            day = today - timedelta(days=offset)
            figures = [("started", "", per_day), ("inbound", "", per_day * 2),
                       ("resolved", "", per_day), ("replies", "automatic", per_day),
                       ("replies", "team", per_day), ("first_reply", "any", per_day),
                       ("first_reply_s", "any", per_day * 200), ("reply", "any", per_day),
                       ("reply_s", "any", per_day * 900), ("first_reply", "team", per_day),
                       ("first_reply_s", "team", per_day * 1500), ("reply", "team", per_day),
                       ("reply_s", "team", per_day * 2400), ("csat", "9", per_day // 10)]
            session.execute(insert(ConversationRollup), [
                {"store_id": store_id, "day": day, "figure": f, "detail": d, "n": n}
                for f, d, n in figures])
            rows = []
            for language, share in KEYWORD_LANGUAGES:
                draws = int(per_day * MESSAGES_PER_CONVERSATION * TERMS_PER_MESSAGE * share)
                counts: dict[int, int] = {}
                for rank in rng.choices(range(VOCABULARY), weights=weights, k=draws):
                    counts[rank] = counts.get(rank, 0) + 1
                rows += [{"store_id": store_id, "day": day, "language": language,
                          "term": f"term{rank}", "n": n} for rank, n in counts.items()]
            for start in range(0, len(rows), CHUNK):
                session.execute(insert(KeywordRollup), rows[start:start + CHUNK])
            keyword_rows += len(rows)
    return keyword_rows


def measure(app: Any, store_id: int, loads: int) -> Report:
    """The backfill, then page and baseline timings, interleaved, with the CPU split."""
    from plugin.infra import db
    from plugin.pipeline import rollups

    started = time.perf_counter()
    with app.app_context(), db.transaction() as session:
        rows = rollups.backfill(session, store_id)
    report: Report = {"backfill_seconds": round(time.perf_counter() - started, 1),
                      "rollup_rows": rows}
    client = _signed_in(app)
    engine = app.extensions["storechat.engine"]
    postgres = engine.dialect.name == "postgresql"
    url = f"/stores/{store_id}/analytics?days={DAYS}"
    since, zone, page_days, page_flows = _since(app, store_id)
    flows_sql = _flows_sql()
    found: dict[str, Any] = {}

    def page() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    def baseline() -> None:
        with engine.connect() as connection:
            found["flows"] = connection.execute(
                flows_sql, {"store": store_id, "since": since}).all()
            found["days"] = connection.execute(
                DAYS_PG_SQL if postgres else DAYS_SQLITE_SQL,
                {"store": store_id, "since": since, "zone": zone}).all()

    page()  # warm both: imports, template compilation, the first connection
    baseline()
    load_before = os.getloadavg()
    before, own_before = cpu.sample(-1), resource.getrusage(resource.RUSAGE_SELF)
    page_times, base_times = [], []
    for _ in range(loads):
        for call, times in ((page, page_times), (baseline, base_times)):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    after, own_after = cpu.sample(-1), resource.getrusage(resource.RUSAGE_SELF)
    split = cpu.split(before, after)
    own = (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime)
    report["cpu_seconds_timed_loop"] = {
        "wall_s": split["wall_s"], "capacity_s": split["capacity_s"],
        "bench_process_s": round(own, 2), "postgres_s": split["postgres_s"],
        "other_processes_s": round(max(0.0, split["other_processes_s"] - own), 2)}
    report["load_average_before_after"] = [list(load_before), list(os.getloadavg())]
    report[f"page_{DAYS}_days"] = _percentiles(page_times)
    report[f"baseline_group_by_{DAYS}_days"] = _percentiles(base_times)
    base = report[f"baseline_group_by_{DAYS}_days"]["p50_ms"] or 0.001
    report["page_to_baseline_p50"] = round(report[f"page_{DAYS}_days"]["p50_ms"] / base, 3)
    report["page_p99_under_300_ms"] = report[f"page_{DAYS}_days"]["p99_ms"] < 300
    report["messages_in_period"] = sum(n for *_, n in found["flows"])
    report["baseline_groups_returned"] = len(found["flows"])
    report["baseline_equals_page_per_flow"] = _raw_flows(found["flows"]) == page_flows
    if postgres:  # the same figures, or the comparison means nothing
        raw = {day.isoformat(): [int(v) for v in values] for day, *values in found["days"]}
        ours = {d.day: d.row[1] for d in page_days}
        report["baseline_equals_page_per_day"] = raw == {k: v for k, v in ours.items()
                                                         if any(v) or k in raw}
    return report


def _pg_database(name: str) -> str:
    """Create database `name` on the loopback server of the first PG_VARS set; its URL."""
    server = next((os.environ[v] for v in PG_VARS if os.environ.get(v)), "")
    if not server:
        raise SystemExit(f"--postgres needs one of {', '.join(PG_VARS)}")
    parsed = make_url(server)
    if parsed.host not in LOOPBACK_HOSTS:
        raise SystemExit("the PostgreSQL server must be on loopback (the run drops a database)")
    if name in (parsed.database, "postgres", "template0", "template1") or not name.isidentifier():
        raise SystemExit(f"refusing database name {name!r}: give the bench one of its own")
    _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def _admin(url: str, *statements: str) -> None:
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    """Run the benchmark; 0 when it finished without errors."""
    parser = argparse.ArgumentParser(prog="python -m bench.analytics")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--loads", type=int, default=100)
    parser.add_argument("--postgres", action="store_true",
                        help="run on PostgreSQL, in a database created and dropped here")
    parser.add_argument("--pg-database", default="storechat_analytics_bench")
    parser.add_argument("--no-pin", dest="pin", action="store_false")
    args = parser.parse_args(argv)
    sizes = Sizes(messages=args.messages, orders=args.orders, conversations=args.conversations)
    pinned = args.pin and (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity")
    if pinned:
        os.sched_setaffinity(0, {BENCH_CORE})
    report: Report = {
        "benchmark": "analytics", "messages": sizes.messages, "orders": sizes.orders,
        "conversations": sizes.conversations, "loads": args.loads, "days": DAYS, "errors": [],
        "cores": (f"this process (driver + app) pinned to core {BENCH_CORE}; PostgreSQL "
                  "(the shared server) unpinned" if pinned else "not pinned"),
        "note": "in-process (Flask test client, no HTTP server); page and baseline "
                "interleaved; the machine is shared, so other processes' load is in these "
                "numbers (see cpu_seconds_timed_loop and load_average_before_after)"}
    with tempfile.TemporaryDirectory(prefix="storechat-analytics-bench-") as temp:
        folder = Path(temp)
        url = _pg_database(args.pg_database) if args.postgres else sqlite_url(
            folder / "instance")
        report["database"] = "postgresql" if args.postgres else "sqlite"
        environ = environ_for(folder / "instance", url)
        (folder / "instance").mkdir(parents=True, exist_ok=True)
        app = None
        try:
            run_python(["-m", "plugin.cli", "db", "upgrade"], environ)
            from plugin import create_app
            from plugin.config import load_settings

            app = create_app(load_settings(environ, queue_immediate=True))
            started = time.perf_counter()
            store_id, per_table = seed(app, sizes)
            # The conversations' rollups (reply figures, keyword counts), then statistics
            # again: the planner must know the keyword rows it is timed on.
            report["keyword_rows"] = seed_conversations(app, store_id, args.conversations)
            if args.postgres:
                with app.extensions["storechat.engine"].connect() as connection:
                    connection.execute(text("ANALYZE"))
                    connection.commit()
            report["seed_seconds"] = round(time.perf_counter() - started, 1)
            report["seed_seconds_per_table"] = per_table
            report.update(measure(app, store_id, args.loads))
            for which in ("day", "flow"):
                if report.get(f"baseline_equals_page_per_{which}") is False:
                    report["errors"].append(f"the page's figures per {which} differ from "
                                            "GROUP BY's over the raw table")
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            report["errors"].append(f"{error.__class__.__name__}: {error}")
        finally:
            if app is not None:
                app.extensions["storechat.engine"].dispose()
            if args.postgres:
                _admin(url, f'DROP DATABASE IF EXISTS "{args.pg_database}" WITH (FORCE)')
    page, base = report.get(f"page_{DAYS}_days", {}), report.get(
        f"baseline_group_by_{DAYS}_days", {})
    summary = (f"page ({DAYS} days, {report['database']}) p50 {page.get('p50_ms')} ms, p99 "
               f"{page.get('p99_ms')} ms; GROUP BY baseline p50 {base.get('p50_ms')} ms, "
               f"p99 {base.get('p99_ms')} ms")
    return publish("analytics", report, RESULTS, summary)


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
