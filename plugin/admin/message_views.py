"""Messages as the owner reads them: rendered text, state ticks, the reason for a failure;
and a template as a shopper would read it for one order (the automations preview)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.auth.tenancy import scoped
from plugin.domain.events import CustomerRef, EventKind, LineItem, OrderEvent, Tracking
from plugin.domain.journeys import render_text
from plugin.infra import db
from plugin.models import Message, Order, Template

# What the message log shows for each state: WhatsApp's own tick vocabulary.
TICKS = {
    "pending": "…",
    "sending": "…",
    "sent": "✓",
    "delivered": "✓✓",
    "read": "✓✓",
    "failed": "⚠",
    "skipped": "–",
}
# The same states in words, for screen readers and for anyone who does not know the ticks.
STATE_WORDS = {
    "pending": "Waiting to be sent",
    "sending": "Being sent",
    "sent": "Sent",
    "delivered": "Delivered",
    "read": "Read",
    "failed": "Failed",
    "skipped": "Not sent",
}
# Graph error codes an owner may meet, in words that say what happened and what to do.
# Codes not listed are shown with the reason Meta gave.
ERROR_WORDS = {
    4: "Too many requests from the app; sending resumes by itself.",
    190: "The WhatsApp access token expired or was revoked: reconnect the WhatsApp number.",
    368: "The WhatsApp account is temporarily blocked for policy violations.",
    80007: "The WhatsApp Business Account's rate limit was reached; sending resumes by itself.",
    130429: "The number's sending rate was reached; sending resumes by itself.",
    131000: "Something went wrong at WhatsApp; it may work if tried again.",
    131005: "Access denied: the token lacks the permission to send for this number.",
    131008: "A required parameter is missing from the message.",
    131009: "A parameter value is not valid.",
    131021: "The recipient is the sending number itself.",
    131026: "Undeliverable: the number is not on WhatsApp or its app is too old.",
    131031: "The WhatsApp Business Account is locked.",
    131042: "A payment problem on the WhatsApp Business Account: check its payment method.",
    131047: "More than 24 hours since the shopper last wrote: only a template can reach them.",
    131049: "Meta held it to protect the shopper from too many messages; retried in a day.",
    131051: "WhatsApp does not support this type of message.",
    131056: "Too many messages to this shopper in a short time; it is retried.",
    132000: "The number of values does not match the template's variables.",
    132001: "The template does not exist in this language (or is not approved yet).",
    132005: "The text with its values is too long for the template.",
    132007: "The text breaks WhatsApp's formatting rules for templates.",
    132012: "A value does not have the format the template expects.",
    132015: "The template is paused for low quality.",
    132016: "The template is disabled for low quality.",
}
_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
_NAMED = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")


@dataclass(frozen=True, slots=True)
class RowButton:
    """A button under a message: its label, its kind ("quick_reply", "url", "reply" for an
    interactive reply button, …) and, for a link, where it leads."""

    label: str
    kind: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One line of the message log and one bubble of the phone preview."""

    id: int
    created_at: datetime
    order_number: str
    template: str
    to: str
    text: str
    state: str
    ticks: str
    reason: str
    transport: str
    step: str = ""
    order_id: int | None = None
    customer_id: int | None = None
    error_code: int | None = None
    state_words: str = ""
    error_words: str = ""
    is_test: bool = False
    header: str = ""
    footer: str = ""
    buttons: tuple[RowButton, ...] = ()
    not_before: datetime | None = None
    waiting: bool = False  # pending until its send time (a journey's delay) comes
    cause: str = ""  # what wrote it ("inbox:<conversation id>…" for the team's replies)

    @property
    def reached_phone(self) -> bool:
        """True once WhatsApp took the message for the shopper: what their phone shows (a
        test send went to the owner's own number, a delayed one is not sent yet)."""
        return self.state in SENT_STATES and not self.is_test


# The states of a message WhatsApp has accepted: the shopper can have it.
SENT_STATES = frozenset({"sent", "delivered", "read"})


