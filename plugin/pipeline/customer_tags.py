"""Keeping customers' automatic tags up to date: after each of their orders and messages,
and once a day for everyone (the `new` and `at_risk` tags change with time alone).

A recompute reads the customers' orders in one query, refreshes the order aggregates kept on
the customer (count, spend, first and last order, used by segments and the customer list),
and replaces their automatic tags; manual and keyword tags are never touched. The store's
`high_value` threshold is computed once a day from all its customers, not per order.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plugin.domain import customer_tags as rules_
from plugin.domain.customer_tags import CustomerFacts, TagRules
from plugin.infra import db
from plugin.infra.sql import insert_ignore
from plugin.models import Customer, CustomerTag, Order, Store, TagSettings
from plugin.pipeline import tag_write_back

# Order statuses (Shopify's as StoreChat names them, WooCommerce's own) of orders that did
# not happen: they count towards no tag, spend or order count.
VOID_STATUSES = ("cancelled", "refunded", "voided", "deleted", "failed", "trash",
                 "checkout-draft")
# The daily pass: tags older than this are recomputed…
RECOMPUTE_AFTER = timedelta(hours=24)
# …at most this many customers per housekeeping run (every minute, on every worker), so a
# large store's pass spreads over a few minutes instead of holding one run for long.
DAILY_BATCH = 500
# Store thresholds refreshed per housekeeping run.
THRESHOLD_BATCH = 50


def settings_for(session: Session, store_id: int) -> TagSettings:
    """The store's tag settings row, created with the defaults when it has none."""
    row = session.get(TagSettings, store_id)
    if row is None:
        try:
            with session.begin_nested():  # two workers may create it at once
                row = TagSettings(store_id=store_id, rules={}, write_back=False)
                session.add(row)
        except IntegrityError:
            row = session.get(TagSettings, store_id)
    assert row is not None
    return row


def recompute(session: Session, store_id: int, customer_ids: list[int],
              now: datetime | None = None) -> list[int]:
    """Refresh the customers' order aggregates and automatic tags; the ids whose tags
    changed. Two reads and a few writes whatever the number of customers."""
    if not customer_ids:
        return []
    now = now or db.utcnow()
    store = session.get(Store, store_id)
    settings = session.get(TagSettings, store_id)
    rules = TagRules.from_json(settings.rules if settings else None)
    threshold = settings.high_value_cents if settings else None
    orders = _orders(session, customer_ids, store.currency if store else None)
    customers = {c.id: c for c in session.scalars(
        select(Customer).where(Customer.id.in_(customer_ids), Customer.store_id == store_id))}
    current = _tags(session, list(customers))
    changed = []
    for customer in customers.values():
        facts = _facts(customer, orders.get(customer.id, []), rules, now)
        wanted = rules_.automatic_tags(facts, rules, threshold)
        had = {tag for tag, source in current[customer.id] if source == rules_.SOURCE_AUTO}
        for tag in had - wanted:
            session.execute(delete(CustomerTag).where(
                CustomerTag.customer_id == customer.id, CustomerTag.tag == tag,
                CustomerTag.source == rules_.SOURCE_AUTO))
        for tag in wanted - had:
            insert_ignore(session, CustomerTag,
                          {"store_id": store_id, "customer_id": customer.id, "tag": tag,
                           "source": rules_.SOURCE_AUTO, "created_at": now},
                          ("customer_id", "tag", "source"))
        others = {tag for tag, source in current[customer.id] if source != rules_.SOURCE_AUTO}
        customer.tags = sorted(wanted | others)
        customer.tags_computed_at = now
        if had != wanted:
            changed.append(customer.id)
    tag_write_back.enqueue(session, store_id, changed)
    return changed


def _orders(session: Session, customer_ids: list[int],
            currency: str | None) -> dict[int, list[tuple[datetime, bool, int | None]]]:
    """Each customer's orders that count: (placed, discounted, total in cents or None when
    in another currency than the store's)."""
    rows = session.execute(
        select(Order.customer_id, func.coalesce(Order.placed_at, Order.created_at),
               Order.discounted, Order.total, Order.currency)
        .where(Order.customer_id.in_(customer_ids), Order.status.not_in(VOID_STATUSES)))
    found: dict[int, list[tuple[datetime, bool, int | None]]] = defaultdict(list)
    for customer_id, placed, discounted, total, order_currency in rows:
        same = currency is None or order_currency == currency
        found[customer_id].append((placed, bool(discounted), _cents(total) if same else None))
    return found


