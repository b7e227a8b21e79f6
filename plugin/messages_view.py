"""Messages as the owner reads them: rendered text, state ticks, the reason for a failure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain.journeys import render_text
from plugin.models import Message, Order, Template
from plugin.tenancy import scoped

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


def message_rows(session: Session, store_id: int, limit: int) -> list[MessageRow]:
    """The store's newest messages, oldest first (as a chat reads); only the principal's."""
    messages = list(session.scalars(
        scoped(select(Message), Message).where(Message.store_id == store_id)
        .order_by(Message.id.desc()).limit(limit)
    ))
    bodies = {
        (t.name, t.language): _body_text(t.components)
        for t in session.scalars(select(Template).where(Template.store_id == store_id))
    }
    order_ids = {m.order_id for m in messages if m.order_id}
    numbers = {
        o.id: o.number for o in session.scalars(select(Order).where(Order.id.in_(order_ids)))
    } if order_ids else {}
    return [_row(m, bodies, numbers) for m in reversed(messages)]


def _body_text(components: list[dict[str, object]]) -> str:
    for component in components:
        if str(component.get("type", "")).upper() == "BODY":
            return str(component.get("text", ""))
    return ""


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
    )