def message_rows(session: Session, store_id: int, limit: int,
                 now: datetime | None = None) -> list[MessageRow]:
    """The store's newest messages, oldest first (as a chat reads); only the principal's."""
    return list(reversed(message_rows_where(session, store_id, limit, now=now)))


def message_rows_where(session: Session, store_id: int, limit: int,
                       *where: Any, now: datetime | None = None) -> list[MessageRow]:
    """The store's newest messages matching `where`, newest first; only the principal's."""
    messages = list(session.scalars(
        scoped(select(Message), Message).where(Message.store_id == store_id, *where)
        .order_by(Message.id.desc()).limit(limit)
    ))
    templates = {
        (t.name, t.language): list(t.components or [])
        for t in session.scalars(select(Template).where(Template.store_id == store_id))
    }
    order_ids = {m.order_id for m in messages if m.order_id}
    numbers = {
        o.id: o.number for o in session.scalars(select(Order).where(Order.id.in_(order_ids)))
    } if order_ids else {}
    now = now or db.utcnow()
    return [_row(m, templates, numbers, now) for m in messages]


def body_text(components: list[Any]) -> str:
    """The text of a template's BODY component ('' when it has none)."""
    return _component_text(components, "BODY")


def _component_text(components: list[Any], kind: str) -> str:
    for component in components or []:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == kind:
            return str(component.get("text", "") or "")
    return ""


def placeholder_count(body: str) -> int:
    """How many values a body needs: its highest {{n}}, or its distinct named variables."""
    numbered = max((int(n) for n in _PLACEHOLDER.findall(body)), default=0)
    return numbered or len(set(_NAMED.findall(body)))


def _waiting(state: str, not_before: datetime | None, now: datetime) -> bool:
    return state == "pending" and not_before is not None and not_before > now


def state_words(state: str, not_before: datetime | None, now: datetime) -> str:
    """The state in words; a message waiting for its delay says when it goes:
    "Sends at 14:05 UTC (in 10 min)"."""
    if not_before is not None and _waiting(state, not_before, now):
        return f"Sends at {not_before:%H:%M} UTC ({time_until(not_before - now)})"
    return STATE_WORDS.get(state, state)


def time_until(left: timedelta) -> str:
    """"in 10 min", "in 1 h 5 min", "in 2 days", "in less than a minute"."""
    minutes = math.ceil(left.total_seconds() / 60)
    if left.total_seconds() < 60:
        return "in less than a minute"
    if minutes < 60:
        return f"in {minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"in {hours} h" + (f" {minutes} min" if minutes else "")
    days = round(hours / 24)
    return f"in {days} day{'s' if days != 1 else ''}"


def _parameters(template: dict[str, Any], kind: str) -> list[str]:
    return [str(p.get("text", "")) for c in template.get("components", [])
            if c.get("type") == kind for p in c.get("parameters", [])]


def _row(message: Message, templates: dict[tuple[str, str], list[Any]],
         numbers: dict[int, str], now: datetime) -> MessageRow:
    payload = message.payload or {}
    template = payload.get("template") or {}
    language = (template.get("language") or {}).get("code", "")
    parameters = _parameters(template, "body")
    components = templates.get((message.template or "", language))
    header = footer = ""
    buttons: tuple[RowButton, ...] = ()
    if components and body_text(components):
        text = render_text(body_text(components), parameters)
        header = render_text(_component_text(components, "HEADER"),
                             _parameters(template, "header"))
        footer = _component_text(components, "FOOTER")
        buttons = template_buttons(components, template.get("components", []))
    elif payload.get("type") == "text":
        text = payload.get("text", {}).get("body", "")
    elif payload.get("type") == "interactive":
        text, buttons = _interactive(payload.get("interactive") or {})
    else:
        text = f"[{message.template}] " + " · ".join(parameters)
    return MessageRow(
        id=message.id,
        created_at=message.created_at,
        order_number=numbers.get(message.order_id or 0, ""),
        template=message.template or payload.get("type", ""),
        to=message.to,
        text=text,
        state=message.state,
        ticks=TICKS.get(message.state, ""),
        reason=message.reason or "",
        transport=message.transport or "",
        step=message.step,
        cause=message.cause or "",
        order_id=message.order_id,
        customer_id=message.customer_id,
        error_code=message.error_code,
        state_words=state_words(message.state, message.not_before, now),
        error_words=ERROR_WORDS.get(message.error_code or 0, ""),
        is_test=message.cause.startswith("test:"),
        header=header,
        footer=footer,
        buttons=buttons,
        not_before=message.not_before,
        waiting=_waiting(message.state, message.not_before, now),
    )


