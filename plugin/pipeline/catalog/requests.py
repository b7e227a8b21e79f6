"""What the owner (pages, API) and the schedule ask of the catalog sync: a full sync or a
reconciliation, and a retry of failed items. Each writes rows and queues their job."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.infra import db
from plugin.infra.queue import Job, enqueue_after_commit
from plugin.models import CatalogItem, CatalogSync, ItemState, Store, SyncKind, SyncState

# A sync in one of these states is still under way: asking again returns it.
UNFINISHED = (SyncState.QUEUED, SyncState.EXPORTING, SyncState.READING, SyncState.SENDING)


def request_sync(session: Session, store: Store, kind: str = SyncKind.FULL,
                 trigger: str = "owner") -> CatalogSync:
    """The store's unfinished sync of `kind`, or a new one queued to run after commit."""
    running = session.scalars(
        select(CatalogSync).where(CatalogSync.store_id == store.id, CatalogSync.kind == kind,
                                  CatalogSync.state.in_(UNFINISHED))
        .order_by(CatalogSync.id.desc()).limit(1)
    ).first()
    if running is not None:
        return running
    sync = CatalogSync(store_id=store.id, kind=kind, trigger=trigger)
    session.add(sync)
    session.flush()
    enqueue_after_commit(session, Job.CATALOG_SYNC, sync.id)
    return sync


def retry_items(session: Session, store: Store, item_ids: Iterable[int] | None = None) -> int:
    """Make the store's failed items (all, or those of `item_ids`) pending again and queue a
    send; returns how many."""
    query = (update(CatalogItem)
             .where(CatalogItem.store_id == store.id, CatalogItem.state == ItemState.FAILED)
             .values(state=ItemState.PENDING, due_at=db.utcnow(), updated_at=db.utcnow()))
    if item_ids is not None:
        query = query.where(CatalogItem.id.in_(list(item_ids)))
    count = session.execute(query).rowcount
    if count:
        enqueue_after_commit(session, Job.CATALOG_SEND, store.id)
    return count
