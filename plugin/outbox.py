"""Writes to the outbox that follow a claim: each only applies while we hold the lease."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from plugin.domain.outbox import MessageState
from plugin.models import Message

_SENDING = MessageState.SENDING.value


def _while_sending(session: Session, message_id: int, **values: Any) -> bool:
    statement = (
        update(Message)
        .where(Message.id == message_id, Message.state == _SENDING)
        .values(lease_until=None, **values)
        # Each write runs in its own short transaction with no Message loaded in it.
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1


def mark_sent(session: Session, message_id: int, *, wamid: str, transport: str,
              payload: dict[str, Any], now: datetime) -> bool:
    """Record a send the provider accepted."""
    return _while_sending(session, message_id, state=MessageState.SENT.value, wamid=wamid,
                          transport=transport, payload=payload, sent_at=now, reason=None,
                          error_code=None)


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
