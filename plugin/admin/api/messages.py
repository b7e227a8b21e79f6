"""Messages: the outbox and its history, with the text as the shopper reads it, the state,
and why a message failed or was not sent, in the words the admin's message log uses."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from spectree import Tag
from sqlalchemy import select

from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, StoreQuery, after_cursor, utc
from plugin.admin.message_views import MessageRow, message_rows_where
from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.infra.ids import MAX_ROW_ID
from plugin.models import Message

TAG = Tag(name="messages", description="WhatsApp messages and what became of them.")


class MessageQuery(ListQuery):
    """Filters of the message list."""

    state: MessageState | None = Field(default=None, description="Only messages in this "
                                       "state.")
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID,
                                    description="Only messages to this customer.")
    order_id: int | None = Field(default=None, ge=1, le=MAX_ROW_ID,
                                 description="Only messages about this order.")


class MessageOut(BaseModel):
    """A message and what became of it."""

    id: int
    customer_id: int | None
    order_id: int | None
    order_number: str
    step: str = Field(description="The journey (or reply) that wrote it.")
    to: str
    template: str
    text: str = Field(description="The text as the shopper reads it.")
    state: str = Field(description="pending, sending, sent, delivered, read, failed, "
                       "skipped.")
    state_words: str
    reason: str = Field(description="Why it failed or was not sent ('' otherwise).")
    error_code: int | None = Field(description="WhatsApp's error code, when it gave one.")
    error_words: str = Field(description="What the error code means and what to do.")
    transport: str
    is_test: bool
    created_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None


class MessageList(BaseModel):
    """A page of messages, newest first."""

    data: list[MessageOut]
    next_cursor: str | None


def _messages(limit: int, *where: Any) -> list[MessageOut]:
    """The store's newest messages matching `where`, with their state times."""
    rows = message_rows_where(db.session(), access.store_id(), limit, *where)
    times = {m.id: m for m in db.session().execute(
        select(Message.id, Message.sent_at, Message.delivered_at, Message.read_at,
               Message.failed_at).where(Message.id.in_([r.id for r in rows])))} if rows else {}
    return [_out(row, times[row.id]) for row in rows]


def _out(row: MessageRow, times: Any) -> MessageOut:
    return MessageOut(
        id=row.id, customer_id=row.customer_id, order_id=row.order_id,
        order_number=row.order_number, step=row.step, to=row.to, template=row.template,
        text=row.text, state=row.state, state_words=row.state_words, reason=row.reason,
        error_code=row.error_code, error_words=row.error_words, transport=row.transport,
        is_test=row.is_test, created_at=utc(row.created_at), sent_at=utc(times.sent_at),
        delivered_at=utc(times.delivered_at), read_at=utc(times.read_at),
        failed_at=utc(times.failed_at))


def message_out(message_id: int) -> MessageOut:
    """One message of this call's store as the API shows it."""
    return _messages(1, Message.id == message_id)[0]


@blueprint.get("/messages")
@spec.validate(resp=documented(MessageList), tags=[TAG], operation_id="listMessages")
def list_messages(query: MessageQuery) -> MessageList:
    """List messages, newest first"""
    where: list[Any] = []
    before = after_cursor(query)
    if before is not None:
        where.append(Message.id < before)
    if query.state is not None:
        where.append(Message.state == query.state.value)
    if query.customer_id is not None:
        where.append(Message.customer_id == query.customer_id)
    if query.order_id is not None:
        where.append(Message.order_id == query.order_id)
    found = _messages(query.limit + 1, *where)
    if len(found) > query.limit:
        return MessageList(data=found[:query.limit], next_cursor=str(found[query.limit - 1].id))
    return MessageList(data=found, next_cursor=None)


@blueprint.get("/messages/<int:message_id>")
@spec.validate(query=StoreQuery, resp=documented(MessageOut), tags=[TAG],
               operation_id="getMessage")
def get_message(message_id: int) -> MessageOut:
    """One message, with its state and the reason it failed or was not sent"""
    access.get_or_404(Message, message_id)
    return _messages(1, Message.id == message_id)[0]
