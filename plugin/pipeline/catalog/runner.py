"""SCAFFOLD, replaced by the catalog engine: the jobs the catalog sync runs."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def run_sync(sync_id: int) -> None:
    """Run a full sync or reconciliation (scaffold: logs only)."""
    log.warning("catalog sync %s: the engine is not built yet", sync_id)


def send_due(store_id: int) -> None:
    """Batch a store's due catalog changes (scaffold: logs only)."""
    log.warning("catalog send %s: the engine is not built yet", store_id)


def check_batch(batch_id: int) -> None:
    """Poll a batch's status (scaffold: logs only)."""
    log.warning("catalog check %s: the engine is not built yet", batch_id)
