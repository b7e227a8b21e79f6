"""The analytics benchmark's rows, generated fast: one store and its owner, then customers,
their conversations, orders and messages spread over the last 120 days, loaded with COPY on
PostgreSQL and with executemany in chunks on SQLite (ids given, so rows can point at each
other without reading anything back)."""
from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from bench.inbox import EMAIL, PASSWORD

# Rows per executemany on SQLite (COPY streams them all at once).
CHUNK = 5_000
# How far back the rows go: beyond the 90 days measured, so the period's edge is real.
SPREAD_DAYS = 120
# (cause prefix, step) of the flows messages are spread over.
FLOWS = [("order:", "order_confirmation"), ("order:", "shipping_update"),
         ("order:", "delivered"), ("checkout:", "cart_recovery_1"), ("stock_alert:", "bis"),
         ("price_drop:", "price_drop"), ("cross_sell:", "cross_sell"), ("campaign:1", "c"),
         ("campaign:2", "c"), ("answer:", "a"), ("inbox:", "agent")]
# A state and its error code / reason, drawn by weight.
STATES = [("read", None, None, 50), ("delivered", None, None, 25), ("sent", None, None, 10),
          ("failed", 131049, "limited", 4), ("failed", 131026, "undeliverable", 3),
          ("skipped", None, "no consent", 5), ("skipped", None, "quiet hours", 3)]
CONVERSATION_STATES = ["open", "pending", "resolved", "resolved", "snoozed"]
ORDER_STATES = ["paid", "paid", "fulfilled", "fulfilled", "cancelled", "refunded"]


@dataclass(frozen=True)
class Sizes:
    """How many rows of each kind (conversations: one per customer)."""

    messages: int
    orders: int
    conversations: int


def load(engine: Engine, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert `rows` (tuples in `columns` order) into `table`; how many. COPY on PostgreSQL,
    executemany on SQLite; dicts and lists are stored as JSON text."""
    def encoded(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in row)

    count = 0
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor:  # type: ignore[attr-defined]
                quoted = ", ".join(f'"{c}"' for c in columns)
                with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(encoded(row))
                        count += 1
                # A serial id column only moves when it hands out ids: move it past ours.
                if "id" in columns:
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT max(id) FROM {table}))")
            raw.commit()
        finally:
            raw.close()
        return count
    statement = text(f"INSERT INTO {table} ({', '.join(chr(34) + c + chr(34) for c in columns)})"
                     f" VALUES ({', '.join(':' + c for c in columns)})")
    batch: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for row in rows:
            batch.append(dict(zip(columns, encoded(row), strict=True)))
            if len(batch) == CHUNK:
                connection.execute(statement, batch)
                count += len(batch)
                batch = []
        if batch:
            connection.execute(statement, batch)
            count += len(batch)
    return count


def _when(rng: random.Random, now: datetime) -> datetime:
    return now - timedelta(seconds=rng.randrange(SPREAD_DAYS * 86_400))


def _customers(n: int, now: datetime, store_id: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(21)
    for i in range(1, n + 1):
        yield (i, store_id, f"c{i}", f"+3519{i:08d}", f"3519{i:08d}", f"Shopper {i}", "",
               [], _when(rng, now), 0, 0, 0)


def _conversations(n: int, now: datetime, store_id: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(22)
    for i in range(1, n + 1):
        opened = _when(rng, now)
        last = min(now, opened + timedelta(minutes=rng.randrange(3 * 24 * 60)))
        yield (i, store_id, i, rng.choice(CONVERSATION_STATES), [], rng.randrange(3), last,
               "Where is my order?", opened, last)


def _orders(n: int, customers: int, now: datetime, store_id: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(23)
    for i in range(1, n + 1):
        placed = _when(rng, now)
        customer = rng.randrange(1, customers + 1) if rng.random() < 0.9 else None
        total = f"{rng.randrange(500, 40_000) / 100:.2f}"
        yield (i, store_id, f"o{i}", f"#{1000 + i}", customer, rng.choice(ORDER_STATES), "",
               "EUR", total, {}, placed, placed, placed, False)


def _messages(n: int, sizes: Sizes, now: datetime, store_id: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(20)
    weights = [w for *_, w in STATES]
    for i in range(n):
        prefix, step = FLOWS[i % len(FLOWS)]
        state, code, reason, _ = rng.choices(STATES, weights)[0]
        at = _when(rng, now)
        sent = state in ("read", "delivered", "sent") or code == 131049
        # A campaign is one cause, its messages told apart by their step.
        cause, step = ((prefix, f"{step}:{i}") if prefix.startswith("campaign:")
                       else (f"{prefix}{i}", step))
        order = rng.randrange(1, sizes.orders + 1) if prefix == "order:" and sizes.orders \
            else None
        customer = rng.randrange(1, sizes.conversations + 1) if sizes.conversations else None
        yield (store_id, customer, order, cause, step, "+351900000000", {}, state, reason,
               code, 1, f"wamid.{i}" if sent else None, at, at if sent else None)


def seed(app: Any, sizes: Sizes) -> tuple[int, dict[str, float]]:
    """The store, its owner and every row; the store's id and the seconds per table."""
    from plugin.auth.passwords import hash_password
    from plugin.infra import db
    from plugin.models import Owner, Store

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
    engine = app.extensions["storechat.engine"]
    seconds: dict[str, float] = {}
    plan: list[tuple[str, list[str], Iterable[tuple[Any, ...]]]] = [
        ("customers", ["id", "store_id", "platform_id", "phone_e164", "wa_id", "first_name",
                       "last_name", "tags", "created_at", "order_count", "spent_cents",
                       "avg_order_cents"], _customers(sizes.conversations, now, store_id)),
        ("conversations", ["id", "store_id", "customer_id", "status", "tags", "unread",
                           "last_message_at", "last_preview", "created_at", "updated_at"],
         _conversations(sizes.conversations, now, store_id)),
        ("orders", ["id", "store_id", "platform_id", "number", "customer_id", "status",
                    "payment_gateway", "currency", "total", "snapshot", "created_at",
                    "updated_at", "placed_at", "discounted"],
         _orders(sizes.orders, sizes.conversations, now, store_id)),
        ("messages", ["store_id", "customer_id", "order_id", "cause", "step", "to", "payload",
                      "state", "reason", "error_code", "attempts", "wamid", "created_at",
                      "sent_at"], _messages(sizes.messages, sizes, now, store_id)),
    ]
    for table, columns, rows in plan:
        started = time.perf_counter()
        load(engine, table, columns, rows)
        seconds[table] = round(time.perf_counter() - started, 1)
    if engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum would give
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return store_id, seconds
