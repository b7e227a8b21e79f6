"""Greeting and away messages, applied to a shopper's inbound message (the rules are in
plugin.domain.auto_answers; the store's business hours are the ones its widget shows).

The answer is written to the outbox in the transaction that stores the inbound message,
unique on (store, "answer:<wamid>", step): a redelivered message is answered once. It is a
free-form text, sent inside the window the shopper's message has just opened; the cause
prefix "answer:" marks it as automatic in the message log (and for analytics).
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain import auto_answers, business_hours
from plugin.domain.auto_answers import AnswerRules, Plan
from plugin.domain.messaging import InboundMessage
from plugin.infra import db, queue
from plugin.models import AnswerSettings, Customer, Message, Store
from plugin.pipeline import replies, store_hours
from plugin.pipeline.inbox import handover

log = logging.getLogger(__name__)

CAUSE_PREFIX = "answer:"


def rules_for(session: Session, store_id: int) -> AnswerRules:
    """The store's greeting and away rules (both off when the owner never saved them)."""
    row = session.scalars(select(AnswerSettings).where(
        AnswerSettings.store_id == store_id)).first()
    return row.rules() if row is not None else AnswerRules()


def answer(session: Session, store: Store, customer: Customer, message: InboundMessage, *,
           previous_inbound_at: datetime | None, asks_about_consent: bool) -> int | None:
    """Write the greeting and/or away answer `message` calls for, and queue its send after
    commit; the outbox id, or None when nothing is to be said (or it was said already)."""
    rules = rules_for(session, store.id)
    if not rules.enabled or not customer.phone_e164:
        return None
    if handover.silenced(session, store.id, customer.id):
        return None  # handed to a person: they answer now
    now = db.utcnow()
    at = datetime.fromtimestamp(message.timestamp, UTC).replace(tzinfo=None)
    hours = store_hours.hours_for(session, store)
    store_open = business_hours.is_open(hours, now)
    plan = auto_answers.plan(
        rules, kind=message.kind, asks_about_consent=asks_about_consent,
        previous_inbound_at=previous_inbound_at, at=at, store_open=store_open,
        away_sent_since_window=(not store_open and rules.away_enabled
                                and _away_sent_since(session, store.id, customer.id, now)))
    if plan.step is None:
        return None
    text = _words(rules, plan, store, customer, hours, now)
    if text is None:
        log.info("store %s answers automatically but has no text in any language", store.id)
        return None
    message_id = replies.queue_text(session, store, customer, text,
                                    cause=f"{CAUSE_PREFIX}{message.wamid}"[:120],
                                    step=plan.step)
    if message_id is not None:
        queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
    return message_id


def _away_sent_since(session: Session, store_id: int, customer_id: int, now: datetime) -> bool:
    """Whether an away answer went to this customer inside the current window."""
    return session.scalar(select(Message.id).where(
        Message.store_id == store_id, Message.customer_id == customer_id,
        Message.cause.startswith(CAUSE_PREFIX), Message.step.endswith("away"),
        Message.created_at >= now - auto_answers.WINDOW).limit(1)) is not None


def _words(rules: AnswerRules, plan: Plan, store: Store, customer: Customer,
           hours: business_hours.Hours, now: datetime) -> str | None:
    """The greeting and the away note, each in the shopper's language where the store
    wrote one, as one message (two would race and may arrive swapped)."""
    parts = []
    name, store_name = customer.first_name or "", store.name or store.domain
    if plan.greet:
        language = auto_answers.language_for(rules.greetings, customer.locale, store.locale)
        if language is not None:
            parts.append(auto_answers.fill(rules.greetings[language], name=name,
                                           store=store_name))
    if plan.away:
        language = auto_answers.language_for(rules.aways, customer.locale, store.locale)
        if language is not None:
            zone = ZoneInfo(hours.zone)
            back = business_hours.next_open(hours, now)
            local_now = now.replace(tzinfo=UTC).astimezone(zone)
            local_back = back.replace(tzinfo=UTC).astimezone(zone) if back else None
            words = auto_answers.back_words(language, local_back, local_now)
            # A greeting already named the shopper: the away note that follows does not.
            parts.append(auto_answers.fill(rules.aways[language], name="" if parts else name,
                                           store=store_name, back=words))
    return "\n\n".join(parts) or None
