"""Writes to the outbox that follow a claim: each only applies while we hold the lease."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from plugin.domain.outbox import MessageState
from plugin.models import Message

_SENDING = MessageState.SENDING.value
# The table, not the mapped class: these UPDATEs need none of the ORM's bulk-update work
# (no objects to synchronise), which cost more than the statement itself on every send.
_MESSAGES = Message.__table__


def _while_sending(session: Session, message_id: int, **values: Any) -> bool:
    statement = (
        update(_MESSAGES)
        .where(_MESSAGES.c.id == message_id, _MESSAGES.c.state == _SENDING)
        .values(lease_until=None, **values)
    )
    return session.execute(statement).rowcount == 1


# Every send ends here: built once, so that a send pays only for running it.
_MARK_SENT = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"), _MESSAGES.c.state == _SENDING)
    .values(state=MessageState.SENT.value, lease_until=None, reason=None, error_code=None,
            wamid=bindparam("sent_wamid"), transport=bindparam("sent_transport"),
            payload=bindparam("sent_payload"), sent_at=bindparam("sent_at_time"))
)


def mark_sent(session: Session, message_id: int, *, wamid: str, transport: str,
              payload: dict[str, Any], now: datetime) -> bool:
    """Record a send the provider accepted."""
    return session.execute(_MARK_SENT, {
        "message_id": message_id, "sent_wamid": wamid, "sent_transport": transport,
        "sent_payload": payload, "sent_at_time": now}).rowcount == 1


def release(session: Session, message_id: int, *, not_before: datetime, reason: str,
            code: int | None, now: datetime) -> bool:
    """Give a message back to pending, to be tried again from `not_before`."""
    return _while_sending(session, message_id, state=MessageState.PENDING.value,
                          not_before=not_before, reason=reason[:255], error_code=code,
                          enqueued_at=now)


def finish(session: Session, message_id: int, state: MessageState, *, reason: str,
           code: int | None = None) -> bool:
    """End a message as failed or skipped, keeping a reason the owner can read."""
    assert state in (MessageState.FAILED, MessageState.SKIPPED)
    return _while_sending(session, message_id, state=state.value, reason=reason[:255],
                          error_code=code)
