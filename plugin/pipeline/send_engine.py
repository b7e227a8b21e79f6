"""The batch send engine: a campaign's messages at the number's full rate.

`send_pending` works through one store's pending messages of one cause (a campaign) in
batches. Per batch: one statement leases up to `BATCH_SIZE` due rows (plugin.infra.leases:
UPDATE … RETURNING, with FOR UPDATE SKIP LOCKED on PostgreSQL), a handful of queries load
the policy context of all of them (send_context.load_many), the skipped and deferred are
written back in two executemany statements, the rest take their share of the number's
per-second throughput from the shared limiter (one count per chunk, not per message) and
go out over one pooled client (HTTP/2 where Meta offers it) on `CONCURRENCY` threads, and
the accepted sends are recorded in one executemany per `CONCURRENCY` sends. Failures take
the single send path's handling (send.handle_failure: retry later, fall back to the
template, hold on 131049).

Several engines (threads, processes, machines) may run on the same cause at once: a row
is leased to one of them, and an engine that dies leaves leases that run out. Its sends that
Meta accepted are then known only by Meta's status webhooks (each send carries our id in
`biz_opaque_callback_data`): a lapsed row is held for the reconciliation grace, in which its
status marks it sent (plugin.pipeline.statuses), and only then taken by another engine.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from flask import current_app
from sqlalchemy import select

from adapters.whatsapp.client import CloudClient
from plugin.domain import policy
from plugin.domain.errors import SendError
from plugin.infra import db, queue, ratelimit
from plugin.infra.leases import claim_batch, renew_batch
from plugin.models import Message, Store, WhatsAppAccount
from plugin.pipeline import outbox, sandbox, send, send_context, transports

log = logging.getLogger(__name__)

# Rows leased per statement: big enough that the per-batch queries cost little per
# message, small enough that a batch is sent well within its lease.
BATCH_SIZE = 200
# Sends in flight at once per engine process. More threads wait on Meta's answers in
# parallel, but past ~16 they mostly fight over the GIL: bench/send measured httpx at
# 0.5 ms CPU per request on 8 threads, 0.7 on 16 and 1.8 on 64. For Meta's ~100-300 ms
# answers at 1,000 msg/s, run several engine processes (campaign workers) per number.
CONCURRENCY = 16
# A batch never holds more than this many seconds of the number's throughput, so a slow
# (80 msg/s) number still sends a batch well inside the lease.
MAX_BATCH_SECONDS = 5


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """One leased message the policy let through."""

    id: int
    payload: dict[str, Any]
    marketing: bool
    attempts: int
    order_id: int | None


@dataclass(slots=True)
class _Batch:
    """What a batch sends, through which transport, at what rate, and until when its
    leases are ours (renewed before each chunk, so a slow batch never loses its rows)."""

    outgoing: list[_Outgoing]
    transport: transports.Transport
    throughput: int
    receipts: bool
    lease_until: datetime
    lease_seconds: int


def send_pending(*, store_id: int, cause: str, limit: int) -> int:
    """Lease and send up to `limit` due pending messages of `store_id` with `cause` (e.g.
    "campaign:12"), in batches; how many were sent. Skipped messages get their reason,
    deferred ones their not_before; safe to run in several workers at once."""
    settings = current_app.config["STORECHAT"]
    sent = claimed = 0
    while claimed < limit:
        now = db.utcnow()
        with db.transaction() as session:
            store = session.get(Store, store_id)
            if store is None:
                return sent
            account = session.scalars(select(WhatsAppAccount).where(
                WhatsAppAccount.store_id == store_id).limit(1)).first()
            throughput = account.throughput_mps if account else 80
            size = min(BATCH_SIZE, limit - claimed, max(1, throughput * MAX_BATCH_SECONDS))
            ids = claim_batch(session, store_id=store_id, cause=cause, now=now,
                              lease_seconds=settings.lease_seconds, limit=size,
                              grace_seconds=settings.reconcile_grace_seconds)
        if not ids:
            break
        claimed += len(ids)
        batch = _decide(ids, store_id, now, settings.lease_seconds)
        if batch is not None:
            sent += _send(batch)
    return sent


def _decide(ids: list[int], store_id: int, now: datetime, lease_seconds: int) -> _Batch | None:
    """Check the policy for the leased `ids` at once; write back the skipped and deferred;
    what may be sent, or None when nothing may."""
    with db.transaction() as session:
        store = session.get(Store, store_id)
        assert store is not None
        account = session.scalars(select(WhatsAppAccount).where(
            WhatsAppAccount.store_id == store_id).limit(1)).first()
        # Plain rows, not mapped objects: building an ORM object cost more than the rest
        # of a message's policy check (bench/send).
        # In id order, so the sends are recorded (and their rows locked) in id order, as
        # a delivery of statuses locks them (plugin.pipeline.statuses): no deadlock.
        messages: list[Any] = list(session.execute(
            select(Message.__table__).where(Message.__table__.c.id.in_(ids))
            .order_by(Message.__table__.c.id)))
        contexts = send_context.load_many(session, messages, store, now)
        closed = [m.id for m in messages if m.template is None and m.fallback
                  and not policy.window_open(contexts[m.id].last_inbound_at, now)]
        if closed:
            # The shopper's window closed since these replies were written: their templates.
            mapped = list(session.scalars(select(Message).where(Message.id.in_(closed))))
            for message in mapped:
                send.use_fallback(message)
            session.flush()
            contexts.update(send_context.load_many(session, mapped, store, now))
            by_id = {m.id: m for m in mapped}
            messages = [by_id.get(m.id, m) for m in messages]
        skipped: list[tuple[int, str]] = []
        deferred: list[tuple[int, str, datetime]] = []
        outgoing: list[_Outgoing] = []
        for message in messages:
            decision = policy.decide(contexts[message.id])
            if decision.defer is not None:
                deferred.append((message.id, decision.reason, now + decision.defer))
            elif not decision.send:
                skipped.append((message.id, decision.reason))
            else:
                outgoing.append(_Outgoing(
                    id=message.id, marketing=contexts[message.id].marketing,
                    payload=dict(message.payload,
                                 biz_opaque_callback_data=f"storechat:{message.id}"),
                    attempts=message.attempts, order_id=message.order_id))
        outbox.skip_many(session, skipped)
        outbox.defer_many(session, deferred)
        if not outgoing:
            return None
        transport = transports.for_account(session, account, store, client=_client())
        return _Batch(outgoing=outgoing, transport=transport,
                      throughput=account.throughput_mps if account else 80,
                      receipts=sandbox.plays_receipts(store.platform, transport.name),
                      lease_until=now + timedelta(seconds=lease_seconds),
                      lease_seconds=lease_seconds)


def _send(batch: _Batch) -> int:
    """Send the batch within the number's shared rate; record what happened. How many sent."""
    pool = _pool()
    waiting = list(batch.outgoing)
    sent = 0
    while waiting:
        granted = len(waiting)
        if batch.transport.name != "sandbox":
            granted, wait = ratelimit.take_sends(batch.transport.sender_id, batch.throughput,
                                                 len(waiting))
            if not granted:
                time.sleep(wait or 0.01)
                continue
        taken, waiting = waiting[:granted], waiting[granted:]
        # Recorded every CONCURRENCY sends: an engine killed mid-batch can leave at most
        # that many sent-but-unrecorded rows, which the next engine would send again.
        for start in range(0, len(taken), CONCURRENCY):
            held = _renew(batch, taken[start:] + waiting)
            chunk = [item for item in taken[start:start + CONCURRENCY] if item.id in held]
            waiting = [item for item in waiting if item.id in held]
            results = list(pool.map(lambda item: _post(batch.transport, item), chunk))
            sent += _record(batch, results)
    return sent


