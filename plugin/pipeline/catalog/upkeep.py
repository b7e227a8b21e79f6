"""What the sweeper and the housekeeping do for the catalog: bring back work a killed worker
or a lost job left behind, and request each catalog's nightly reconciliation.

Everything here only re-enqueues ids or releases rows to be batched again; the jobs' own
claims decide who works on a row, so several workers may run it at once.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update

from plugin.domain.errors import StoreChatError
from plugin.infra import db
from plugin.infra.queue import Job, enqueue_after_commit
from plugin.models import (
    BatchState,
    CatalogBatch,
    CatalogItem,
    CatalogSync,
    ItemState,
    Store,
    StoreStatus,
    SyncKind,
    SyncState,
    WhatsAppAccount,
)
from plugin.pipeline.catalog import batches, full_sync, sources
from plugin.pipeline.catalog.requests import request_sync

log = logging.getLogger(__name__)

# A batch with no handle this long after its send began lost its worker mid-call: its
# items are batched again (UPDATE and DELETE are idempotent at Meta, so a resend is safe).
SEND_STUCK_SECONDS = 300
# A platform export (Shopify bulk operation) not finished after this long is given up.
EXPORT_TIMEOUT_SECONDS = 6 * 3600
# An export whose finish webhook has not come this long after it began is asked about,
# then again at this interval (the sweeper runs every few seconds, in every worker).
EXPORT_POLL_SECONDS = 300
# Exports asked about per sweep (each is one call to the platform).
EXPORTS_POLLED_PER_SWEEP = 20
# Rows per recovery step per sweep; a larger backlog drains over following sweeps.
RECOVER_BATCH = 500
# Each catalog is reconciled once in this period (the "nightly" reconciliation).
RECONCILE_EVERY = timedelta(hours=24)


def recover(now: datetime, stale: datetime) -> int:
    """Release batches whose send died, re-enqueue lost checks, sends and syncs; returns
    how many jobs or batches it touched."""
    touched = 0
    with db.transaction() as session:
        dead = list(session.scalars(select(CatalogBatch.id).where(
            CatalogBatch.state == BatchState.SENT, CatalogBatch.handle.is_(None),
            CatalogBatch.sent_at < now - timedelta(seconds=SEND_STUCK_SECONDS))
            .limit(RECOVER_BATCH)))
        for batch_id in dead:
            batches.release(session, batch_id, now, "The worker stopped before Meta answered; "
                            "the items are sent again.")
        touched += len(dead)
        lost_checks = list(session.scalars(select(CatalogBatch.id).where(
            CatalogBatch.state == BatchState.SENT, CatalogBatch.handle.is_not(None),
            CatalogBatch.check_at < stale).limit(RECOVER_BATCH)))
        if lost_checks:
            session.execute(update(CatalogBatch).where(CatalogBatch.id.in_(lost_checks))
                            .values(check_at=now))
        for batch_id in lost_checks:
            enqueue_after_commit(session, Job.CATALOG_CHECK, batch_id)
        touched += len(lost_checks)
    touched += _requeue_sends(stale) + _requeue_syncs(now, stale) + _end_lost_exports(now)
    # Last: it calls the platforms, and whatever they do cannot hold up the steps above.
    return touched + _poll_exports(now)


def _requeue_sends(stale: datetime) -> int:
    """Stores with changes due long ago and no batch: their send job was lost."""
    with db.transaction() as session:
        store_ids = list(session.scalars(
            select(CatalogItem.store_id).distinct().where(
                CatalogItem.state.in_((ItemState.PENDING, ItemState.DELETING)),
                CatalogItem.batch_id.is_(None), CatalogItem.due_at < stale,
                CatalogItem.store_id.in_(_stores_with_catalog()))
            .limit(RECOVER_BATCH)))
        for store_id in store_ids:
            enqueue_after_commit(session, Job.CATALOG_SEND, store_id)
    return len(store_ids)


def _requeue_syncs(now: datetime, stale: datetime) -> int:
    """Syncs queued long ago (job lost) or whose worker's lease ran out."""
    with db.transaction() as session:
        sync_ids = list(session.scalars(select(CatalogSync.id).where(or_(
            and_(CatalogSync.state == SyncState.QUEUED, CatalogSync.created_at < stale),
            and_(CatalogSync.state.in_((SyncState.READING, SyncState.SENDING)),
                 CatalogSync.lease_until < now))).limit(RECOVER_BATCH)))
        for sync_id in sync_ids:
            enqueue_after_commit(session, Job.CATALOG_SYNC, sync_id)
    return len(sync_ids)


