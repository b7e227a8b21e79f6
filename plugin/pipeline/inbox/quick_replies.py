"""A store's quick replies: saved answers (at most 50) typed as /shortcut in the composer,
with the conversation's values filled in (customer name, last order number, tracking link)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.domain import inbox
from plugin.domain.inbox import InboxError, QuickReplyValues
from plugin.models import Customer, Order, QuickReply


def library(session: Session, store_id: int) -> list[QuickReply]:
    """The store's quick replies, by shortcut."""
    return list(session.scalars(select(QuickReply).where(QuickReply.store_id == store_id)
                                .order_by(QuickReply.shortcut)))


def save(session: Session, store_id: int, shortcut: str, body: str) -> QuickReply:
    """Add a quick reply, or change the text of the one with that shortcut."""
    name = inbox.check_shortcut(shortcut)
    text = inbox.check_quick_reply(body)
    found = session.scalars(select(QuickReply).where(
        QuickReply.store_id == store_id, QuickReply.shortcut == name)).first()
    if found is not None:
        found.body = text
        return found
    count = session.scalar(select(func.count()).select_from(QuickReply).where(
        QuickReply.store_id == store_id)) or 0
    if count >= inbox.QUICK_REPLIES_MAX:
        raise InboxError(f"A store keeps at most {inbox.QUICK_REPLIES_MAX} quick replies: "
                         "delete one first.")
    reply = QuickReply(store_id=store_id, shortcut=name, body=text)
    session.add(reply)
    session.flush()
    return reply


def values_for(session: Session, customer: Customer) -> QuickReplyValues:
    """What the variables stand for in a conversation with `customer`."""
    order = session.scalars(select(Order).where(
        Order.store_id == customer.store_id, Order.customer_id == customer.id)
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(1)).first()
    tracking = (order.tracking or {}) if order is not None else {}
    link = tracking.get("url") if isinstance(tracking.get("url"), str) else ""
    name = " ".join(p for p in (customer.first_name, customer.last_name) if p).strip()
    return QuickReplyValues(customer_name=name, order_number=order.number if order else "",
                            tracking_link=link or "")


def expand(session: Session, customer: Customer, text: str) -> str:
    """The composer's text with a "/shortcut" replaced by its quick reply, filled in."""
    if not text.strip().startswith("/"):
        return text
    replies = {r.shortcut: r.body for r in library(session, customer.store_id)}
    return inbox.expand(text, replies, values_for(session, customer))
