"""`python -m bench.analytics`: the Analytics page over 1,000,000 messages.

Everything runs on 127.0.0.1 in a temporary folder that is deleted afterwards.

1. **A migrated instance** on SQLite (the default), or on PostgreSQL when
   STORECHAT_ANALYTICS_BENCH_DATABASE_URL names a loopback database of its own (its schema
   `public` is dropped and recreated before and after: never point it at a shared one).
2. **The rows**, bulk-inserted: one store and its owner, and `--messages` messages spread
   over the last 120 days, over every kind of flow (order journeys, cart recovery, alerts,
   campaigns, automatic answers, agents), in every state (failures with Meta's codes, skips
   with our reasons); and `--conversations` conversations over 90 days (and as many in the
   90 before) as their rollups hold them: daily figures and the words shoppers wrote.
3. **The backfill** (`storechat analytics-backfill`) computes the rollups from them, timed.
4. **The page in this process** (Flask's test client), signed in as the owner: GET
   /stores/<id>/analytics?days=90, p50 and p99 over `--loads` loads; and the **baseline**:
   the same figures by GROUP BY over the raw message table on the same engine.

The machine's other processes share the cores; the numbers say what this run saw.
Prints JSON and writes bench/results/analytics.json.
"""
from __future__ import annotations

import argparse
import os
import random
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, make_url, text

from bench.inbox import EMAIL, PASSWORD, _percentiles, _signed_in, _timed
from bench.report import publish
from bench.server import ROOT
from bench.storechat import LOOPBACK_HOSTS, environ_for, reset_postgres, run_python, sqlite_url

RESULTS = ROOT / "bench" / "results" / "analytics.json"
PG_VAR = "STORECHAT_ANALYTICS_BENCH_DATABASE_URL"
CHUNK = 5_000
# (cause prefix, step) of the flows the rows are spread over.
FLOWS = [("order:", "order_confirmation"), ("order:", "shipping_update"),
         ("order:", "delivered"), ("checkout:", "cart_recovery_1"), ("stock_alert:", "bis"),
         ("price_drop:", "price_drop"), ("cross_sell:", "cross_sell"), ("campaign:1", "c"),
         ("campaign:2", "c"), ("answer:", "a"), ("inbox:", "agent")]
# A state and its error code / reason, drawn by weight.
STATES = [("read", None, None, 50), ("delivered", None, None, 25), ("sent", None, None, 10),
          ("failed", 131049, "limited", 4), ("failed", 131026, "undeliverable", 3),
          ("skipped", None, "no consent", 5), ("skipped", None, "quiet hours", 3)]
BASELINE_SQL = text(
    "SELECT cause, step, state, error_code, reason, wamid IS NOT NULL, count(*) "
    "FROM messages WHERE store_id = :store AND created_at >= :since "
    "GROUP BY cause, step, state, error_code, reason, wamid IS NOT NULL")
Report = dict[str, Any]


