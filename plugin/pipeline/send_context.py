"""Loading what the send policy needs about one message: consent, window, caps, local time."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.domain import alerts, cross_sell, price_drops
from plugin.domain.consent import needs_confirmation
from plugin.domain.events import OrderEvent
from plugin.domain.outbox import MessageState
from plugin.domain.phones import time_zone_for
from plugin.domain.policy import SendContext
from plugin.models import Automation, Customer, Message, Order, Store, Template
from plugin.pipeline import consent_log
from plugin.pipeline.alerts import release

_DELIVERED_STATES = (MessageState.SENT.value, MessageState.DELIVERED.value,
                     MessageState.READ.value)


def load(session: Session, message: Message, store: Store, now: datetime) -> SendContext:
    """The SendContext for `message` at `now` (naive UTC)."""
    customer = session.get(Customer, message.customer_id) if message.customer_id else None
    return for_recipient(session, store=store, customer=customer, template=message.template,
                         recipient=message.to or None, now=now, message_id=message.id,
                         cause=message.cause,
                         awaiting_payment=_awaiting_payment(session, message),
                         in_stock=release.still_in_stock(session, message))


def for_recipient(session: Session, *, store: Store, customer: Customer | None,
                  template: str | None, recipient: str | None, now: datetime,
                  message_id: int | None = None, cause: str | None = None,
                  awaiting_payment: bool | None = None,
                  in_stock: bool | None = None) -> SendContext:
    """The SendContext of sending `template` (None: free-form) to `recipient`, the store's
    `customer` (None when unknown: no consent, no window), at `now` (naive UTC), before
    any message is written. The weekly marketing count leaves out `message_id` and the other
    messages of the same `cause`: one cart's recovery sequence is one marketing touch, bounded
    by its own steps, so its third step is not capped by its first two."""
    marketing = (_is_marketing(session, store.id, template)
                 # A cross-sell suggestion is marketing whatever its template's category.
                 or (cause or "").startswith(cross_sell.CAUSE_PREFIX))
    consent, unconfirmed = (_marketing_consent(session, customer, _purposes(cause))
                            if marketing else (None, False))
    sent = (_marketing_sent(session, store.id, customer.id, message_id, cause, now)
            if marketing and customer is not None else 0)
    return SendContext(
        store_active=store.active,
        recipient=recipient,
        is_template=template is not None,
        marketing=marketing,
        marketing_consent=consent,
        consent_unconfirmed=unconfirmed,
        last_inbound_at=customer.last_inbound_at if customer else None,
        now=now,
        # Quiet hours are the shopper's: their number's zone when it has one.
        local_now=_local(now, time_zone_for(recipient, store.timezone)),
        marketing_sent_this_week=sent,
        awaiting_payment=awaiting_payment,
        in_stock=in_stock,
    )


def _awaiting_payment(session: Session, message: Message) -> bool | None:
    """Whether the message's order still awaits payment, for journeys sent only while it
    does (conditions `unpaid_only`); None for every other message."""
    if message.order_id is None:
        return None
    conditions = session.scalars(select(Automation.conditions).where(
        Automation.store_id == message.store_id, Automation.journey == message.step)).first()
    if not conditions or not conditions.get("unpaid_only"):
        return None
    order = session.get(Order, message.order_id)
    return bool(order is not None
                and OrderEvent.from_snapshot(order.snapshot or {}).awaiting_payment is True)


def _marketing_templates(store_id: int):  # type: ignore[no-untyped-def]
    return select(Template.name).where(Template.store_id == store_id,
                                       Template.category == "MARKETING")


def _is_marketing(session: Session, store_id: int, template: str | None) -> bool:
    if template is None:
        return False
    return session.scalar(_marketing_templates(store_id).where(
        Template.name == template).limit(1)) is not None


def _purposes(cause: str | None) -> tuple[str, ...]:
    # A back-in-stock alert (or a price drop the shopper subscribed to on the same form) is
    # covered by the shopper's "notify me" opt-in as by a marketing one; a STOP (a marketing
    # opt-out) newer than both stops it. A price drop for a cart needs a marketing opt-in.
    if alerts.subscription_of(cause or "") is not None or price_drops.subscribed(cause or ""):
        return ("marketing", "back_in_stock")
    return ("marketing",)


def _marketing_consent(session: Session, customer: Customer | None,
                       purposes: tuple[str, ...] = ("marketing",)) -> tuple[bool | None, bool]:
    """The newest consent entry's answer for `purposes` (the log is append-only), and
    whether it is a form opt-in its number has not confirmed yet (then it does not count)."""
    if customer is None:
        return None, False
    entries = [e for e in (consent_log.newest(session, customer.id, p) for p in purposes) if e]
    entry = max(entries, key=lambda e: e.created_at) if entries else None
    if entry is None:
        return None, False
    if needs_confirmation(entry.granted, entry.source, entry.created_at,
                          customer.last_inbound_at):
        return None, True
    return entry.granted, False


def _marketing_sent(session: Session, store_id: int, customer_id: int, message_id: int | None,
                    cause: str | None, now: datetime) -> int:
    query = select(func.count(Message.id)).where(
        Message.customer_id == customer_id, Message.state.in_(_DELIVERED_STATES),
        Message.sent_at >= now - timedelta(days=7),
        Message.template.in_(_marketing_templates(store_id)))
    if message_id is not None:
        query = query.where(Message.id != message_id)
    if cause:
        query = query.where(Message.cause != cause)
    return int(session.scalar(query) or 0)


def _local(now: datetime, zone: str | None) -> datetime | None:
    if not zone:
        return None
    try:
        return now.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    except (ZoneInfoNotFoundError, ValueError):
        return None
