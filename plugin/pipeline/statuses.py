"""Applying Meta's delivery statuses to the outbox, a delivery's worth at once.

Each status moves its message forward, never back (`domain.outbox.after_status`), keeps the
time of the first report of each status even when the state does not move (statuses come
out of order: a `delivered` after its `read`), and a `failed` keeps Meta's code and a reason.
A message is found by its wamid, or by our id echoed in `biz_opaque_callback_data`.

Reconciliation: a status for a message still pending or sending is a send we never recorded
(its worker died after Meta accepted it, or Meta's webhook overtook its answer): the message
moves on with that wamid and is never sent again (see leases.claim_message's grace).

One delivery batches many statuses (Meta sends up to hundreds per body at full speed): they
cost one locking read and one executemany, not three statements each. The rows are locked in
id order, as the send engine records its sends, so the two never deadlock.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from plugin.domain.messaging import DeliveryStatus, StatusUpdate
from plugin.domain.outbox import MessageState, after_status
from plugin.models import Message
from plugin.pipeline import rollups

_MESSAGES = Message.__table__
_C = _MESSAGES.c

_REPORTED = {
    DeliveryStatus.SENT: MessageState.SENT,
    DeliveryStatus.DELIVERED: MessageState.DELIVERED,
    DeliveryStatus.READ: MessageState.READ,
    DeliveryStatus.FAILED: MessageState.FAILED,
}
# The column that keeps when Meta reported each status; the first report of each wins.
_STAMPS = {
    MessageState.SENT: "sent_at",
    MessageState.DELIVERED: "delivered_at",
    MessageState.READ: "read_at",
    MessageState.FAILED: "failed_at",
}
_UNSENT = (MessageState.PENDING, MessageState.SENDING)
_CALLBACK_PREFIX = "storechat:"


@dataclass(slots=True)
class _Row:
    """One message as read, and what the delivery's statuses do to it."""

    id: int
    key: rollups.MessageKey
    read_state: MessageState
    state: MessageState
    stamps: dict[str, datetime] = field(default_factory=dict)
    wamid: str | None = None  # set when reconciling a send we never recorded
    error_code: int | None = None
    reason: str | None = None
    moves: list[tuple[MessageState, MessageState, str]] = field(default_factory=list)


def apply_many(session: Session, statuses: Sequence[StatusUpdate]) -> None:
    """Apply a delivery's statuses, in order, to the messages they name (unknown ones are
    ignored), and count each move once."""
    known = [s for s in statuses if s.status in _REPORTED]
    if not known:
        return
    rows = _lock(session, known)
    by_wamid = {wamid: row for row, wamid in rows.values() if wamid}
    by_id = {row.id: row for row, _ in rows.values()}
    for status in known:
        row = by_wamid.get(status.wamid) or by_id.get(_callback_id(status) or -1)
        if row is not None:
            _fold(row, status)
            if row.wamid is not None:  # reconciled: later statuses may name the wamid only
                by_wamid.setdefault(row.wamid, row)
    changed = [row for row, _ in rows.values() if row.stamps or row.moves]
    if changed:
        session.execute(_APPLY, [_params(row) for row in changed])
    rollups.moved_each(session, [(row.key, old, new, detail) for row in changed
                                 for old, new, detail in row.moves])


def _callback_id(status: StatusUpdate) -> int | None:
    data = status.callback_data
    if data.startswith(_CALLBACK_PREFIX) and data[len(_CALLBACK_PREFIX):].isdigit():
        return int(data[len(_CALLBACK_PREFIX):])
    return None


def _lock(session: Session, statuses: list[StatusUpdate]) -> dict[int, tuple[_Row, str | None]]:
    """The messages the statuses name, read and locked (PostgreSQL; SQLite's writer lock
    is already the job's) in id order: id → (row, its wamid)."""
    wamids = {s.wamid for s in statuses}
    ids = {i for i in (_callback_id(s) for s in statuses) if i is not None}
    found = session.execute(
        select(_C.id, _C.state, _C.wamid, _C.store_id, _C.cause, _C.step, _C.created_at)
        .where(or_(_C.wamid.in_(wamids), _C.id.in_(ids)) if ids else _C.wamid.in_(wamids))
        .order_by(_C.id).with_for_update())
    return {r.id: (_Row(id=r.id, key=(r.store_id, r.cause, r.step, r.created_at),
                        read_state=MessageState(r.state), state=MessageState(r.state)),
                   r.wamid) for r in found}


def _fold(row: _Row, status: StatusUpdate) -> None:
    """One status's effect on the row, after those before it in the delivery."""
    reported = _REPORTED[status.status]
    row.stamps.setdefault(_STAMPS[reported],
                          datetime.fromtimestamp(status.timestamp, UTC).replace(tzinfo=None))
    current = row.state
    new = after_status(current, reported)
    if new is current:
        return
    if current in _UNSENT and row.wamid is None:
        row.wamid = status.wamid  # reconciled: sent, under this wamid
    detail = ""
    if new is MessageState.FAILED:
        row.error_code = status.error_code
        row.reason = (": ".join(v for v in (status.error_title, status.error_detail) if v)
                      or "WhatsApp reported the message as failed")[:255]
        detail = rollups.detail_of(new, status.error_code, row.reason)
    row.moves.append((current, new, detail))
    row.state = new


def _params(row: _Row) -> dict[str, Any]:
    return {"row_id": row.id, "read_state": row.read_state.value, "new_state": row.state.value,
            "new_wamid": row.wamid, "reconciled": row.wamid is not None,
            "failing": row.reason is not None, "new_code": row.error_code,
            "new_reason": row.reason,
            **{f"new_{column}": row.stamps.get(column) for column in _STAMPS.values()}}


# Built once: every delivery of statuses runs it. COALESCE keeps the first report of each
# time (and a wamid already recorded); the state read under the lock is the state moved.
_APPLY = (
    update(_MESSAGES)
    .where(_C.id == bindparam("row_id"), _C.state == bindparam("read_state"))
    .values(
        state=bindparam("new_state"),
        wamid=func.coalesce(_C.wamid, bindparam("new_wamid", type_=String)),
        lease_until=case((bindparam("reconciled", type_=Boolean), None),
                         else_=_C.lease_until),
        error_code=case((bindparam("failing", type_=Boolean),
                         bindparam("new_code", type_=Integer)), else_=_C.error_code),
        reason=case((bindparam("failing", type_=Boolean), bindparam("new_reason", type_=String)),
                    else_=_C.reason),
        **{column: func.coalesce(_C[column], bindparam(f"new_{column}", type_=DateTime))
           for column in _STAMPS.values()},
    )
)
