"""Writes to the outbox: `write` adds a message once; the rest follow a claim and each only
applies while we hold the lease."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.infra.sql import insert_ignore
from plugin.models import Message
from plugin.pipeline import conversation_rollups, rollups

_SENDING = MessageState.SENDING.value
# The table, not the mapped class: these UPDATEs need none of the ORM's bulk-update work
# (no objects to synchronise), which cost more than the statement itself on every send.
_MESSAGES = Message.__table__


def order_cause(platform_order_id: str) -> str:
    """The cause of every message about one order: with the step, it keeps each once."""
    return f"order:{platform_order_id}"


def write(session: Session, *, store_id: int, cause: str, step: str, to: str,
          payload: Mapping[str, Any], template: str | None = None,
          customer_id: int | None = None, order_id: int | None = None,
          fallback: Mapping[str, Any] | None = None, delay_seconds: float = 0,
          skipped: str | None = None) -> int | None:
    """Add one message to the outbox, once per (store, cause, step): the new row's id, or
    None when that message was already written (a redelivery or a second tap).

    It starts pending, due after `delay_seconds`; with `skipped` (a reason the owner reads)
    it is recorded as skipped instead and never sent.
    """
    now = db.utcnow()
    state = MessageState.PENDING if skipped is None else MessageState.SKIPPED
    message_id = insert_ignore(session, Message, {
        "store_id": store_id, "customer_id": customer_id, "order_id": order_id,
        "cause": cause, "step": step, "to": to, "template": template,
        "payload": dict(payload), "fallback": dict(fallback) if fallback else None,
        "state": state.value, "reason": skipped[:255] if skipped else None, "attempts": 0,
        "not_before": now + timedelta(seconds=delay_seconds) if delay_seconds else None,
        "created_at": now, "enqueued_at": now,
    }, ("store_id", "cause", "step"))
    if message_id is not None and skipped is None:
        # A reply to a shopper stops their reply clock when it is written.
        conversation_rollups.replied(session, store_id, customer_id, cause, step, now)
    if message_id is not None and skipped is not None:
        rollups.moved(session, (store_id, cause, step, now), None, state,
                      rollups.detail_of(state, None, skipped))
    return message_id


def write_many(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Add many template messages of one store and step at once, each once per (store,
    cause, step) as `write` does; cause → id of each row now in the outbox (new or not).

    Each row holds store_id, customer_id, cause, step, to, template and payload (and may
    set state and reason, for one recorded as skipped); all rows share store_id and step.
    For a release of thousands of alerts, where one statement per message would cost more
    than the messages themselves.
    """
    if not rows:
        return {}
    now = db.utcnow()
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    insert = module.insert(_MESSAGES).on_conflict_do_nothing(
        index_elements=["store_id", "cause", "step"])
    values = [{"order_id": None, "fallback": None, "state": MessageState.PENDING.value,
               "reason": None, "attempts": 0, "not_before": None, "created_at": now,
               "enqueued_at": now, **row, "payload": dict(row["payload"])} for row in rows]
    if any(row.get("state") == MessageState.SKIPPED.value for row in rows):
        # Only the rows new now are counted: RETURNING names them (a redelivery adds none).
        new = session.execute(insert.returning(
            _MESSAGES.c.cause, _MESSAGES.c.state, _MESSAGES.c.reason), values)
        for cause, state, reason in new:
            if state == MessageState.SKIPPED.value:
                rollups.moved(session, (rows[0]["store_id"], cause, rows[0]["step"], now),
                              None, MessageState.SKIPPED,
                              rollups.detail_of(MessageState.SKIPPED, None, reason))
    else:
        session.execute(insert, values)
    found = session.execute(select(_MESSAGES.c.cause, _MESSAGES.c.id).where(
        _MESSAGES.c.store_id == rows[0]["store_id"], _MESSAGES.c.step == rows[0]["step"],
        _MESSAGES.c.cause.in_([row["cause"] for row in rows])))
    return {cause: message_id for cause, message_id in found}


# What the rollups need of a message that moved, returned by the UPDATE that moved it.
_KEY_COLUMNS = (_MESSAGES.c.store_id, _MESSAGES.c.cause, _MESSAGES.c.step,
                _MESSAGES.c.created_at)


def _while_sending(session: Session, message_id: int, **values: Any) -> rollups.MessageKey | None:
    statement = (
        update(_MESSAGES)
        .where(_MESSAGES.c.id == message_id, _MESSAGES.c.state == _SENDING)
        .values(lease_until=None, **values)
        .returning(*_KEY_COLUMNS)
    )
    row = session.execute(statement).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


# Every send ends here: built once, so that a send pays only for running it.
_MARK_SENT = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"), _MESSAGES.c.state == _SENDING)
    .values(state=MessageState.SENT.value, lease_until=None, reason=None, error_code=None,
            wamid=bindparam("sent_wamid"), transport=bindparam("sent_transport"),
            payload=bindparam("sent_payload"), sent_at=bindparam("sent_at_time"))
    .returning(*_KEY_COLUMNS)
)


def mark_sent(session: Session, message_id: int, *, wamid: str, transport: str,
              payload: dict[str, Any], now: datetime) -> bool:
    """Record a send the provider accepted (and count it); False if it was not ours."""
    row = session.execute(_MARK_SENT, {
        "message_id": message_id, "sent_wamid": wamid, "sent_transport": transport,
        "sent_payload": payload, "sent_at_time": now}).first()
    if row is None:
        return False
    rollups.moved(session, (row[0], row[1], row[2], row[3]), MessageState.SENDING,
                  MessageState.SENT)
    return True


