"""`python -m bench.inbox`: the team inbox with 50,000 conversations and 1,000,000 messages.

Everything runs on 127.0.0.1 in a temporary folder that is deleted afterwards.

1. **A migrated instance** on SQLite (the default), or on PostgreSQL when
   STORECHAT_INBOX_BENCH_DATABASE_URL names a loopback database of its own (its schema
   `public` is dropped and recreated before and after: never point it at a shared one).
2. **The rows**, bulk-inserted: one store and its owner, `--conversations` customers each
   with a conversation, and `--messages` messages spread evenly over them, half received
   (received_messages) and half ours (the outbox, `messages`, as journeys write them).
3. **The app in this process** (Flask's test client: no HTTP server, so the numbers are the
   application's own work: session and tenancy checks, queries, templates), signed in as
   the owner. Timed over `--loads` loads each, p50 and p99:
   - `list`: GET /stores/<id>/inbox (the 50 most recent conversations, unread counts);
   - `conversation`: GET /stores/<id>/inbox?c=<id> for a random conversation (the list,
     the thread's newest 100 entries, the composer);
   - `poll_unchanged`: the open page's poll with its ETag (answered 304);
   - the **baseline** of each: the same rows read with plain SQL on the same engine, no
     ORM objects, no rendering.
4. **A new inbound message to an open page**: a signed WhatsApp webhook (processed inline,
   as a worker would) for an open conversation, then the page's poll until it shows the
   text; the browser polls every POLL_MS, so a person sees it up to that much later.

The machine's other processes share the cores; the numbers say what this run saw.
Prints JSON and writes bench/results/inbox.json.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, make_url, select, text

from bench.report import publish
from bench.server import ROOT
from bench.storechat import LOOPBACK_HOSTS, environ_for, reset_postgres, run_python, sqlite_url

RESULTS = ROOT / "bench" / "results" / "inbox.json"
PG_VAR = "STORECHAT_INBOX_BENCH_DATABASE_URL"
APP_SECRET = "inbox-bench-app-secret"
PHONE_NUMBER_ID = "555000111"
EMAIL = "bench-owner@example.com"
PASSWORD = "bench-password-1234"
CHUNK = 5_000
Report = dict[str, Any]


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
            "n": len(ordered)}


def _chunks(rows: list[dict[str, Any]], size: int = CHUNK) -> Any:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def seed(app: Any, conversations: int, messages: int) -> int:
    """The store, owner, customers, conversations and messages; the store's id."""
    from plugin.auth.passwords import hash_password
    from plugin.infra import db
    from plugin.models import (
        Conversation,
        Customer,
        Message,
        Owner,
        ReceivedMessage,
        Store,
        WhatsAppAccount,
    )

    now = db.utcnow()
    with app.app_context(), db.transaction() as session:
        owner = Owner(email=EMAIL, password_hash=hash_password(PASSWORD))
        session.add(owner)
        session.flush()
        store = Store(platform="woocommerce", domain="inbox-bench.example", name="Bench",
                      country="PT", owner_id=owner.id)
        session.add(store)
        session.flush()
        session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PHONE_NUMBER_ID,
                                    waba_id="WABA"))
        store_id = store.id
    engine = app.extensions["storechat.engine"]
    per = max(1, messages // conversations)
    with engine.begin() as connection:
        for batch in _chunks([{"store_id": store_id, "platform_id": f"c{i}",
                               "phone_e164": f"+3519{i:08d}", "wa_id": f"3519{i:08d}",
                               "first_name": f"Shopper{i}", "last_name": "", "tags": [],
                               "created_at": now, "order_count": 0, "spent_cents": 0,
                               "avg_order_cents": 0, "last_inbound_at": now}
                              for i in range(conversations)]):
            connection.execute(insert(Customer.__table__), batch)
        customers = [row[0] for row in connection.execute(
            select(Customer.id).where(Customer.store_id == store_id).order_by(Customer.id))]
        connection.execute(insert(Conversation.__table__), [
            {"store_id": store_id, "customer_id": c, "status": "open", "tags": [],
             "unread": i % 3, "last_message_at": now - timedelta(seconds=i),
             "last_preview": f"message {i}", "created_at": now,
             "updated_at": now - timedelta(seconds=i), "snoozed_until": None,
             "assignee_id": None} for i, c in enumerate(customers)])
        conversation_ids = dict(connection.execute(select(
            Conversation.customer_id, Conversation.id).where(
            Conversation.store_id == store_id)).all())
    for start in range(0, len(customers), 500):
        received: list[dict[str, Any]] = []
        sent: list[dict[str, Any]] = []
        for customer in customers[start:start + 500]:
            for k in range(per):
                at = now - timedelta(minutes=per - k)
                if k % 2 == 0:
                    received.append({
                        "store_id": store_id, "conversation_id": conversation_ids[customer],
                        "customer_id": customer, "wamid": f"wamid.B{customer}.{k}",
                        "kind": "text", "text": f"question {k}", "payload": "", "details": {},
                        "received_at": at, "media_id": None, "media_type": None,
                        "media_state": None, "media_mime": None, "media_size": None,
                        "media_path": None, "media_note": None, "read_at": None})
                else:
                    sent.append({
                        "store_id": store_id, "customer_id": customer, "order_id": None,
                        "cause": f"bench:{customer}", "step": f"s{k}", "to": "+351900000000",
                        "template": None, "payload": {"type": "text", "text": {
                            "body": f"answer {k}"}}, "fallback": None, "state": "delivered",
                        "reason": None, "attempts": 1, "created_at": at, "sent_at": at,
                        "delivered_at": at})
        with engine.begin() as connection:
            connection.execute(insert(ReceivedMessage.__table__), received)
            connection.execute(insert(Message.__table__), sent)
    return store_id


def _signed_in(app: Any) -> Any:
    client = app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    response = client.post("/signin", data={"email": EMAIL, "password": PASSWORD,
                                            "csrf_token": token.group(1)})
    assert response.status_code == 302, response.status_code
    return client


def _timed(call: Any, loads: int) -> list[float]:
    samples = []
    for _ in range(loads):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


LIST_SQL = text(
    "SELECT c.id, c.status, c.unread, c.last_preview, c.last_message_at, c.tags, "
    "u.first_name, u.last_name, u.phone_e164 FROM conversations c "
    "JOIN customers u ON u.id = c.customer_id WHERE c.store_id = :store "
    "ORDER BY c.last_message_at DESC, c.id DESC LIMIT 50")
THREAD_SQL = (
    text("SELECT id, kind, text, received_at FROM received_messages "
         "WHERE conversation_id = :conversation ORDER BY id DESC LIMIT 100"),
    text("SELECT id, payload, state, created_at FROM messages WHERE store_id = :store "
         "AND customer_id = :customer ORDER BY id DESC LIMIT 100"),
)


def measure(app: Any, store_id: int, loads: int) -> Report:
    """Page and baseline timings, and the inbound → open page latency."""
    from plugin.admin import inbox as inbox_admin
    from plugin.infra import db
    from plugin.models import Conversation

    client = _signed_in(app)
    engine = app.extensions["storechat.engine"]
    with app.app_context():
        pairs = list(db.session().execute(select(Conversation.id, Conversation.customer_id)
                                          .where(Conversation.store_id == store_id)))
    rng = random.Random(7)
    base = f"/stores/{store_id}/inbox"

    def page(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    def baseline_list() -> None:
        with engine.connect() as connection:
            connection.execute(LIST_SQL, {"store": store_id}).all()

    def baseline_thread() -> None:
        conversation, customer = rng.choice(pairs)
        with engine.connect() as connection:
            connection.execute(LIST_SQL, {"store": store_id}).all()
            connection.execute(THREAD_SQL[0], {"conversation": conversation}).all()
            connection.execute(THREAD_SQL[1], {"store": store_id, "customer": customer}).all()

    page(base)  # warm
    report: Report = {
        "list": _percentiles(_timed(lambda: page(base), loads)),
        "list_baseline_sql": _percentiles(_timed(baseline_list, loads)),
        "conversation": _percentiles(_timed(
            lambda: page(f"{base}?c={rng.choice(pairs)[0]}"), loads)),
        "conversation_baseline_sql": _percentiles(_timed(baseline_thread, loads)),
    }
    open_id, _ = pairs[len(pairs) // 2]
    updates = f"{base}/updates?c={open_id}"
    etag = client.get(updates).headers["ETag"]

    def poll() -> None:
        assert client.get(updates, headers={"If-None-Match": etag}).status_code in (200, 304)

    report["poll_unchanged"] = _percentiles(_timed(poll, loads))
    report["inbound_to_open_page"] = _inbound(app, client, store_id, open_id, updates)
    report["inbound_to_open_page"]["browser_poll_ms"] = inbox_admin.POLL_MS
    for name in ("list", "conversation"):
        base_p50 = report[f"{name}_baseline_sql"]["p50_ms"] or 0.001
        report[f"{name}_ratio_p50"] = round(report[name]["p50_ms"] / base_p50, 1)
    return report


def _inbound(app: Any, client: Any, store_id: int, conversation_id: int,
             updates: str) -> Report:
    """Post a signed inbound message for the open conversation; time until its poll shows it."""
    from plugin.infra import db
    from plugin.models import Conversation, Customer

    with app.app_context():
        conversation = db.session().get(Conversation, conversation_id)
        wa_id = db.session().get(Customer, conversation.customer_id).wa_id
    samples = []
    for n in range(20):
        etag = client.get(updates).headers["ETag"]
        words = f"new inbound {n} {time.time()}"
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": "1555", "phone_number_id": PHONE_NUMBER_ID},
                 "contacts": [{"profile": {"name": "Bench"}, "wa_id": wa_id}],
                 "messages": [{"from": wa_id, "id": f"wamid.NEW{n}.{time.time_ns()}",
                               "timestamp": str(int(time.time())), "type": "text",
                               "text": {"body": words}}]}
        body = json.dumps({"object": "whatsapp_business_account", "entry": [
            {"id": "WABA", "changes": [{"field": "messages", "value": value}]}]}).encode()
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        start = time.perf_counter()
        posted = app.test_client().post("/webhooks/whatsapp", data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": signature})
        assert posted.status_code == 200, posted.status_code
        while True:
            response = client.get(updates, headers={"If-None-Match": etag})
            if response.status_code == 200 and words in response.json["thread_html"]:
                break
            if time.perf_counter() - start > 30:
                raise RuntimeError("the new message never reached the open page")
        samples.append(time.perf_counter() - start)
    return _percentiles(samples)


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
    parser = argparse.ArgumentParser(prog="python -m bench.inbox")
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--loads", type=int, default=200)
    args = parser.parse_args(argv)
    report: Report = {"benchmark": "inbox", "conversations": args.conversations,
                      "messages": args.messages, "loads": args.loads, "errors": [],
                      "note": "in-process (Flask test client, no HTTP server); the machine "
                              "is shared, so other processes' load is in these numbers"}
    with tempfile.TemporaryDirectory(prefix="storechat-inbox-bench-") as temp:
        folder = Path(temp)
        url, kind = _database(folder)
        report["database"] = kind
        environ = environ_for(folder / "instance", url)
        (folder / "instance").mkdir(parents=True, exist_ok=True)
        run_python(["-m", "plugin.cli", "db", "upgrade"], environ)
        from plugin import create_app
        from plugin.config import load_settings

        app = create_app(load_settings(environ, queue_immediate=True,
                                       whatsapp_app_secret=APP_SECRET))
        try:
            started = time.perf_counter()
            store_id = seed(app, args.conversations, args.messages)
            report["seed_seconds"] = round(time.perf_counter() - started, 1)
            report.update(measure(app, store_id, args.loads))
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            report["errors"].append(f"{error.__class__.__name__}: {error}")
        finally:
            app.extensions["storechat.engine"].dispose()
            if kind == "postgresql":
                reset_postgres(url)
    summary = (f"list p50 {report.get('list', {}).get('p50_ms')} ms, conversation p50 "
               f"{report.get('conversation', {}).get('p50_ms')} ms, inbound→page p50 "
               f"{report.get('inbound_to_open_page', {}).get('p50_ms')} ms")
    return publish("inbox", report, RESULTS, summary)


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
