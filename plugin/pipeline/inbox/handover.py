"""Handing a conversation to a person: while it is handed over, nothing automatic answers
it (keyword rules, the shop assistant, greeting and away), until a person resolves it or
the silence runs out. The one place every automatic answer asks."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain import inbox
from plugin.infra import db
from plugin.models import Conversation
from plugin.pipeline.inbox.threads import conversation_for

# How long automatic answers stay silent after a hand-over when nobody resolves it.
SILENCE = timedelta(hours=24)


def hand_over(session: Session, store_id: int, customer_id: int, *,
              silence: timedelta = SILENCE) -> Conversation:
    """Silence automatic answers in the customer's conversation for `silence` (or until it
    is resolved) and open it for the team; the conversation."""
    conversation = conversation_for(session, store_id, customer_id)
    now = db.utcnow()
    conversation.bot_silenced_until = now + silence
    if conversation.status != inbox.Status.OPEN.value:
        conversation.status, conversation.snoozed_until = inbox.Status.OPEN.value, None
    conversation.updated_at = now
    return conversation


def silenced(session: Session, store_id: int, customer_id: int,
             now: datetime | None = None) -> bool:
    """Whether automatic answers must stay quiet in the customer's conversation now."""
    until = session.scalar(select(Conversation.bot_silenced_until).where(
        Conversation.store_id == store_id, Conversation.customer_id == customer_id))
    return until is not None and until > (now or db.utcnow())


def end(conversation: Conversation) -> None:
    """Let automatic answers speak again (a person resolved the conversation)."""
    conversation.bot_silenced_until = None