def release(session: Session, message_id: int, *, not_before: datetime, reason: str,
            code: int | None, now: datetime) -> bool:
    """Give a message back to pending, to be tried again from `not_before`."""
    return _while_sending(session, message_id, state=MessageState.PENDING.value,
                          not_before=not_before, reason=reason[:255], error_code=code,
                          enqueued_at=now) is not None


def finish(session: Session, message_id: int, state: MessageState, *, reason: str,
           code: int | None = None) -> bool:
    """End a message as failed or skipped, keeping a reason the owner can read (and count
    it); False if it was not ours."""
    assert state in (MessageState.FAILED, MessageState.SKIPPED)
    key = _while_sending(session, message_id, state=state.value, reason=reason[:255],
                         error_code=code)
    if key is None:
        return False
    rollups.moved(session, key, MessageState.SENDING, state,
                  rollups.detail_of(state, code, reason))
    return True


def mark_sent_many(session: Session, sent: list[tuple[int, str, datetime]], *,
                   transport: str) -> int:
    """Record many accepted sends (id, wamid, when sent) in one executemany; how many were
    still ours (leased) to record. The body stays as written: its callback data is
    `storechat:<id>`, known without storing it again."""
    if not sent:
        return 0
    result = session.execute(_MARK_SENT_MANY, [
        {"message_id": message_id, "sent_wamid": wamid, "sent_transport": transport,
         "sent_at_time": at} for message_id, wamid, at in sent])
    # A row Meta's status recorded first holds our wamid too, but no transport: counted then.
    _count_batch(session, {message_id: wamid for message_id, wamid, _ in sent},
                 _MESSAGES.c.wamid, MessageState.SENT, _MESSAGES.c.transport.is_not(None))
    return int(result.rowcount)


def _count_batch(session: Session, expected: dict[int, str], column: Any,
                 new: MessageState, *also: Any) -> None:
    """Count the batch's messages that the executemany moved: those whose `column` now
    holds what this batch wrote (a wamid is new with each send; a lease is ours alone).
    One read per batch, since an executemany cannot say which of its rows it changed, and
    one upsert per (day, flow, detail) of the batch."""
    found = session.execute(select(*_KEY_COLUMNS, _MESSAGES.c.id, column).where(
        _MESSAGES.c.id.in_(list(expected)), _MESSAGES.c.state == new.value, *also))
    by_detail: dict[str, list[rollups.MessageKey]] = {}
    for store_id, cause, step, created, message_id, value in found:
        if value == expected[message_id]:
            detail = rollups.detail_of(new, None, value) if new is MessageState.SKIPPED else ""
            by_detail.setdefault(detail, []).append((store_id, cause, step, created))
    for detail, keys in by_detail.items():
        rollups.moved_many(session, keys, MessageState.SENDING, new, detail)


_MARK_SENT_MANY = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"), _MESSAGES.c.state == _SENDING)
    .values(state=MessageState.SENT.value, lease_until=None, reason=None, error_code=None,
            wamid=bindparam("sent_wamid"), transport=bindparam("sent_transport"),
            sent_at=bindparam("sent_at_time"))
)


# A batch's skips and deferrals, each with its own reason (and time): built once.
_FINISH_MANY = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"), _MESSAGES.c.state == _SENDING)
    .values(state=bindparam("new_state"), lease_until=None, reason=bindparam("new_reason"),
            not_before=bindparam("new_not_before"))
)


def skip_many(session: Session, skipped: list[tuple[int, str]]) -> None:
    """End many leased messages as skipped, each with the reason the owner reads."""
    if skipped:
        session.execute(_FINISH_MANY, [
            {"message_id": message_id, "new_state": MessageState.SKIPPED.value,
             "new_reason": reason[:255], "new_not_before": None}
            for message_id, reason in skipped])
        _count_batch(session, {message_id: reason[:255] for message_id, reason in skipped},
                     _MESSAGES.c.reason, MessageState.SKIPPED)


def defer_many(session: Session, deferred: list[tuple[int, str, datetime]]) -> None:
    """Give many leased messages back to pending, each due again at its own time."""
    if deferred:
        session.execute(_FINISH_MANY, [
            {"message_id": message_id, "new_state": MessageState.PENDING.value,
             "new_reason": reason[:255], "new_not_before": not_before}
            for message_id, reason, not_before in deferred])


# Compared one by one: an IN list cannot be a parameter of an executemany.
_REPORTED = or_(*(_MESSAGES.c.state == s.value for s in (
    MessageState.SENT, MessageState.DELIVERED, MessageState.READ)))


def adopt_reported(session: Session, sent: list[tuple[int, str]], *, transport: str) -> int:
    """Of sends (id, wamid), note the transport of those Meta's status webhook recorded
    first (same wamid, no transport yet: plugin.pipeline.statuses reconciles them);
    how many. Rows we recorded ourselves already have theirs and are not counted."""
    if not sent:
        return 0
    result = session.execute(_ADOPT, [{"message_id": message_id, "sent_wamid": wamid,
                                       "sent_transport": transport}
                                      for message_id, wamid in sent])
    return int(result.rowcount)


# Only the transport is missing: the status set the state, wamid and sent_at, and counted it.
_ADOPT = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"), _REPORTED,
           _MESSAGES.c.wamid == bindparam("sent_wamid"), _MESSAGES.c.transport.is_(None))
    .values(transport=bindparam("sent_transport"))
)
