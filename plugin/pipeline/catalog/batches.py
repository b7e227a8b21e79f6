"""Due catalog changes into items_batch calls, and Meta's verdict on each batch back into
the rows. Every batch is checked until Meta has finished it.

A row is claimed into a batch by one conditional UPDATE (state, due time and "in no batch"
all re-checked), the pattern of plugin.infra.leases: two workers never put a row in two
batches, on SQLite or PostgreSQL. A row stays in its batch (batch_id) until the verdict is
applied, so a newer version is never sent while an older one may still land after it.
Gateways are called between transactions, never inside one.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import case, exists, select, update
from sqlalchemy.orm import Session

from adapters.whatsapp.catalog import INVALID_TOKEN
from plugin.domain.catalog_batches import (
    MAX_BATCH_REQUESTS,
    BatchStatus,
    ItemRequest,
    Method,
    SentBatch,
)
from plugin.domain.catalog_problems import plain_reason
from plugin.domain.errors import CatalogError, CatalogThrottled
from plugin.infra import db
from plugin.infra.queue import Job, enqueue_after_commit
from plugin.models import BatchState, CatalogBatch, CatalogItem, ItemState, Store
from plugin.pipeline.catalog import gateway
from plugin.pipeline.catalog.items import listing_from_data

log = logging.getLogger(__name__)

# Batches one send job sends before it hands the rest to a fresh job (other stores' jobs
# get their turn in between).
BATCHES_PER_JOB = 4
# First status poll this long after a batch is sent; each further poll waits twice as
# long, up to MAX_CHECK_INTERVAL_SECONDS.
FIRST_CHECK_SECONDS = 3
MAX_CHECK_INTERVAL_SECONDS = 600
# After this many polls a batch Meta never finished is given up and its items resent.
MAX_BATCH_CHECKS = 30
# A send refused for another reason than throttling is tried again after this long.
SEND_RETRY_SECONDS = 300

_WAITING = (ItemState.PENDING, ItemState.DELETING)


def send_due(store_id: int, now: datetime | None = None) -> int:
    """Send the store's due changes in batches of up to MAX_BATCH_REQUESTS; returns how
    many batches were sent. More than BATCHES_PER_JOB batches' worth goes to a new job."""
    sent = 0
    while sent < BATCHES_PER_JOB:
        if not _send_one(store_id, now or db.utcnow()):
            return sent
        sent += 1
    with db.transaction() as session:
        enqueue_after_commit(session, Job.CATALOG_SEND, store_id)
    return sent


def _send_one(store_id: int, now: datetime) -> bool:
    """Claim, send and record one batch; False when nothing was sent."""
    with db.transaction() as session:
        store = session.get(Store, store_id)
        catalog = _catalog(session, store)
        if store is None or catalog is None:
            return False
        if _still_throttled(session, store, now, Job.CATALOG_SEND, store.id):
            return False
        account = gateway.account_for(session, store)
        if account is not None and account.needs_reauth:
            return False  # the token is refused; nothing can be sent with it
        batch, requests = claim_due(session, store, catalog.catalog_id, now)
        if batch is None:
            return False
        batch_id = batch.id
    try:
        sent = catalog.items_batch(catalog.catalog_id, requests)
    except CatalogThrottled as exc:
        with db.transaction() as session:
            until = _throttle(session, store_id, exc, now)
            release(session, batch_id, until, f"Throttled by Meta: {exc.reason}")
            enqueue_after_commit(session, Job.CATALOG_SEND, store_id, delay=exc.wait_seconds)
        return False
    except CatalogError as exc:
        log.warning("catalog batch %s for store %s refused: %s", batch_id, store_id, exc.reason)
        with db.transaction() as session:
            if exc.code == INVALID_TOKEN:
                # A dead token fails every call: sends wait for the number to be connected
                # again (the sweeper re-queues them then), and the owner is told.
                _flag_token(session, store_id)
                release(session, batch_id, now, exc.reason)
                return False
            release(session, batch_id, now + timedelta(seconds=SEND_RETRY_SECONDS), exc.reason)
            enqueue_after_commit(session, Job.CATALOG_SEND, store_id,
                                 delay=SEND_RETRY_SECONDS + 1)
        return False
    with db.transaction() as session:
        _refused_at_once(session, batch_id, sent, now)
        if not sent.handle:  # Meta took none of it: the rest wait for the next send
            release(session, batch_id, now + timedelta(seconds=SEND_RETRY_SECONDS),
                    "Meta took none of the batch's items.")
            enqueue_after_commit(session, Job.CATALOG_SEND, store_id,
                                 delay=SEND_RETRY_SECONDS + 1)
            return True
        session.execute(update(CatalogBatch).where(CatalogBatch.id == batch_id).values(
            handle=sent.handle, check_at=now + timedelta(seconds=FIRST_CHECK_SECONDS)))
        enqueue_after_commit(session, Job.CATALOG_CHECK, batch_id, delay=FIRST_CHECK_SECONDS)
    return True