def _renew(batch: _Batch, rows: list[_Outgoing]) -> set[int]:
    """Renew the leases of the batch's rows still to go; the ids we still hold (a row whose
    lease another engine took is never sent by us)."""
    until = db.utcnow() + timedelta(seconds=batch.lease_seconds)
    with db.transaction() as session:
        held = set(renew_batch(session, [item.id for item in rows],
                               held_until=batch.lease_until, until=until))
    if len(held) < len(rows):
        log.warning("%d leased messages were taken over by another engine",
                    len(rows) - len(held))
    batch.lease_until = until
    return held


_Result = tuple[_Outgoing, str | None, SendError | None, datetime]


def _post(transport: transports.Transport, item: _Outgoing) -> _Result:
    at = db.utcnow()  # sent_at: when it went, not when its chunk was recorded
    try:
        wamid = (transport.send_marketing(item.payload) if item.marketing
                 else transport.send(item.payload))
    except SendError as error:
        return item, None, error, at
    return item, wamid, None, at


def _record(batch: _Batch, results: list[_Result]) -> int:
    accepted = [(item.id, wamid, at) for item, wamid, _, at in results if wamid]
    with db.transaction() as session:
        recorded = outbox.mark_sent_many(session, accepted, transport=batch.transport.name)
        if recorded != len(accepted):
            # Meta's `sent` status may have come first (it moved the row on); any other
            # row's lease ran out mid-send and another engine took over: a duplicate may
            # follow. Leases are sized to make this rare; log it so it is never silent.
            reported = outbox.adopt_reported(session, [(i, w) for i, w, _ in accepted],
                                             transport=batch.transport.name)
            if recorded + reported < len(accepted):
                log.warning("%d of %d sends were recorded after their lease expired",
                            len(accepted) - recorded - reported, len(accepted))
        for item, wamid, _, _ in results:
            if wamid and item.order_id is not None:
                queue.enqueue_after_commit(session, queue.Job.AUDIT_MESSAGE, item.id)
            if wamid and batch.receipts:
                sandbox.queue_receipts(session, item.id)
    for item, _, error, _ in results:
        if error is not None:
            send.handle_failure(item.id, error, item.attempts)
    return len(accepted)


_LOCK = threading.Lock()


def _client() -> CloudClient:
    """This process's engine client: pooled, HTTP/2 where the server offers it (TLS ALPN;
    a plain-HTTP fake answers HTTP/1.1), as many connections as sends in flight."""
    extensions = current_app.extensions
    with _LOCK:
        if "storechat.send_engine.cloud" not in extensions:
            settings = current_app.config["STORECHAT"]
            http = httpx.Client(http2=True, limits=httpx.Limits(
                max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY))
            extensions["storechat.send_engine.cloud"] = CloudClient(
                http, settings.whatsapp_graph_url, settings.whatsapp_api_version)
        return extensions["storechat.send_engine.cloud"]


def _pool() -> ThreadPoolExecutor:
    """This process's sending threads."""
    extensions = current_app.extensions
    with _LOCK:
        if "storechat.send_engine.pool" not in extensions:
            extensions["storechat.send_engine.pool"] = ThreadPoolExecutor(
                max_workers=CONCURRENCY, thread_name_prefix="send-engine")
        return extensions["storechat.send_engine.pool"]

