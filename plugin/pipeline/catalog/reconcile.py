"""Reconciliation: Meta's catalog read page by page and compared with our rows. Items we do
not have (or have as deleted or kept out) are deleted; items whose price, availability or
title drifted from ours, and items Meta no longer lists, are sent again. Resumable: the
cursor is saved after each page.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from plugin.domain.catalog_batches import RemoteItem
from plugin.domain.errors import CatalogError, CatalogThrottled
from plugin.infra import db
from plugin.infra.queue import Job, enqueue_after_commit
from plugin.models import CatalogItem, CatalogSync, ItemState, Store, SyncState
from plugin.pipeline.catalog import batches, gateway
from plugin.pipeline.catalog.full_sync import SYNC_LEASE_SECONDS, finish

# The fields compared with Meta's copy: a difference in any is drift.
DRIFT_FIELDS = ("title", "price", "sale_price", "availability")
# variant_id given to a row made for an item only Meta has (so it can be deleted).
ORPHAN_PREFIX = "orphan:"


def run(sync_id: int, now: datetime | None = None) -> None:
    """Run a claimed reconciliation from its saved cursor to the end."""
    now = now or db.utcnow()
    with db.transaction() as session:
        sync = session.get(CatalogSync, sync_id)
        store = session.get(Store, sync.store_id)
        try:
            catalog = gateway.for_store(session, store)
        except CatalogError as exc:
            finish(session, sync, SyncState.FAILED, exc.reason)
            return
        if catalog is None:
            finish(session, sync, SyncState.FAILED, "No catalog is connected.")
            return
        store_id, after = store.id, sync.cursor
    while True:
        try:
            items, after_next = catalog.list_items(catalog.catalog_id, after)
        except CatalogThrottled as exc:
            _wait(sync_id, store_id, exc, now)
            return
        except CatalogError as exc:
            with db.transaction() as session:
                finish(session, session.get(CatalogSync, sync_id), SyncState.FAILED, exc.reason)
            return
        with db.transaction() as session:
            deleted, drifted = _compare(session, store_id, items, now)
            session.execute(update(CatalogSync).where(CatalogSync.id == sync_id).values(
                cursor=after_next, variants=CatalogSync.variants + len(items),
                deleted=CatalogSync.deleted + deleted, changed=CatalogSync.changed + drifted,
                lease_until=db.utcnow() + timedelta(seconds=SYNC_LEASE_SECONDS)))
        if after_next is None:
            break
        after = after_next
    _resend_missing(sync_id, store_id, now)
    with db.transaction() as session:
        session.get(CatalogSync, sync_id).state = SyncState.SENDING
    batches.send_due(store_id, now)
    with db.transaction() as session:
        finish(session, session.get(CatalogSync, sync_id), SyncState.DONE, None)


def _compare(session: Session, store_id: int, items: list[RemoteItem],
             now: datetime) -> tuple[int, int]:
    """Mark one page's orphans for DELETE and drifted rows pending; returns the counts."""
    rows = {r.retailer_id: r for r in session.scalars(select(CatalogItem).where(
        CatalogItem.store_id == store_id,
        CatalogItem.retailer_id.in_([i.retailer_id for i in items])))}
    deleted = drifted = 0
    for remote in items:
        row = rows.get(remote.retailer_id)
        if row is not None:
            row.listed_at = now
        if row is None:
            row = CatalogItem(store_id=store_id, retailer_id=remote.retailer_id,
                              variant_id=_orphan_variant_id(remote.retailer_id),
                              product_id="", title=remote.title[:255], data=None,
                              content_hash="", state=ItemState.DELETING, due_at=now,
                              deleted_at=now, warnings=[], stock_levels={})
            session.add(row)
            deleted += 1
        elif row.batch_id is not None or row.state in (ItemState.PENDING, ItemState.DELETING):
            continue  # a change is on its way already
        elif row.data is None:  # deleted, kept out or failed to delete: Meta must drop it
            row.state, row.due_at, row.updated_at = ItemState.DELETING, now, now
            deleted += 1
        elif row.state == ItemState.SYNCED and _drifted(row.data, remote):
            row.state, row.due_at, row.updated_at = ItemState.PENDING, now, now
            drifted += 1
    return deleted, drifted


def _resend_missing(sync_id: int, store_id: int, now: datetime) -> None:
    """Items Meta accepted but no longer lists (removed in Commerce Manager, lost) drifted
    the most: send them again. One UPDATE, whatever the catalog's size."""
    with db.transaction() as session:
        started = session.get(CatalogSync, sync_id).started_at or now
        missing = session.execute(
            update(CatalogItem).where(
                CatalogItem.store_id == store_id, CatalogItem.state == ItemState.SYNCED,
                CatalogItem.batch_id.is_(None), CatalogItem.synced_at < started,
                or_(CatalogItem.listed_at.is_(None), CatalogItem.listed_at < started))
            .values(state=ItemState.PENDING, due_at=now, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        session.execute(update(CatalogSync).where(CatalogSync.id == sync_id)
                        .values(changed=CatalogSync.changed + missing))


def _orphan_variant_id(retailer_id: str) -> str:
    """A variant id for an item only Meta has: readable, or hashed when too long to fit."""
    name = ORPHAN_PREFIX + retailer_id
    if len(name) <= 64:
        return name
    return ORPHAN_PREFIX + hashlib.sha256(retailer_id.encode()).hexdigest()[:48]


def _drifted(data: dict[str, object], remote: RemoteItem) -> bool:
    return any(str(data.get(name) or "").strip() != str(getattr(remote, name) or "").strip()
               for name in DRIFT_FIELDS)


def _wait(sync_id: int, store_id: int, exc: CatalogThrottled, now: datetime) -> None:
    """Meta throttled the listing: record it, and queue the sync to go on from its cursor."""
    until = now + timedelta(seconds=exc.wait_seconds)
    with db.transaction() as session:
        store = session.get(Store, store_id)
        account = gateway.account_for(session, store) if store is not None else None
        if account is not None:
            account.catalog_throttled_until = until
        sync = session.get(CatalogSync, sync_id)
        sync.state, sync.lease_until = SyncState.QUEUED, None
        enqueue_after_commit(session, Job.CATALOG_SYNC, sync_id, delay=exc.wait_seconds)
