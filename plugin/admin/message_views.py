"""Messages as the owner reads them: rendered text, state ticks, the reason for a failure;
and a template as a shopper would read it for one order (the automations preview)."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.auth.tenancy import scoped
from plugin.domain.events import CustomerRef, EventKind, LineItem, OrderEvent, Tracking
from plugin.domain.journeys import render_text
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


def message_rows(session: Session, store_id: int, limit: int) -> list[MessageRow]:
    """The store's newest messages, oldest first (as a chat reads); only the principal's."""
    return list(reversed(message_rows_where(session, store_id, limit)))


def message_rows_where(session: Session, store_id: int, limit: int,
                       *where: Any) -> list[MessageRow]:
    """The store's newest messages matching `where`, newest first; only the principal's."""
    messages = list(session.scalars(
        scoped(select(Message), Message).where(Message.store_id == store_id, *where)
        .order_by(Message.id.desc()).limit(limit)
    ))
    bodies = {
        (t.name, t.language): body_text(t.components)
        for t in session.scalars(select(Template).where(Template.store_id == store_id))
    }
    order_ids = {m.order_id for m in messages if m.order_id}
    numbers = {
        o.id: o.number for o in session.scalars(select(Order).where(Order.id.in_(order_ids)))
    } if order_ids else {}
    return [_row(m, bodies, numbers) for m in messages]


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


def _row(message: Message, bodies: dict[tuple[str, str], str],
         numbers: dict[int, str]) -> MessageRow:
    template = message.payload.get("template") or {}
    language = (template.get("language") or {}).get("code", "")
    parameters = [
        p.get("text", "")
        for c in template.get("components", []) if c.get("type") == "body"
        for p in c.get("parameters", [])
    ]
    body = bodies.get((message.template or "", language))
    if body:
        text = render_text(body, parameters)
    elif message.payload.get("type") == "text":
        text = message.payload.get("text", {}).get("body", "")
    elif message.payload.get("type") == "interactive":
        text = _interactive_text(message.payload.get("interactive") or {})
    else:
        text = f"[{message.template}] " + " · ".join(parameters)
    return MessageRow(
        id=message.id,
        created_at=message.created_at,
        order_number=numbers.get(message.order_id or 0, ""),
        template=message.template or message.payload.get("type", ""),
        to=message.to,
        text=text,
        state=message.state,
        ticks=TICKS.get(message.state, ""),
        reason=message.reason or "",
        transport=message.transport or "",
        step=message.step,
        order_id=message.order_id,
        customer_id=message.customer_id,
        error_code=message.error_code,
        state_words=STATE_WORDS.get(message.state, message.state),
        error_words=ERROR_WORDS.get(message.error_code or 0, ""),
        is_test=message.cause.startswith("test:"),
    )


def _interactive_text(content: dict[str, Any]) -> str:
    """An interactive message's body, with its reply buttons' labels: "Stop? [Yes | No]"."""
    body = str((content.get("body") or {}).get("text", ""))
    buttons = [str((b.get("reply") or {}).get("title", ""))
               for b in (content.get("action") or {}).get("buttons", []) if isinstance(b, dict)]
    return f"{body} [{' | '.join(buttons)}]" if buttons else body


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
