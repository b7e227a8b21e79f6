"""Reconciliation: WooCommerce webhooks are best-effort (never retried, disabled after
repeated failures, merged, built at send time), so every few minutes each store is checked:
its webhooks are re-enabled or re-created, and orders changed since the last seen change are
fetched and recorded with the same dedupe key a webhook of that state would have had.

Cadence: the sweeper (every worker, every sweep) calls `enqueue_due`, which claims each
store once per RECONCILE_INTERVAL_SECONDS through a unique one-time-token row, so several
workers sweeping at once still enqueue one job per store per interval.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from adapters.woocommerce.client import PER_PAGE, WooClient, WooError
from plugin.infra import db, queue
from plugin.infra.sql import insert_ignore
from plugin.models import OneTimeToken, Store, StoreStatus
from plugin.pipeline.inbound import record_event
from plugin.platforms.stores import credentials
from plugin.platforms.woocommerce import provision, sites

log = logging.getLogger(__name__)

# How often each store is reconciled. A missed webhook shows up at most this late.
RECONCILE_INTERVAL_SECONDS = 5 * 60
# Orders recorded per store per run: after a long outage the backlog drains over several
# runs instead of flooding the queue (and the shoppers) at once.
MAX_ORDERS_PER_RUN = 500
# modified_after is exclusive and to the second: re-ask for the cursor's own second, so an
# order changed in the same second as the last one seen is not skipped (dedupe drops repeats).
OVERLAP = timedelta(seconds=1)
_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """What one run did for one store."""

    orders_seen: int = 0
    orders_recorded: int = 0
    webhooks: provision.ProvisionReport | None = None


def enqueue_due(now: datetime | None = None) -> int:
    """Enqueue a reconcile job for each active WooCommerce store not yet claimed in this
    interval; returns how many were enqueued."""
    now = now or db.utcnow()
    bucket = int(now.timestamp()) // RECONCILE_INTERVAL_SECONDS
    expires = now + timedelta(seconds=RECONCILE_INTERVAL_SECONDS)
    claimed = []
    with db.transaction() as tx:
        ids = tx.scalars(select(Store.id).where(Store.platform == sites.PLATFORM,
                                                Store.status == StoreStatus.ACTIVE.value))
        for store_id in list(ids):
            token = hashlib.sha256(f"wc_reconcile:{store_id}:{bucket}".encode()).hexdigest()
            if insert_ignore(tx, OneTimeToken, {"purpose": "wc_reconcile", "token_hash": token,
                                                "created_at": now, "expires_at": expires,
                                                "used_at": now}, ("token_hash",)) is not None:
                claimed.append(store_id)
    for store_id in claimed:
        queue.enqueue(queue.Job.WOOCOMMERCE_RECONCILE, store_id)
    return len(claimed)


def reconcile(store_id: int) -> ReconcileReport | None:
    """Job: repair the store's webhooks, then record orders changed since the cursor."""
    def work(store: Store, api: WooClient) -> ReconcileReport:
        hooks = provision.provision(store_id, api)
        seen, recorded = poll_orders(store_id, store.key, api)
        return ReconcileReport(seen, recorded, hooks)

    try:
        return sites.with_client(store_id, work)
    except WooError as error:
        log.warning("woocommerce: reconciling store %s failed: %s", store_id, error)
        return None


def poll_orders(store_id: int, store_key: str, api: WooClient,
                limit: int = MAX_ORDERS_PER_RUN) -> tuple[int, int]:
    """Record orders modified after the cursor, oldest first, moving the cursor as it goes;
    (orders seen, orders newly recorded)."""
    store = db.session().get(Store, store_id, populate_existing=True)
    cursor = str(credentials(store).get("last_modified_gmt") or "") if store else ""
    after = _parse(cursor) if cursor else None
    seen = recorded = 0
    page = 1
    while seen < limit:
        params = {"orderby": "modified", "order": "asc", "dates_are_gmt": "true",
                  "per_page": PER_PAGE, "page": page}
        if after is not None:
            params["modified_after"] = (after - OVERLAP).strftime(_FORMAT)
        orders = [o for o in api.get("orders", params) if isinstance(o, dict)]
        for order in orders:
            seen += 1
            recorded += _record(store_id, store_key, order)
        newest = max((_parse(str(o["date_modified_gmt"])) for o in orders
                      if o.get("date_modified_gmt")), default=None)
        if newest is not None and (after is None or newest > after):
            after, page = newest, 1  # keyset: ask again from the newest change seen
            stamp = newest.strftime(_FORMAT)
            sites.update_credentials(store_id,
                                     lambda v, stamp=stamp: v.update(last_modified_gmt=stamp))
        else:
            page += 1  # a full page within one second: step through it by page
        if len(orders) < PER_PAGE:
            break
    return seen, recorded


def _record(store_id: int, store_key: str, order: dict[str, object]) -> int:
    modified = order.get("date_modified_gmt")
    if order.get("id") is None or not modified:
        return 0
    body = json.dumps(order, separators=(",", ":")).encode()
    outcome = record_event(source="woocommerce",
                           dedupe_key=f"{store_key}:order:{order['id']}:{modified}",
                           topic="order.updated", body=body, store_id=store_id,
                           headers={"topic": "order.updated", "sender": "reconciliation"})
    return 1 if outcome.new else 0


def _parse(value: str) -> datetime:
    return datetime.strptime(value[:19], _FORMAT)