def _poll_exports(now: datetime) -> int:
    """Ask the platform about exports waiting longer than EXPORT_POLL_SECONDS: a finished
    one's webhook was lost (or is late), so its sync goes on as the webhook would make it.
    Each poll is claimed through the sync's lease (free while EXPORTING), so one worker
    asks per EXPORT_POLL_SECONDS; the platform is called outside any transaction."""
    with db.transaction() as session:
        waiting = list(session.execute(select(
            CatalogSync.id, CatalogSync.store_id, CatalogSync.export_id).where(
                CatalogSync.state == SyncState.EXPORTING, CatalogSync.export_id.is_not(None),
                CatalogSync.started_at < now - timedelta(seconds=EXPORT_POLL_SECONDS),
                or_(CatalogSync.lease_until.is_(None), CatalogSync.lease_until < now))
            .order_by(CatalogSync.id).limit(EXPORTS_POLLED_PER_SWEEP)))
    continued = 0
    for sync_id, store_id, export_id in waiting:
        with db.transaction() as session:
            claimed = session.execute(update(CatalogSync).where(
                CatalogSync.id == sync_id, CatalogSync.state == SyncState.EXPORTING,
                or_(CatalogSync.lease_until.is_(None), CatalogSync.lease_until < now))
                .values(lease_until=now + timedelta(seconds=EXPORT_POLL_SECONDS))
                .execution_options(synchronize_session=False)).rowcount
            store = session.get(Store, store_id)
            source = sources.for_store(session, store) if claimed and store else None
        if not isinstance(source, sources.ExportPolled):
            continue
        try:
            done = source.export_done(export_id)
        except StoreChatError as exc:  # asked again at the next interval
            log.warning("export %s of store %s could not be checked: %s", export_id,
                        store_id, exc)
            continue
        if done:
            with db.transaction() as session:
                continued += full_sync.export_finished(
                    session, session.get(Store, store_id), export_id) is not None
    return continued


def _end_lost_exports(now: datetime) -> int:
    """Syncs whose platform export never finished (its webhook lost, the operation failed)
    end as failed, so the owner can sync again."""
    with db.transaction() as session:
        return session.execute(
            update(CatalogSync).where(
                CatalogSync.state == SyncState.EXPORTING,
                CatalogSync.started_at < now - timedelta(seconds=EXPORT_TIMEOUT_SECONDS))
            .values(state=SyncState.FAILED, finished_at=now, lease_until=None,
                    error="The store did not finish exporting its products; sync again.")
            .execution_options(synchronize_session=False)).rowcount


def _stores_with_catalog() -> Select[Any]:
    """Ids of stores with a connected catalog (a number's catalog id, or the demo's) whose
    token Meta has not refused (such a store waits for its number to be connected again)."""
    return select(Store.id).where(Store.status == StoreStatus.ACTIVE.value, or_(
        Store.platform == "demo",
        Store.id.in_(select(WhatsAppAccount.store_id).where(
            WhatsAppAccount.catalog_id.is_not(None),
            WhatsAppAccount.needs_reauth.is_(False)))))


def request_first_syncs() -> int:
    """Request a full sync for each connected catalog that never had one (the demo store's
    sandbox catalog, a catalog connected while its first sync was lost); returns how many."""
    ever = select(CatalogSync.store_id).where(CatalogSync.kind == SyncKind.FULL)
    return _request_for_catalogs_except(ever, SyncKind.FULL, "connect")


def request_reconciles(now: datetime) -> int:
    """Request a scheduled reconciliation for each catalog not reconciled in the last
    RECONCILE_EVERY; returns how many were requested."""
    # A catalog whose first full sync is within the period is not due yet: that sync has
    # just sent everything (a newcomer's demo store would otherwise show a "nightly" check
    # minutes after it opened).
    since = now - RECONCILE_EVERY
    reconciled = select(CatalogSync.store_id).where(CatalogSync.kind == SyncKind.RECONCILE,
                                                    CatalogSync.created_at > since)
    first_synced = (select(CatalogSync.store_id).where(CatalogSync.kind == SyncKind.FULL)
                    .group_by(CatalogSync.store_id)
                    .having(func.min(CatalogSync.created_at) > since))
    return _request_for_catalogs_except(reconciled.union(first_synced), SyncKind.RECONCILE,
                                        "schedule")


def _request_for_catalogs_except(excluded: Any, kind: str, trigger: str) -> int:
    """Request a sync of `kind` for up to RECOVER_BATCH stores with a catalog whose id is
    not among `excluded` (a select of store ids); returns how many."""
    with db.transaction() as session:
        # Every worker's housekeeping runs this each minute: the stores are locked (skipping
        # those another worker holds) so that two workers never both request a sync for one
        # store, whose two runs would then write the same catalog rows (PostgreSQL; SQLite
        # has one writer at a time).
        stores = list(session.scalars(select(Store).where(
            Store.id.in_(_stores_with_catalog()), Store.id.not_in(excluded))
            .order_by(Store.id).limit(RECOVER_BATCH)
            .with_for_update(skip_locked=True, of=Store)))
        for store in stores:
            request_sync(session, store, kind=kind, trigger=trigger)
    return len(stores)