def _refused_at_once(session: Session, batch_id: int, sent: SentBatch, now: datetime) -> None:
    """Items Meta refused as it took the call leave the batch as failed, with its reasons
    (its later status may not name them again); its warnings are kept on the rows."""
    errors: dict[str, list[str]] = defaultdict(list)
    warnings: dict[str, list[str]] = defaultdict(list)
    for problem in sent.problems:
        (warnings if problem.warning else errors)[problem.retailer_id].append(problem.message)
    if not errors and not warnings:
        return
    rows = session.scalars(select(CatalogItem).where(
        CatalogItem.batch_id == batch_id,
        CatalogItem.retailer_id.in_(list({*errors, *warnings}))))
    for row in rows:
        if row.retailer_id in errors:
            _verdict(row, errors[row.retailer_id], warnings.get(row.retailer_id, []), now)
        else:
            row.warnings = [plain_reason(w, warning=True) for w in warnings[row.retailer_id]]
    batch = session.get(CatalogBatch, batch_id)
    batch.errors += sum(len(v) for v in errors.values())
    batch.warnings += sum(len(v) for v in warnings.values())


def claim_due(session: Session, store: Store, catalog_id: str,
              now: datetime) -> tuple[CatalogBatch | None, list[ItemRequest]]:
    """Claim up to MAX_BATCH_REQUESTS due rows into a new batch (rows another worker holds
    are skipped); returns it with its requests, or (None, []) when nothing is due."""
    due = (CatalogItem.store_id == store.id, CatalogItem.state.in_(_WAITING),
           CatalogItem.due_at <= now, CatalogItem.batch_id.is_(None))
    ids = list(session.scalars(select(CatalogItem.id).where(*due)
                               .order_by(CatalogItem.due_at, CatalogItem.id)
                               .limit(MAX_BATCH_REQUESTS)))
    if not ids:
        return None, []
    batch = CatalogBatch(store_id=store.id, catalog_id=catalog_id, state=BatchState.SENT,
                         sent_at=now)
    session.add(batch)
    session.flush()
    # The claim re-checks every condition: a row another worker took is simply not ours.
    session.execute(
        update(CatalogItem).where(CatalogItem.id.in_(ids), *due)
        .values(state=ItemState.SENDING, batch_id=batch.id,
                # A DELETE's row has no data and an empty hash: its batch_hash is "".
                batch_hash=CatalogItem.content_hash)
        .execution_options(synchronize_session=False))
    requests = []
    for row in session.scalars(select(CatalogItem).where(CatalogItem.batch_id == batch.id)
                               .order_by(CatalogItem.id)):
        if row.data is None:
            requests.append(ItemRequest(Method.DELETE, row.retailer_id))
        else:
            requests.append(ItemRequest(Method.UPDATE, row.retailer_id,
                                        listing_from_data(row.data)))
    if not requests:
        session.delete(batch)
        return None, []
    batch.updates = sum(r.method == Method.UPDATE for r in requests)
    batch.deletes = len(requests) - batch.updates
    return batch, requests