def seed(app: Any, messages: int) -> int:
    """The store, its owner and the messages; the store's id."""
    from plugin.auth.passwords import hash_password
    from plugin.infra import db
    from plugin.models import Message, Owner, Store

    now = db.utcnow()
    with app.app_context(), db.transaction() as session:
        owner = Owner(email=EMAIL, password_hash=hash_password(PASSWORD))
        session.add(owner)
        session.flush()
        store = Store(platform="woocommerce", domain="analytics-bench.example", name="Bench",
                      country="PT", timezone="Europe/Lisbon", owner_id=owner.id)
        session.add(store)
        session.flush()
        store_id = store.id
    rng = random.Random(20)
    weights = [w for *_, w in STATES]
    engine = app.extensions["storechat.engine"]
    for start in range(0, messages, CHUNK):
        rows = []
        for i in range(start, min(messages, start + CHUNK)):
            prefix, step = FLOWS[i % len(FLOWS)]
            state, code, reason, _ = rng.choices(STATES, weights)[0]
            at = now - timedelta(seconds=rng.randrange(120 * 86_400))
            sent = state in ("read", "delivered", "sent") or code == 131049
            # A campaign is one cause, its messages told apart by their step.
            cause, step = ((prefix, f"{step}:{i}") if prefix.startswith("campaign:")
                           else (f"{prefix}{i}", step))
            rows.append({"store_id": store_id, "customer_id": None, "order_id": None,
                         "cause": cause, "step": step, "to": "+351900000000",
                         "template": None, "payload": {}, "fallback": None, "state": state,
                         "reason": reason, "error_code": code, "attempts": 1,
                         "wamid": f"wamid.{i}" if sent else None, "created_at": at,
                         "sent_at": at if sent else None})
        with engine.begin() as connection:
            connection.execute(insert(Message.__table__), rows)
    return store_id


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
    """The backfill, then page and baseline timings."""
    from plugin.infra import db
    from plugin.pipeline import rollups

    started = time.perf_counter()
    with app.app_context(), db.transaction() as session:
        rows = rollups.backfill(session, store_id)
    report: Report = {"backfill_seconds": round(time.perf_counter() - started, 1),
                      "rollup_rows": rows}
    client = _signed_in(app)
    engine = app.extensions["storechat.engine"]
    url = f"/stores/{store_id}/analytics?days=90"

    def page() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    def baseline() -> None:
        since = db.utcnow() - timedelta(days=90)
        with engine.connect() as connection:
            connection.execute(BASELINE_SQL, {"store": store_id, "since": since}).all()

    page()  # warm
    report["page_90_days"] = _percentiles(_timed(page, loads))
    with app.app_context():
        report["baseline_group_by_90_days"] = _percentiles(_timed(baseline, loads))
    base = report["baseline_group_by_90_days"]["p50_ms"] or 0.001
    report["page_to_baseline_p50"] = round(report["page_90_days"]["p50_ms"] / base, 3)
    return report


def _database(folder: Path) -> tuple[str, str]:
    url = os.environ.get(PG_VAR, "")
    if not url:
        return sqlite_url(folder / "instance"), "sqlite"
    if make_url(url).host not in LOOPBACK_HOSTS:
        raise SystemExit(f"{PG_VAR} must point at a loopback server (the run drops its schema)")
    reset_postgres(url)
    return url, "postgresql"


def main(argv: list[str]) -> int:
    """Run the benchmark; 0 when it finished without errors."""
    parser = argparse.ArgumentParser(prog="python -m bench.analytics")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--loads", type=int, default=100)
    parser.add_argument("--conversations", type=int, default=50_000)
    args = parser.parse_args(argv)
    report: Report = {"benchmark": "analytics", "messages": args.messages, "loads": args.loads,
                      "conversations": args.conversations,
                      "errors": [],
                      "note": "in-process (Flask test client, no HTTP server); the machine "
                              "is shared, so other processes' load is in these numbers"}
    import tempfile

    with tempfile.TemporaryDirectory(prefix="storechat-analytics-bench-") as temp:
        folder = Path(temp)
        url, kind = _database(folder)
        report["database"] = kind
        environ = environ_for(folder / "instance", url)
        (folder / "instance").mkdir(parents=True, exist_ok=True)
        run_python(["-m", "plugin.cli", "db", "upgrade"], environ)
        from plugin import create_app
        from plugin.config import load_settings

        app = create_app(load_settings(environ, queue_immediate=True))
        try:
            started = time.perf_counter()
            store_id = seed(app, args.messages)
            report["keyword_rows"] = seed_conversations(app, store_id, args.conversations)
            if kind == "postgresql":
                # As autovacuum would after such a load: without statistics the planner
                # guesses, and the run would time its guesses, not the queries.
                with app.extensions["storechat.engine"].connect() as connection:
                    connection.execute(text("ANALYZE"))
                    connection.commit()
            report["seed_seconds"] = round(time.perf_counter() - started, 1)
            report.update(measure(app, store_id, args.loads))
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            report["errors"].append(f"{error.__class__.__name__}: {error}")
        finally:
            app.extensions["storechat.engine"].dispose()
            if kind == "postgresql":
                reset_postgres(url)
    summary = (f"page (90 days) p50 {report.get('page_90_days', {}).get('p50_ms')} ms, p99 "
               f"{report.get('page_90_days', {}).get('p99_ms')} ms; GROUP BY baseline p50 "
               f"{report.get('baseline_group_by_90_days', {}).get('p50_ms')} ms")
    return publish("analytics", report, RESULTS, summary)


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
