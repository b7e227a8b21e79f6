"""Changes to a conversation: who answers it, its status (and snooze), tags, private notes,
and "mark as read", which also sends Meta the read receipt of the newest message."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from adapters.whatsapp import media_download
from plugin.domain import inbox
from plugin.domain.errors import SendError
from plugin.domain.inbox import InboxError
from plugin.infra import db, queue
from plugin.models import Conversation, ConversationNote, ReceivedMessage, Store
from plugin.pipeline import conversation_rollups, transports
from plugin.pipeline.inbox import media, people

log = logging.getLogger(__name__)


def _touch(conversation: Conversation) -> None:
    conversation.updated_at = db.utcnow()


def assign(session: Session, conversation: Conversation, person_id: int | None) -> None:
    """Give the conversation to one of the store's assignable people, or to nobody."""
    if person_id is not None:
        store = session.get(Store, conversation.store_id)
        if store is None or not people.may_be_assigned(session, store, person_id):
            raise InboxError("That person cannot be assigned conversations of this store.")
    conversation.assignee_id = person_id
    _touch(conversation)


def set_status(session: Session, conversation: Conversation, status: str,
               snoozed_until: datetime | None = None) -> None:
    """Open, pending, resolved, or snoozed until a future time (UTC)."""
    chosen = inbox.check_status(status, snoozed_until, db.utcnow())
    if chosen is inbox.Status.RESOLVED and conversation.status != chosen.value:
        conversation_rollups.resolved(session, conversation.store_id,
                                      conversation.customer_id, db.utcnow())
    conversation.status = chosen.value
    conversation.snoozed_until = snoozed_until if chosen is inbox.Status.SNOOZED else None
    if chosen is inbox.Status.RESOLVED:
        conversation.bot_silenced_until = None  # a hand-over ends when a person resolves it
    _touch(conversation)


def set_tags(session: Session, conversation: Conversation, tags: list[str]) -> None:
    """Replace the conversation's tags (cleaned; InboxError for an unusable one)."""
    conversation.tags = inbox.check_tags(tags)
    _touch(conversation)


def add_note(session: Session, conversation: Conversation, author_id: int | None,
             author: str, body: str) -> ConversationNote:
    """A private note for the team; kept as typed (shown escaped)."""
    text = body.strip()
    if not text:
        raise InboxError("Write the note first.")
    if len(text) > inbox.NOTE_MAX:
        raise InboxError(f"A note holds at most {inbox.NOTE_MAX:,} characters.")
    note = ConversationNote(store_id=conversation.store_id, conversation_id=conversation.id,
                            author_id=author_id, author=author[:255], body=text,
                            created_at=db.utcnow())
    session.add(note)
    _touch(conversation)
    return note


def mark_read(session: Session, conversation: Conversation) -> int | None:
    """Mark every received message read; queue Meta's read receipt for the newest (which
    marks the earlier ones too). Its id, or None when nothing was unread."""
    now = db.utcnow()
    newest = session.scalar(select(func.max(ReceivedMessage.id)).where(
        ReceivedMessage.conversation_id == conversation.id, ReceivedMessage.read_at.is_(None)))
    conversation.unread = 0
    _touch(conversation)
    if newest is None:
        return None
    session.execute(update(ReceivedMessage).where(
        ReceivedMessage.conversation_id == conversation.id,
        ReceivedMessage.read_at.is_(None)).values(read_at=now))
    queue.enqueue_after_commit(session, queue.Job.INBOX_READ, newest)
    return newest


def send_read_receipt(received_id: int) -> None:
    """The job: tell Meta a received message was read (nothing to tell in the sandbox)."""
    with db.transaction() as session:
        row = session.get(ReceivedMessage, received_id)
        found = media.credentials(session, row.store_id) if row is not None else None
        wamid = row.wamid if row is not None else ""
    if found is None:
        return
    phone_number_id, token = found
    try:
        media_download.mark_read(transports.cloud_client(), phone_number_id, token, wamid)
    except SendError as error:
        # A lost receipt costs only a grey tick on the shopper's phone: logged, not retried.
        log.info("read receipt for %s not taken: %s", received_id, error.reason)
