"""Conversations as data: every message a customer sends is kept once (unique on its
wamid) in their store's conversation, which opens again and counts it as unread."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.domain import inbox
from plugin.domain.messaging import InboundMessage
from plugin.infra import db, queue
from plugin.infra.sql import insert_ignore
from plugin.models import Conversation, Customer, ReceivedMessage
from plugin.pipeline import conversation_rollups


def conversation_for(session: Session, store_id: int, customer_id: int) -> Conversation:
    """The customer's conversation with the store, made on first need (once, even when two
    deliveries race)."""
    found = session.scalars(select(Conversation).where(
        Conversation.store_id == store_id, Conversation.customer_id == customer_id)).first()
    if found is not None:
        return found
    now = db.utcnow()
    insert_ignore(session, Conversation, {
        "store_id": store_id, "customer_id": customer_id, "status": inbox.Status.OPEN.value,
        "tags": [], "unread": 0, "last_message_at": now, "last_preview": "",
        "created_at": now, "updated_at": now}, ("store_id", "customer_id"))
    return session.scalars(select(Conversation).where(
        Conversation.store_id == store_id, Conversation.customer_id == customer_id)).one()


def _details(message: InboundMessage) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if message.context_wamid:
        details["context_wamid"] = message.context_wamid
    if message.location:
        details["location"] = dict(message.location)
    if message.order:
        details["order"] = dict(message.order)
    if message.referral:
        details["referral"] = dict(message.referral)
    if message.media_type:
        details["media_type"] = message.media_type
    return details


def record(session: Session, store_id: int, customer: Customer,
           message: InboundMessage) -> int | None:
    """Keep one received message in the customer's conversation; its row id, or None when
    that wamid was already kept (a redelivery). Media is fetched by its own job."""
    conversation = conversation_for(session, store_id, customer.id)
    kind = inbox.kind_of(message.kind, message.media_type)
    at = datetime.fromtimestamp(message.timestamp, UTC).replace(tzinfo=None)
    media = kind in inbox.MEDIA_KINDS and bool(message.media_id)
    row_id = insert_ignore(session, ReceivedMessage, {
        "store_id": store_id, "conversation_id": conversation.id, "customer_id": customer.id,
        "wamid": message.wamid[:128], "kind": kind, "text": message.text,
        "payload": message.payload[:256], "details": _details(message), "received_at": at,
        "media_id": message.media_id[:128] if media else None,
        "media_type": message.media_type or None, "media_state": "pending" if media else None,
        "media_mime": None, "media_size": None, "media_path": None, "media_note": None,
        "read_at": None}, ("wamid",))
    if row_id is None:
        return None
    conversation_rollups.received(session, store_id, customer.id, at, kind=kind,
                                  text=message.text, payload=message.payload,
                                  locale=customer.locale)
    # A message wakes a snoozed or resolved conversation: someone has to read it.
    session.execute(update(Conversation).where(Conversation.id == conversation.id).values(
        status=inbox.Status.OPEN.value, snoozed_until=None, unread=Conversation.unread + 1,
        last_message_at=at if at > conversation.last_message_at else
        conversation.last_message_at,
        last_preview=inbox.preview(kind, message.text)[:120], updated_at=db.utcnow()))
    if media:
        queue.enqueue_after_commit(session, queue.Job.INBOX_MEDIA, row_id)
    return row_id


def note_sent(session: Session, store_id: int, customer_id: int, preview: str) -> None:
    """An agent's reply moves the conversation up the list and shows on it."""
    conversation = conversation_for(session, store_id, customer_id)
    now = db.utcnow()
    conversation.last_message_at = now
    conversation.last_preview = preview[:120]
    conversation.updated_at = now
