"""A full sync: every product of the store read from its source into catalog rows, the rows
the store no longer has marked for DELETE, then the changes batched.

Streamed: products are written PROGRESS_EVERY at a time, each chunk in its own transaction
with the sync's progress counts, so memory stays flat and the page shows progress. Re-run
after a kill, it writes the same rows again (unique store+variant, idempotent upserts) and
sends only what changed.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from plugin.domain.errors import StoreChatError
from plugin.domain.events import EventKind, ExportFinished, ProductEvent
from plugin.infra import db
from plugin.infra.queue import Job, enqueue_after_commit
from plugin.models import CatalogItem, CatalogSync, ItemState, Store, SyncKind, SyncState
from plugin.pipeline.catalog import batches, sources
from plugin.pipeline.catalog.items import Tally, delete_product, mark_deleting, upsert_product

log = logging.getLogger(__name__)

# Products written (and progress committed) per transaction.
PROGRESS_EVERY = 200
# A sync's lease: another worker takes a sync over only after this long without progress.
SYNC_LEASE_SECONDS = 300
# Orphan rows marked per transaction after the read.
ORPHANS_PER_TRANSACTION = 1000


def claim(sync_id: int, now: datetime) -> str | None:
    """Lease a queued sync, or one whose worker stopped; returns its kind, None if taken."""
    with db.transaction() as session:
        claimed = session.execute(
            update(CatalogSync).where(
                CatalogSync.id == sync_id,
                or_(CatalogSync.state == SyncState.QUEUED,
                    (CatalogSync.state.in_((SyncState.READING, SyncState.SENDING))
                     & (CatalogSync.lease_until < now))))
            # The first start stays: it is when the store was read from (a resumed or
            # exported sync reads the store as it was then).
            .values(state=SyncState.READING, error=None,
                    started_at=func.coalesce(CatalogSync.started_at, now),
                    lease_until=now + timedelta(seconds=SYNC_LEASE_SECONDS))
            .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            return None
        return session.get(CatalogSync, sync_id).kind


def run(sync_id: int, now: datetime | None = None) -> None:
    """Run a claimed full sync to the end (or to EXPORTING, to wait for the export)."""
    now = now or db.utcnow()
    with db.transaction() as session:
        sync = session.get(CatalogSync, sync_id)
        store = session.get(Store, sync.store_id)
        source = sources.for_store(session, store)
        if source is None:
            finish(session, sync, SyncState.FAILED,
                   f"Products of {store.platform} stores cannot be read yet.")
            return
        store_id, export_id, read_at = store.id, sync.export_id, sync.started_at or now
        sync.products = sync.variants = sync.changed = sync.kept_out = sync.deleted = 0
    try:
        if isinstance(source, sources.ExportFirst) and export_id is None:
            export_id = source.start_export()
            with db.transaction() as session:
                sync = session.get(CatalogSync, sync_id)
                sync.state, sync.export_id, sync.lease_until = SyncState.EXPORTING, export_id, None
            return
        _read(sync_id, store_id, source.products(export_id), now, read_at)
    except StoreChatError as exc:
        with db.transaction() as session:
            finish(session, session.get(CatalogSync, sync_id), SyncState.FAILED, str(exc))
        return
    _mark_orphans(sync_id, store_id, now)
    with db.transaction() as session:
        session.get(CatalogSync, sync_id).state = SyncState.SENDING
    batches.send_due(store_id, now)
    with db.transaction() as session:
        finish(session, session.get(CatalogSync, sync_id), SyncState.DONE, None)


def export_finished(session: Session, store: Store, export_id: str) -> CatalogSync | None:
    """The platform finished the export `export_id`: its waiting sync is queued to read it
    (after commit). None when no sync of the store waits for it."""
    sync = session.scalars(select(CatalogSync).where(
        CatalogSync.store_id == store.id, CatalogSync.kind == SyncKind.FULL,
        CatalogSync.state == SyncState.EXPORTING, CatalogSync.export_id == export_id)).first()
    if sync is None:
        return None
    sync.state = SyncState.QUEUED
    enqueue_after_commit(session, Job.CATALOG_SYNC, sync.id)
    return sync


def apply_export_finished(session: Session, store: Store,
                          event: ExportFinished) -> list[tuple[int, int]]:
    """The process job's applier for Shopify's bulk_operations/finish: the waiting sync
    goes on (to read the file, or to fail with Shopify's reason). Writes no message."""
    export_finished(session, store, event.export_id)
    return []


def finish(session: Session, sync: CatalogSync, state: str, error: str | None) -> None:
    """End the sync in `state` (DONE or FAILED, with the owner-readable error)."""
    sync.state, sync.error, sync.lease_until = state, error and error[:2000], None
    sync.finished_at = db.utcnow()


def _read(sync_id: int, store_id: int, products: Iterator[ProductEvent], now: datetime,
          read_at: datetime) -> None:
    chunk: list[ProductEvent] = []
    for product in products:
        chunk.append(product)
        if len(chunk) >= PROGRESS_EVERY:
            _write(sync_id, store_id, chunk, now, read_at)
            chunk = []
    _write(sync_id, store_id, chunk, now, read_at)


def _write(sync_id: int, store_id: int, chunk: list[ProductEvent], now: datetime,
           read_at: datetime) -> None:
    """Upsert one chunk of products and add it to the sync's counts, in one transaction."""
    tally = Tally()
    with db.transaction() as session:
        store = session.get(Store, store_id)
        for product in chunk:
            if product.kind == EventKind.PRODUCT_DELETED:
                tally.add(delete_product(session, store, product.product_id, now))
            else:
                tally.add(upsert_product(session, store, product, now, sync_id, wait=0,
                                         read_at=read_at))
        session.execute(update(CatalogSync).where(CatalogSync.id == sync_id).values(
            products=CatalogSync.products + len(chunk),
            variants=CatalogSync.variants + tally.variants,
            changed=CatalogSync.changed + tally.changed,
            kept_out=CatalogSync.kept_out + tally.kept_out,
            deleted=CatalogSync.deleted + tally.deleted,
            lease_until=db.utcnow() + timedelta(seconds=SYNC_LEASE_SECONDS)))


def _mark_orphans(sync_id: int, store_id: int, now: datetime) -> None:
    """Rows this sync did not read, and no webhook touched since it started, are gone from
    the store: DELETE them (a row written after the start is fresher than the read)."""
    with db.transaction() as session:
        started = session.get(CatalogSync, sync_id).started_at or now
    last_id = 0
    while True:
        with db.transaction() as session:
            rows = list(session.scalars(select(CatalogItem).where(
                CatalogItem.store_id == store_id, CatalogItem.id > last_id,
                or_(CatalogItem.seen_by_sync_id.is_(None),
                    CatalogItem.seen_by_sync_id != sync_id),
                CatalogItem.state.not_in((ItemState.DELETING, ItemState.DELETED)),
                CatalogItem.updated_at < started)
                .order_by(CatalogItem.id).limit(ORPHANS_PER_TRANSACTION)))
            if not rows:
                return
            for row in rows:
                mark_deleting(row, now, wait=0)
            last_id = rows[-1].id
            session.execute(update(CatalogSync).where(CatalogSync.id == sync_id).values(
                deleted=CatalogSync.deleted + len(rows)))