def check_batch(batch_id: int, now: datetime | None = None) -> bool:
    """Poll Meta's verdict on a sent batch and apply it once finished (else poll again
    later, with backoff); True when the verdict was applied."""
    now = now or db.utcnow()
    with db.transaction() as session:
        batch = session.get(CatalogBatch, batch_id)
        if batch is None or batch.state != BatchState.SENT or not batch.handle:
            return False
        store = session.get(Store, batch.store_id)
        catalog = _catalog(session, store)
        if catalog is None or store is None:
            release(session, batch_id, now, "The catalog was disconnected.")
            return False
        if _still_throttled(session, store, now, Job.CATALOG_CHECK, batch_id):
            return False
        catalog_id, handle, store_id = batch.catalog_id, batch.handle, store.id
    try:
        status = catalog.batch_status(catalog_id, handle)
    except CatalogThrottled as exc:
        with db.transaction() as session:
            until = _throttle(session, store_id, exc, now)
            # The next poll is due then (the sweeper leaves the batch alone until it is).
            session.execute(update(CatalogBatch).where(CatalogBatch.id == batch_id)
                            .values(check_at=until))
            enqueue_after_commit(session, Job.CATALOG_CHECK, batch_id, delay=exc.wait_seconds)
        return False
    except CatalogError as exc:
        log.warning("status of catalog batch %s failed: %s", batch_id, exc.reason)
        status = BatchStatus(handle=handle, finished=False)
    with db.transaction() as session:
        if not status.finished:
            _poll_later(session, batch_id, now)
            return False
        return _apply(session, batch_id, status, now)


def _poll_later(session: Session, batch_id: int, now: datetime) -> None:
    batch = session.get(CatalogBatch, batch_id)
    if batch is None or batch.state != BatchState.SENT:
        return
    batch.checks += 1
    if batch.checks >= MAX_BATCH_CHECKS:
        release(session, batch_id, now, "Meta did not finish the batch; its items are resent.")
        enqueue_after_commit(session, Job.CATALOG_SEND, batch.store_id)
        return
    delay = min(FIRST_CHECK_SECONDS * 2 ** batch.checks, MAX_CHECK_INTERVAL_SECONDS)
    batch.check_at = now + timedelta(seconds=delay)
    enqueue_after_commit(session, Job.CATALOG_CHECK, batch_id, delay=delay)


