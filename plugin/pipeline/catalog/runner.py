"""The catalog sync's jobs (bound in plugin.pipeline.jobs): each takes a row id and is safe
to run twice, from several workers at once."""
from __future__ import annotations

from plugin.infra import db
from plugin.models import SyncKind
from plugin.pipeline.catalog import batches, full_sync, product_reads, reconcile


def run_sync(sync_id: int) -> None:
    """Run a full sync or a reconciliation, if it is queued (or its worker stopped)."""
    now = db.utcnow()
    kind = full_sync.claim(sync_id, now)
    if kind == SyncKind.FULL:
        full_sync.run(sync_id, now)
    elif kind == SyncKind.RECONCILE:
        reconcile.run(sync_id, now)


def send_due(store_id: int) -> None:
    """Batch a store's due catalog changes to its catalog."""
    batches.send_due(store_id)


def check_batch(batch_id: int) -> None:
    """Poll a batch's status and apply Meta's verdict once it is finished."""
    batches.check_batch(batch_id)


def read_product(event_id: int) -> None:
    """Read the product an inbound product webhook names again from its store."""
    product_reads.read_back(event_id)
