"""Replies from the inbox, through the outbox (plugin.pipeline.send), so the send policy
and the 24-hour window apply as to any other message.

Free-form messages (text, reply buttons, a list, a location request) are refused here,
before the outbox, once the window has closed: the refusal says why and offers the
template path. Templates (approved ones of the store, with their variables) go any time.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from adapters.whatsapp.messages import MessageLimitError
from plugin.domain import inbox
from plugin.domain.inbox import InboxError
from plugin.domain.phones import wa_recipient
from plugin.infra import db, queue
from plugin.models import Conversation, Customer, Template
from plugin.pipeline import outbox
from plugin.pipeline.inbox import threads

WINDOW_CLOSED = ("More than 24 hours have passed since the customer last wrote, so WhatsApp "
                 "only lets an approved template reach them. Choose a template below; "
                 "when they answer, you can write freely again for 24 hours.")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


@dataclass(frozen=True, slots=True)
class TemplateChoice:
    """An approved template the composer offers, with its body and variable names."""

    name: str
    language: str
    body: str
    variables: tuple[str, ...]


def approved_templates(session: Session, store_id: int) -> list[TemplateChoice]:
    """The store's approved templates, by name, with the variables each body takes."""
    found = session.scalars(select(Template).where(
        Template.store_id == store_id, Template.status == "APPROVED").order_by(Template.name))
    choices = []
    for template in found:
        body = next((str(c.get("text", "")) for c in template.components
                     if isinstance(c, dict) and str(c.get("type", "")).upper() == "BODY"), "")
        names = tuple(dict.fromkeys(_PLACEHOLDER.findall(body)))
        choices.append(TemplateChoice(template.name, template.language, body, names))
    return choices


def _recipient(customer: Customer) -> str:
    if not customer.phone_e164:
        raise InboxError("This customer has no WhatsApp number to answer.")
    return customer.phone_e164


def _window_open(customer: Customer) -> bool:
    return inbox.window_left(customer.last_inbound_at, db.utcnow()) is not None


def _queue(session: Session, conversation: Conversation, customer: Customer, author_id: int,
           payload: dict[str, Any], preview: str, template: str | None = None) -> int:
    """Write the reply to the outbox and queue its send once committed."""
    message_id = outbox.write(
        session, store_id=conversation.store_id, customer_id=customer.id,
        cause=f"inbox:{conversation.id}", step=f"agent:{author_id}:{secrets.token_hex(6)}",
        to=_recipient(customer), payload=payload, template=template)
    assert message_id is not None  # the step is fresh: never a duplicate
    threads.note_sent(session, conversation.store_id, customer.id, preview)
    queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
    return message_id


def queue_payload(session: Session, conversation: Conversation, customer: Customer,
                  author_id: int, payload: dict[str, Any], preview: str) -> int:
    """Write a checked free-form body to the outbox (plugin.pipeline.inbox.attachments)."""
    return _queue(session, conversation, customer, author_id, payload, preview)


def free_form_recipient(customer: Customer) -> str:
    """The customer's WhatsApp recipient; InboxError once the window has closed."""
    return _free_form(customer)


def _free_form(customer: Customer) -> str:
    to = wa_recipient(_recipient(customer))
    if not _window_open(customer):
        raise InboxError(WINDOW_CLOSED)
    return to


def send_text(session: Session, conversation: Conversation, customer: Customer,
              author_id: int, text: str) -> int:
    """A free-form text reply; its outbox id. InboxError outside the window or over
    Meta's 4,096 characters."""
    body = inbox.check_text(text)
    to = _free_form(customer)
    return _queue(session, conversation, customer, author_id, messages.text(to, body), body)


def send_buttons(session: Session, conversation: Conversation, customer: Customer,
                 author_id: int, text: str, titles: Sequence[str]) -> int:
    """A text with up to three reply buttons (the checked builder's limits)."""
    body = inbox.check_text(text)
    to = _free_form(customer)
    buttons = [messages.ReplyButton(id=f"inbox-{i}", title=t.strip())
               for i, t in enumerate(titles, 1) if t.strip()]
    try:
        payload = messages.reply_buttons(to, body, buttons)
    except MessageLimitError as error:
        raise InboxError(f"Reply buttons: {error.reason}.") from None
    return _queue(session, conversation, customer, author_id, payload, body)


def send_list(session: Session, conversation: Conversation, customer: Customer,
              author_id: int, text: str, button: str, rows: Sequence[str]) -> int:
    """A list message: a button opening up to ten rows (the checked builder's limits)."""
    body = inbox.check_text(text)
    to = _free_form(customer)
    choices = [messages.Row(id=f"inbox-{i}", title=r.strip())
               for i, r in enumerate(rows, 1) if r.strip()]
    try:
        payload = messages.interactive_list(to, body, button.strip() or "Choose",
                                            [messages.Section(rows=choices)])
    except MessageLimitError as error:
        raise InboxError(f"List message: {error.reason}.") from None
    return _queue(session, conversation, customer, author_id, payload, body)


def send_location_request(session: Session, conversation: Conversation, customer: Customer,
                          author_id: int, text: str) -> int:
    """Ask for the customer's location with WhatsApp's own "Send location" button."""
    body = inbox.check_text(text or "Please send us your delivery location.")
    to = _free_form(customer)
    try:
        payload = messages.location_request(to, body)
    except MessageLimitError as error:
        raise InboxError(f"Location request: {error.reason}.") from None
    return _queue(session, conversation, customer, author_id, payload, body)


def send_template(session: Session, conversation: Conversation, customer: Customer,
                  author_id: int, name: str, language: str, values: Sequence[str]) -> int:
    """An approved template with its variables, inside or outside the window."""
    to = wa_recipient(_recipient(customer))
    chosen = next((t for t in approved_templates(session, conversation.store_id)
                   if t.name == name and t.language == language), None)
    if chosen is None:
        raise InboxError("Choose one of the store's approved templates.")
    filled = [v.strip() for v in values]
    if len(filled) != len(chosen.variables) or not all(filled):
        raise InboxError(f"The template {name} needs {len(chosen.variables)} value(s): "
                         + ", ".join(chosen.variables) + ".")
    named = not all(v.isdigit() for v in chosen.variables)
    try:
        payload = messages.template(to, name, language, body=filled,
                                    parameter_names=chosen.variables if named else ())
    except MessageLimitError as error:
        raise InboxError(f"Template: {error.reason}.") from None
    return _queue(session, conversation, customer, author_id, payload, f"[template] {name}",
                  template=name)
