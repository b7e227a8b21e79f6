"""The team inbox: one conversation per customer of a store, the messages the customer sent
us (what we send stays in the outbox, `messages`), private notes, and saved quick replies."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class Conversation(Base):
    """A customer's thread with a store: its status, who answers it, its tags, and the
    figures the inbox list sorts and counts by (kept here so the list is one indexed read)."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # open, pending (waiting for the customer), resolved, snoozed (until snoozed_until)
    status: Mapped[str] = mapped_column(String(12), default="open")
    snoozed_until: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("owners.id", ondelete="SET NULL"), index=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    # Inbound messages since someone last marked the conversation read.
    unread: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_preview: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped on every change the open inbox page must see (its ETag reads it).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # While in the future, nothing automatic answers here: the customer was handed to a
    # person (plugin.pipeline.inbox.handover); resolving the conversation clears it.
    bot_silenced_until: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("store_id", "customer_id"),
        Index("ix_conversations_store_id_last_message_at", "store_id", "last_message_at"),
        # The open inbox page's poll reads the store's newest change from this alone.
        Index("ix_conversations_store_id_updated_at", "store_id", "updated_at"),
        # The unread tabs count over this range only (the unread ones, by assignee).
        Index("ix_conversations_store_id_unread_assignee_id", "store_id", "unread",
              "assignee_id"),
    )


class ReceivedMessage(Base):
    """One message a customer sent, as Meta delivered it: its kind, text, kind-specific
    details, and for media where the downloaded file is (one download per wamid)."""

    __tablename__ = "received_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    wamid: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str] = mapped_column(String(256), default="")
    # location, order, context wamid, media caption/filename: whatever the kind carries.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    media_id: Mapped[str | None] = mapped_column(String(128))
    media_type: Mapped[str | None] = mapped_column(String(20))
    # pending → stored, or refused (type, size) / failed (Meta would not give it).
    media_state: Mapped[str | None] = mapped_column(String(12))
    media_mime: Mapped[str | None] = mapped_column(String(100))
    media_size: Mapped[int | None]
    media_path: Mapped[str | None] = mapped_column(String(255))
    media_note: Mapped[str | None] = mapped_column(String(255))
    # When a member marked it read (and Meta was sent the read receipt).
    read_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_received_messages_conversation_id_id", "conversation_id", "id"),
    )


class ConversationNote(Base):
    """A private note on a conversation: the team sees it, the customer never does."""

    __tablename__ = "conversation_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuickReply(Base):
    """A saved answer, typed as /shortcut in the composer, with {{name}}-style variables."""

    __tablename__ = "quick_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    shortcut: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("store_id", "shortcut"),)
