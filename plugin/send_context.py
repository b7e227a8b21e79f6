"""Loading what the send policy needs about one message: consent, window, caps, local time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.domain.outbox import MessageState
from plugin.domain.policy import SendContext
from plugin.models import ConsentEntry, Customer, Message, Store, Template

_DELIVERED_STATES = (MessageState.SENT.value, MessageState.DELIVERED.value,
                     MessageState.READ.value)


def load(session: Session, message: Message, store: Store, now: datetime) -> SendContext:
    """The SendContext for `message` at `now` (naive UTC)."""
    customer = session.get(Customer, message.customer_id) if message.customer_id else None
    marketing = _is_marketing(session, message)
    return SendContext(
        store_active=store.active,
        recipient=message.to or None,
        is_template=message.template is not None,
        marketing=marketing,
        marketing_consent=_marketing_consent(session, customer) if marketing else None,
        last_inbound_at=customer.last_inbound_at if customer else None,
        now=now,
        local_now=_local(now, store.timezone),
        marketing_sent_this_week=_marketing_sent(session, message, now) if marketing else 0,
    )


def _marketing_templates(message: Message):  # type: ignore[no-untyped-def]
    return select(Template.name).where(Template.store_id == message.store_id,
                                       Template.category == "MARKETING")


def _is_marketing(session: Session, message: Message) -> bool:
    if message.template is None:
        return False
    return session.scalar(_marketing_templates(message).where(
        Template.name == message.template).limit(1)) is not None


def _marketing_consent(session: Session, customer: Customer | None) -> bool | None:
    """The newest marketing consent entry's answer (the log is append-only)."""
    if customer is None:
        return None
    return session.scalars(
        select(ConsentEntry.granted).where(ConsentEntry.customer_id == customer.id,
                                           ConsentEntry.purpose == "marketing")
        .order_by(ConsentEntry.created_at.desc(), ConsentEntry.id.desc()).limit(1)).first()


def _marketing_sent(session: Session, message: Message, now: datetime) -> int:
    if message.customer_id is None:
        return 0
    return int(session.scalar(
        select(func.count(Message.id)).where(
            Message.customer_id == message.customer_id, Message.id != message.id,
            Message.state.in_(_DELIVERED_STATES), Message.sent_at >= now - timedelta(days=7),
            Message.template.in_(_marketing_templates(message)))) or 0)


def _local(now: datetime, zone: str | None) -> datetime | None:
    if not zone:
        return None
    try:
        return now.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    except (ZoneInfoNotFoundError, ValueError):
        return None
