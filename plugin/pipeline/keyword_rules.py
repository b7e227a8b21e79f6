"""Keyword rules applied to a shopper's inbound text: the first of the store's rules that
matches replies (text, reply buttons, or a list for more than three choices), tags the
customer and the conversation, assigns the conversation or hands it over (the rules are
plugin.domain.keyword_rules').

Like the greeting, a reply is written to the outbox in the transaction that stores the
inbound message, unique on (store, "answer:<wamid>", "rule:<id>"): a redelivered message is
answered once, and the "answer:" cause marks it as automatic. Only texts are matched: a
reaction, a tap on one of our buttons, a cart or a status is never a keyword, and STOP/START
are read before (plugin.pipeline.conversations).
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from plugin.domain import customer_tags as tag_rules
from plugin.domain import keyword_rules
from plugin.domain.inbox import InboxError
from plugin.domain.keyword_rules import Rule
from plugin.domain.messaging import InboundKind, InboundMessage
from plugin.domain.phones import wa_recipient
from plugin.infra import db, queue
from plugin.infra.sql import insert_ignore
from plugin.models import Customer, CustomerTag, KeywordRule, Store
from plugin.pipeline import customer_tags, outbox, replies, tag_write_back
from plugin.pipeline.auto_answers import CAUSE_PREFIX
from plugin.pipeline.inbox import handover, manage
from plugin.pipeline.inbox.threads import conversation_for

log = logging.getLogger(__name__)

STEP_PREFIX = "rule:"


def rules_of(session: Session, store_id: int) -> list[KeywordRule]:
    """The store's rules in the owner's order."""
    return list(session.scalars(select(KeywordRule).where(KeywordRule.store_id == store_id)
                                .order_by(KeywordRule.position, KeywordRule.id)))


def matching_rule(session: Session, store_id: int, text: str) -> Rule | None:
    """The first of the store's enabled rules that `text` matches, or None."""
    matchers = (keyword_rules.prepare(row.rule()) for row in rules_of(session, store_id))
    return keyword_rules.first_match(matchers, text)


def answer(session: Session, store: Store, customer: Customer, message: InboundMessage, *,
           asks_about_consent: bool) -> bool:
    """Apply the first rule the message matches; True when that rule replied (then the
    greeting and away message stay quiet for this message)."""
    if message.kind is not InboundKind.TEXT or asks_about_consent or not message.text:
        return False
    if handover.silenced(session, store.id, customer.id):
        return False  # handed to a person: they answer now
    rule = matching_rule(session, store.id, message.text)
    if rule is None:
        return False
    replied = _reply(session, store, customer, message, rule)
    _tag(session, customer, rule)
    if rule.assignee_id is not None or rule.tags:
        conversation = conversation_for(session, store.id, customer.id)
        if rule.tags:
            try:
                manage.set_tags(session, conversation, [*conversation.tags, *rule.tags])
            except InboxError:
                log.info("store %s: conversation %s has no room for rule %s's tags",
                         store.id, conversation.id, rule.id)
        if rule.assignee_id is not None:
            try:
                manage.assign(session, conversation, rule.assignee_id)
            except InboxError:
                log.info("store %s: rule %s names a person no longer in the store",
                         store.id, rule.id)
    if rule.hand_over:
        handover.hand_over(session, store.id, customer.id)
    return replied


# The label of the button that opens a rule's list of choices.
LIST_BUTTON = "Choose"


def _reply(session: Session, store: Store, customer: Customer, message: InboundMessage,
           rule: Rule) -> bool:
    """Write the rule's reply to the outbox and queue its send after commit."""
    if not rule.reply.strip() or not customer.phone_e164:
        return False
    cause, step = f"{CAUSE_PREFIX}{message.wamid}"[:120], f"{STEP_PREFIX}{rule.id}"
    try:
        if rule.buttons:
            to = wa_recipient(customer.phone_e164)
            ids = [f"{STEP_PREFIX}{rule.id}:{i}" for i in range(1, len(rule.buttons) + 1)]
            if len(rule.buttons) <= messages.REPLY_BUTTONS_MAX:
                payload = messages.reply_buttons(to, rule.reply, [
                    messages.ReplyButton(id=i, title=t)
                    for i, t in zip(ids, rule.buttons, strict=True)])
            else:
                payload = messages.interactive_list(to, rule.reply, LIST_BUTTON, [
                    messages.Section(rows=[messages.Row(id=i, title=t)
                                           for i, t in zip(ids, rule.buttons, strict=True)])])
            message_id = outbox.write(session, store_id=store.id, customer_id=customer.id,
                                      cause=cause, step=step, to=customer.phone_e164,
                                      payload=payload)
        else:
            message_id = replies.queue_text(session, store, customer, rule.reply,
                                            cause=cause, step=step)
    except messages.MessageLimitError as refused:
        log.warning("store %s: keyword rule %s's reply breaks a limit: %s", store.id, rule.id,
                    refused)
        return False
    if message_id is not None:
        queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
    return True


def _tag(session: Session, customer: Customer, rule: Rule) -> None:
    """Add the rule's tags to the customer, as tags of source "keyword"."""
    written = False
    for tag in rule.tags:
        written |= insert_ignore(session, CustomerTag, {
            "store_id": customer.store_id, "customer_id": customer.id, "tag": tag,
            "source": tag_rules.SOURCE_KEYWORD, "created_at": db.utcnow()},
            ("customer_id", "tag", "source")) is not None
    if written:
        pairs = customer_tags.tags_by_customer(session, [customer.id]).get(customer.id, [])
        customer.tags = sorted({tag for tag, _ in pairs})
        tag_write_back.enqueue(session, customer.store_id, [customer.id])