def template_buttons(components: list[Any], sent: list[Any]) -> tuple[RowButton, ...]:
    """A template's buttons as the shopper sees them; a link's {{1}} filled with the value
    the message was sent with (the tracking token)."""
    values = {str(c.get("index")): str((c.get("parameters") or [{}])[0].get("text", ""))
              for c in sent if isinstance(c, dict) and c.get("type") == "button"}
    buttons: list[RowButton] = []
    for component in components or []:
        if not isinstance(component, dict) or str(component.get("type", "")).upper() != "BUTTONS":
            continue
        for index, button in enumerate(component.get("buttons") or []):
            if not isinstance(button, dict) or not button.get("text"):
                continue
            url = str(button.get("url", ""))
            if "{{1}}" in url:
                url = url.replace("{{1}}", values.get(str(index), "")) \
                    if values.get(str(index)) else ""
            buttons.append(RowButton(label=str(button["text"]),
                                     kind=str(button.get("type", "")).lower(), url=url))
    return tuple(buttons)


def _interactive(content: dict[str, Any]) -> tuple[str, tuple[RowButton, ...]]:
    """An interactive message's body and its reply buttons."""
    body = str((content.get("body") or {}).get("text", ""))
    buttons = tuple(RowButton(label=str((b.get("reply") or {}).get("title", "")), kind="reply")
                    for b in (content.get("action") or {}).get("buttons", [])
                    if isinstance(b, dict))
    return body, buttons


# ---- A template as the shopper reads it, for the automations preview ---------------------


@dataclass(frozen=True, slots=True)
class Bubble:
    """A template message rendered for one order: what the phone preview shows."""

    header: str
    text: str
    footer: str
    buttons: tuple[str, ...]


def bubble(components: list[Any], parameters: tuple[str, ...]) -> Bubble:
    """The template's header, body (with the values), footer and button labels."""
    buttons: list[str] = []
    for component in components or []:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == "BUTTONS":
            buttons += [str(b.get("text", "")) for b in component.get("buttons", [])
                        if isinstance(b, dict) and b.get("text")]
    header = _component_text(components, "HEADER")
    return Bubble(header=header, text=render_text(body_text(components), parameters),
                  footer=_component_text(components, "FOOTER"), buttons=tuple(buttons))


def sample_event(currency: str | None) -> OrderEvent:
    """A made-up order for stores without orders yet, so the preview still reads naturally."""
    return OrderEvent(
        kind=EventKind.ORDER_PLACED, order_id="sample", number="1001", status="placed",
        currency=currency or "EUR", total=Decimal("54.80"), payment_gateway="card",
        customer=CustomerRef(platform_id="sample", first_name="Ana", last_name="Silva",
                             phone="+351912345678", locale="en"),
        line_items=(LineItem(title="Linen shirt", quantity=1, price=Decimal("49.90")),),
        tracking=Tracking(number="DP1234567890PT", company="DemoPost",
                          url="https://track.example/DP1234567890PT",
                          estimated_delivery="2026-01-15"),
        status_url="https://shop.example/orders/1001",
    )


def event_from_order(order: Order) -> OrderEvent:
    """The order as an OrderEvent: its stored snapshot (OrderEvent.from_snapshot), with the
    order row's own columns, which the latest event kept up to date."""
    stored = OrderEvent.from_snapshot(order.snapshot or {})
    return replace(
        stored, order_id=order.platform_id, number=order.number, status=order.status,
        currency=order.currency, total=_decimal(order.total),
        payment_gateway=order.payment_gateway or "",
        tracking=Tracking.from_snapshot(order.tracking) if order.tracking else stored.tracking)


def _decimal(raw: Any) -> Decimal:
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return Decimal("0")