def _apply(session: Session, batch_id: int, status: BatchStatus, now: datetime) -> bool:
    """Apply a finished batch's verdict once (the state change is the claim)."""
    claimed = session.execute(
        update(CatalogBatch).where(CatalogBatch.id == batch_id,
                                   CatalogBatch.state == BatchState.SENT)
        .values(state=BatchState.FINISHED, finished_at=now, checks=CatalogBatch.checks + 1)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return False
    errors: dict[str, list[str]] = defaultdict(list)
    warnings: dict[str, list[str]] = defaultdict(list)
    for problem in status.problems:
        (warnings if problem.warning else errors)[problem.retailer_id].append(problem.message)
    batch = session.get(CatalogBatch, batch_id)
    store_id = batch.store_id
    # The common case in one statement, without loading 5,000 rows: an UPDATE Meta took
    # without a word, on a row unchanged since, is now what Meta holds (as _verdict says).
    clean = [CatalogItem.batch_id == batch_id, CatalogItem.state == ItemState.SENDING,
             CatalogItem.batch_hash != ""]
    if errors or warnings:
        clean.append(CatalogItem.retailer_id.not_in([*errors, *warnings]))
    session.execute(
        update(CatalogItem).where(*clean)
        .values(state=ItemState.SYNCED, reason=None, warnings=[],
                sent_hash=CatalogItem.batch_hash, synced_at=now, batch_id=None,
                batch_hash=None, due_at=None, updated_at=now)
        .execution_options(synchronize_session=False))
    # The rest one by one: refused or warned about, changed meanwhile, DELETEs.
    for row in session.scalars(select(CatalogItem).where(CatalogItem.batch_id == batch_id)):
        _verdict(row, errors.get(row.retailer_id), warnings.get(row.retailer_id, []), now)
    batch.errors += sum(len(v) for v in errors.values())
    batch.warnings += sum(len(v) for v in warnings.values())
    # Rows that changed while this batch was out wait for the next one.
    if session.scalar(select(exists().where(
            CatalogItem.store_id == store_id, CatalogItem.state.in_(_WAITING),
            CatalogItem.batch_id.is_(None)))):
        enqueue_after_commit(session, Job.CATALOG_SEND, store_id, delay=1)
    return True


def _verdict(row: CatalogItem, errors: list[str] | None, warnings: list[str],
             now: datetime) -> None:
    """One row's result: what was sent (batch_hash) is what Meta now has, or refused."""
    unchanged = row.state == ItemState.SENDING
    was_delete = row.batch_hash == ""
    row.warnings = [plain_reason(w, warning=True) for w in warnings]
    if errors:
        if unchanged:
            row.state = ItemState.FAILED
            row.reason = " ".join(plain_reason(e) for e in errors)
    else:
        row.sent_hash = None if was_delete else row.batch_hash
        row.synced_at = now
        if unchanged and was_delete:
            # Kept-out items stay kept out (with their reason); the rest are gone for good.
            kept = row.reason is not None and row.deleted_at is None
            row.state = ItemState.KEPT_OUT if kept else ItemState.DELETED
        elif unchanged:
            row.state, row.reason = ItemState.SYNCED, None
    row.batch_id, row.batch_hash, row.due_at = None, None, (None if unchanged else row.due_at)
    row.updated_at = now


def release(session: Session, batch_id: int, due_at: datetime, error: str) -> None:
    """Give a batch up: its rows wait again (their own intent kept) from `due_at`."""
    session.execute(
        update(CatalogItem).where(CatalogItem.batch_id == batch_id,
                                  CatalogItem.state == ItemState.SENDING)
        .values(state=case((CatalogItem.batch_hash == "", ItemState.DELETING),
                           else_=ItemState.PENDING), due_at=due_at)
        .execution_options(synchronize_session=False))
    session.execute(
        update(CatalogItem).where(CatalogItem.batch_id == batch_id)
        .values(batch_id=None, batch_hash=None)
        .execution_options(synchronize_session=False))
    session.execute(
        update(CatalogBatch).where(CatalogBatch.id == batch_id,
                                   CatalogBatch.state == BatchState.SENT)
        .values(state=BatchState.FAILED, error=error[:2000], finished_at=db.utcnow())
        .execution_options(synchronize_session=False))


def _catalog(session: Session, store: Store | None) -> gateway.CatalogGateway | None:
    if store is None:
        return None
    try:
        return gateway.for_store(session, store)
    except CatalogError as exc:  # connected, but the gateway cannot be built (not wired…)
        log.warning("catalog of store %s unavailable: %s", store.id, exc.reason)
        return None


def _still_throttled(session: Session, store: Store, now: datetime, job: Job,
                     row_id: int) -> bool:
    """Whether Meta asked us to wait; if so, the job is queued again for then."""
    account = gateway.account_for(session, store)
    until = account.catalog_throttled_until if account is not None else None
    if until is None or until <= now:
        return False
    enqueue_after_commit(session, job, row_id, delay=(until - now).total_seconds() + 1)
    return True


def _flag_token(session: Session, store_id: int) -> None:
    """Mark the store's number as needing a new token, as a refused message send does."""
    store = session.get(Store, store_id)
    account = gateway.account_for(session, store) if store is not None else None
    if account is not None:
        account.needs_reauth = True


def _throttle(session: Session, store_id: int, exc: CatalogThrottled,
              now: datetime) -> datetime:
    """Record how long Meta asked this store's catalog to wait; returns until when."""
    until = now + timedelta(seconds=exc.wait_seconds)
    store = session.get(Store, store_id)
    account = gateway.account_for(session, store) if store is not None else None
    if account is not None:
        account.catalog_throttled_until = until
    return until
