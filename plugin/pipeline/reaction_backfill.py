"""What shoppers did after a message, for messages from before it was kept on their rows
(`clicked_at`, `replied_at`, `opted_out_at`): replayed from the raw records through the live
functions of plugin.pipeline.reactions, in time order — each flow's recorded clicks of a
message's link (touches' click tables), the messages shoppers sent (`received_messages`)
and their opt-outs (the consent log's STOPs and Meta's stop-marketing entries).

Only what is missing is filled: the events before the store's first kept reaction of each
kind. Those after it were put down live, and a replay of them could differ where a message
changed since (one reported failed no longer takes replies); those before it were either
from before the upgrade or found no message live, and find the same now. The reactions'
own conditional updates keep each message's first, so a second run changes nothing. The
message rollups are recounted from the rows afterwards (rollups.backfill).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.models import ConsentEntry, Message, ReceivedMessage
from plugin.pipeline import reactions, touches

# Consent entries that put an opt-out down to a message (conversations._record_consent).
_OPT_OUT_SOURCES = ("whatsapp_stop", "whatsapp_preference")


@dataclass(frozen=True, slots=True)
class Written:
    """How many messages the replay gave a first click, reply or opt-out."""

    clicked: int = 0
    replied: int = 0
    opted_out: int = 0


def backfill(session: Session, store_id: int) -> Written:
    """Replay the store's clicks, replies and opt-outs from before its first kept one."""
    return Written(clicked=_clicks(session, store_id), replied=_replies(session, store_id),
                   opted_out=_opt_outs(session, store_id))


def _first_kept(session: Session, store_id: int, column: object) -> datetime | None:
    return session.scalar(select(func.min(column)).where(  # type: ignore[call-overload]
        Message.store_id == store_id))


def _clicks(session: Session, store_id: int) -> int:
    until = _first_kept(session, store_id, Message.clicked_at)
    firsts: dict[int, datetime] = {}
    for table in touches.CLICK_TABLES:
        query = (select(table.message_id, func.min(table.clicked_at))
                 .join(Message, Message.id == table.message_id)
                 .where(Message.store_id == store_id, table.clicked_at.is_not(None))
                 .group_by(table.message_id))
        for message_id, at in session.execute(query):
            if until is None or at < until:
                firsts[message_id] = min(at, firsts.get(message_id, at))
    return sum(reactions.clicked(session, message_id, at)
               for message_id, at in sorted(firsts.items(), key=lambda m: (m[1], m[0])))


def _replies(session: Session, store_id: int) -> int:
    until = _first_kept(session, store_id, Message.replied_at)
    query = (select(ReceivedMessage.customer_id, ReceivedMessage.received_at)
             .where(ReceivedMessage.store_id == store_id)
             .order_by(ReceivedMessage.received_at, ReceivedMessage.id))
    if until is not None:
        query = query.where(ReceivedMessage.received_at < until)
    # Only messages written before it: the answers to it were written after it arrived
    # (Meta stamps whole seconds, so an answer is never before its stamp), and the live
    # path had put it down before they existed.
    return sum(reactions.replied(session, store_id, customer_id, at, written_before=at) is not None
               for customer_id, at in session.execute(query).all())


def _opt_outs(session: Session, store_id: int) -> int:
    until = _first_kept(session, store_id, Message.opted_out_at)
    query = (select(ConsentEntry.customer_id, ConsentEntry.created_at)
             .where(ConsentEntry.store_id == store_id, ConsentEntry.granted.is_(False),
                    ConsentEntry.source.in_(_OPT_OUT_SOURCES))
             .order_by(ConsentEntry.created_at, ConsentEntry.id))
    if until is not None:
        query = query.where(ConsentEntry.created_at < until)
    return sum(reactions.opted_out(session, store_id, customer_id, at, written_before=at)
               is not None for customer_id, at in session.execute(query).all())