def _cents(total: str) -> int:
    try:
        return int((Decimal(total) * 100).to_integral_value(ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return 0


def _facts(customer: Customer, orders: list[tuple[datetime, bool, int | None]],
           rules: TagRules, now: datetime) -> CustomerFacts:
    """The rules' facts, and the aggregates written on the customer on the way."""
    placed = [at for at, _, _ in orders]
    amounts = [cents for _, _, cents in orders if cents is not None]
    customer.order_count = len(orders)
    customer.spent_cents = sum(amounts)
    customer.avg_order_cents = sum(amounts) // len(amounts) if amounts else 0
    customer.first_order_at = min(placed, default=None)
    customer.last_order_at = max(placed, default=None)
    recent = now - timedelta(days=rules.frequent_days)
    return CustomerFacts(
        now=now, order_count=len(orders),
        recent_orders=sum(1 for at in placed if at >= recent),
        discounted_orders=sum(1 for _, discounted, _ in orders if discounted),
        first_order_at=customer.first_order_at, last_order_at=customer.last_order_at,
        last_inbound_at=customer.last_inbound_at, avg_order_cents=customer.avg_order_cents)


def _tags(session: Session, customer_ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    found: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for customer_id, tag, source in session.execute(
            select(CustomerTag.customer_id, CustomerTag.tag, CustomerTag.source)
            .where(CustomerTag.customer_id.in_(customer_ids))):
        found[customer_id].add((tag, source))
    return found


def tags_by_customer(session: Session,
                     customer_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Each customer's (tag, source) pairs, sorted, in one query."""
    return {cid: sorted(pairs) for cid, pairs in _tags(session, customer_ids).items()}


def set_manual(session: Session, customer: Customer, tag: str, present: bool) -> bool:
    """Add (present) or remove an owner's manual tag; True when something changed."""
    if present:
        written = insert_ignore(session, CustomerTag,
                                {"store_id": customer.store_id, "customer_id": customer.id,
                                 "tag": tag, "source": rules_.SOURCE_MANUAL,
                                 "created_at": db.utcnow()},
                                ("customer_id", "tag", "source")) is not None
    else:
        written = session.execute(delete(CustomerTag).where(
            CustomerTag.customer_id == customer.id, CustomerTag.tag == tag,
            CustomerTag.source == rules_.SOURCE_MANUAL)).rowcount > 0  # type: ignore[attr-defined]
    customer.tags = sorted({t for t, _ in _tags(session, [customer.id])[customer.id]})
    if written:
        tag_write_back.enqueue(session, customer.store_id, [customer.id])
    return written


def refresh_threshold(session: Session, store_id: int, now: datetime) -> int | None:
    """Recompute the store's high_value threshold (two indexed queries); returns it."""
    settings = settings_for(session, store_id)
    rules = TagRules.from_json(settings.rules)
    buyers = (Customer.store_id == store_id, Customer.order_count > 0)
    count = int(session.scalar(select(func.count(Customer.id)).where(*buyers)) or 0)
    rank = rules_.top_share_rank(count, rules.high_value_top_share)
    settings.high_value_cents = None
    if rank is not None:
        # The best average outside the top share, plus one cent: customers tied with it are
        # not "top" (a store where everyone spends the same has no high-value customers).
        below = session.scalar(
            select(Customer.avg_order_cents).where(*buyers)
            .order_by(Customer.avg_order_cents.desc()).offset(rank).limit(1))
        settings.high_value_cents = (below + 1) if below is not None else 0
    settings.threshold_computed_at = now
    return settings.high_value_cents


def run_daily(now: datetime | None = None) -> int:
    """The housekeeping hook: refresh due stores' thresholds, then recompute the tags of up
    to DAILY_BATCH customers whose tags are older than RECOMPUTE_AFTER; how many."""
    now = now or db.utcnow()
    cutoff = now - RECOMPUTE_AFTER
    with db.transaction() as session:
        stores = list(session.scalars(
            select(Store.id).outerjoin(TagSettings, TagSettings.store_id == Store.id)
            .where(or_(TagSettings.threshold_computed_at.is_(None),
                       TagSettings.threshold_computed_at < cutoff))
            .order_by(Store.id).limit(THRESHOLD_BATCH)))
        for store_id in stores:
            refresh_threshold(session, store_id, now)
    with db.transaction() as session:
        # Skip rows another worker's pass holds (PostgreSQL; SQLite ignores it).
        due = session.execute(
            select(Customer.id, Customer.store_id)
            .where(or_(Customer.tags_computed_at.is_(None), Customer.tags_computed_at < cutoff))
            .order_by(Customer.id).limit(DAILY_BATCH).with_for_update(skip_locked=True)).all()
        by_store: dict[int, list[int]] = defaultdict(list)
        for customer_id, store_id in due:
            by_store[store_id].append(customer_id)
        for store_id, ids in by_store.items():
            recompute(session, store_id, ids, now)
    return len(due)
