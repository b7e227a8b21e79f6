"""What a shopper did after a message: opened its tracked link, wrote back, or opted out.

Each is kept once per message, on the message's row (`clicked_at`, `replied_at`,
`opted_out_at`, set by one conditional UPDATE so that a second click or reply, or two at
once, change nothing), and counted in the analytics rollups in the same transaction as the
click, the inbound message or the consent entry that records it.

A click names its message (the link's token leads to it; an order's tracking button, one
token for all the order's messages, counts on the last of them that carried it). A reply or
an opt-out is put down to the last message that reached the shopper (sent, and not reported
failed) in the REACTION_WINDOW before it; an opt-out passes over the question that confirms
an opt-out. A reply to a message already replied to counts nothing more: it is not handed to
an older one.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.domain.message_flows import (
    REACTION_CLOCK_SLACK,
    REACTION_WINDOW,
    Figure,
    takes_opt_outs,
)
from plugin.domain.outbox import MessageState
from plugin.models import Message
from plugin.pipeline import rollups

# The most recent messages looked at for an opt-out: the question it passes over is one.
_CANDIDATES = 5
_COLUMNS = {Figure.CLICKED: Message.clicked_at, Figure.REPLIED: Message.replied_at,
            Figure.OPTED_OUT: Message.opted_out_at}


def clicked(session: Session, message_id: int, at: datetime) -> bool:
    """Keep the message's first click and count it; True when this was the first."""
    return _first(session, message_id, Figure.CLICKED, at)


def order_link_clicked(session: Session, order_id: int, token: str,
                       at: datetime) -> int | None:
    """Count a click of an order's tracking button (one token for all the order's
    messages) on the last message of the order sent before it that carries the token; that
    message's id, or None when none does or it was already clicked."""
    rows = session.execute(
        select(Message.id, Message.payload)
        .where(Message.order_id == order_id, Message.wamid.is_not(None),
               Message.sent_at.is_not(None), Message.sent_at <= at + REACTION_CLOCK_SLACK)
        .order_by(Message.sent_at.desc(), Message.id.desc()))
    for message_id, payload in rows:
        if _names(payload, token):
            return message_id if _first(session, message_id, Figure.CLICKED, at) else None
    return None


def _names(value: object, token: str) -> bool:
    """Whether a message's stored body holds the token as one of its values."""
    if isinstance(value, dict):
        return any(_names(v, token) for v in value.values())
    if isinstance(value, list):
        return any(_names(v, token) for v in value)
    return value == token


def replied(session: Session, store_id: int, customer_id: int, at: datetime,
            written_before: datetime | None = None) -> int | None:
    """Put a message from the customer at `at` down to the last message they received
    before it and count it once; that message's id, or None when there is none in the
    window or it was already replied to. A replay of the past names `written_before` (the
    reply's own time): only messages written before it existed when the reply was put down
    live (not the answers to it, written after it arrived)."""
    return _attribute(session, store_id, customer_id, at, Figure.REPLIED, written_before)


def opted_out(session: Session, store_id: int, customer_id: int, at: datetime,
              written_before: datetime | None = None) -> int | None:
    """Put the customer's opt-out at `at` down to the last message they received before it
    (not the opt-out question) and count it once; that message's id, or None. `written_before`
    as for `replied`."""
    return _attribute(session, store_id, customer_id, at, Figure.OPTED_OUT, written_before)


def _attribute(session: Session, store_id: int, customer_id: int, at: datetime,
               figure: Figure, written_before: datetime | None) -> int | None:
    query = (
        select(Message.id, Message.cause)
        .where(Message.store_id == store_id, Message.customer_id == customer_id,
               Message.wamid.is_not(None), Message.sent_at.is_not(None),
               Message.state != MessageState.FAILED.value,
               Message.sent_at > at - REACTION_WINDOW,
               Message.sent_at <= at + REACTION_CLOCK_SLACK)
        .order_by(Message.sent_at.desc(), Message.id.desc()).limit(_CANDIDATES))
    if written_before is not None:
        query = query.where(Message.created_at < written_before)
    rows = session.execute(query)
    for message_id, cause in rows:
        if figure is Figure.OPTED_OUT and not takes_opt_outs(cause):
            continue
        return message_id if _first(session, message_id, figure, at) else None
    return None


def _first(session: Session, message_id: int, figure: Figure, at: datetime) -> bool:
    column = _COLUMNS[figure]
    result: Any = session.execute(
        update(Message).where(Message.id == message_id, column.is_(None))
        .values({column: at})
        .returning(Message.store_id, Message.cause, Message.step, Message.created_at)
        .execution_options(synchronize_session=False))
    key = result.first()
    if key is None:
        return False
    rollups.reached(session, (key.store_id, key.cause, key.step, key.created_at), figure)
    return True
