"""Loading what the send policy needs about one message: consent, window, caps, local time."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain import alerts, cross_sell, csat, policy, price_drops
from plugin.domain.consent import needs_confirmation
from plugin.domain.customer_tags import AT_RISK
from plugin.domain.events import OrderEvent
from plugin.domain.outbox import MessageState
from plugin.domain.phones import time_zone_for
from plugin.domain.policy import SendContext
from plugin.models import Automation, ConsentEntry, Customer, Message, Order, Store, Template
from plugin.pipeline import consent_log
from plugin.pipeline.alerts import release

# A campaign's messages (plugin.pipeline.campaigns.links.cause): capped, they wait.
CAMPAIGN_CAUSE_PREFIX = "campaign:"
_DELIVERED_STATES = (MessageState.SENT.value, MessageState.DELIVERED.value,
                     MessageState.READ.value)


def load(session: Session, message: Message, store: Store, now: datetime) -> SendContext:
    """The SendContext for `message` at `now` (naive UTC)."""
    customer = session.get(Customer, message.customer_id) if message.customer_id else None
    context = for_recipient(session, store=store, customer=customer, template=message.template,
                            recipient=message.to or None, now=now, message_id=message.id,
                            cause=message.cause,
                            awaiting_payment=_awaiting_payment(session, message),
                            in_stock=release.still_in_stock(session, message))
    return replace(context, send_by=message.send_by) if message.send_by else context


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
    marketing = _marketing_cause(cause) or _is_marketing(session, store.id, template)
    consent, unconfirmed = (_marketing_consent(session, customer, _purposes(cause))
                            if marketing else (None, False))
    at_risk = marketing and customer is not None and AT_RISK in (customer.tags or [])
    times = (_marketing_sent(session, store.id, customer.id, message_id, cause, now,
                             days=max(7, store.at_risk_cap_days if at_risk else 7))
             if marketing and customer is not None else [])
    sent = sum(at >= now - timedelta(days=7) for at in times)
    at_risk_sent = (sum(at >= now - timedelta(days=store.at_risk_cap_days) for at in times)
                    if at_risk else 0)
    zone = time_zone_for(recipient, store.timezone)
    local_now = _local(now, zone)
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
        local_now=local_now,
        marketing_sent_this_week=sent,
        awaiting_payment=awaiting_payment,
        in_stock=in_stock,
        **limits(store),
        local_zone=zone if local_now is not None else None,
        at_risk=at_risk,
        marketing_sent_at_risk_period=at_risk_sent,
        held_until=customer.marketing_held_until if customer is not None else None,
        **_cap_waits(store, marketing, cause, at_risk, times, now),
    )


def _cap_waits(store: Store, marketing: bool, cause: str | None, at_risk: bool,
               times: Sequence[datetime], now: datetime) -> dict[str, Any]:
    """The SendContext fields that let a campaign's capped message wait for its cap."""
    if not marketing or not (cause or "").startswith(CAMPAIGN_CAUSE_PREFIX):
        return {}
    return {"cap_defers": True,
            "weekly_cap_frees_at": policy.cap_frees_at(times, store.marketing_weekly_cap, 7,
                                                       now),
            "at_risk_cap_frees_at": (policy.cap_frees_at(times, store.at_risk_cap,
                                                         store.at_risk_cap_days, now)
                                     if at_risk else None)}


def limits(store: Store) -> dict[str, Any]:
    """The store's marketing limits, as SendContext fields."""
    return {"weekly_cap": store.marketing_weekly_cap, "at_risk_cap": store.at_risk_cap,
            "at_risk_cap_days": store.at_risk_cap_days,
            "quiet_hours": (store.quiet_start_hour, store.quiet_end_hour)}


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


def _marketing_cause(cause: str | None) -> bool:
    # A cross-sell suggestion is marketing whatever its template's category.
    # So is a satisfaction survey's invitation (plugin.pipeline.csat.send says why).
    return (cause or "").startswith(cross_sell.CAUSE_PREFIX) or csat.is_invitation(cause or "")


def marketing_endpoint(session: Session, message: Message, context: SendContext) -> bool:
    """Whether `message` goes through the Marketing Messages API's endpoint (where the number
    is onboarded): a marketing message that is a MARKETING template. Marketing by its cause
    alone (a survey's list, a utility template) is marketing for consent and caps, but that
    endpoint takes marketing templates only."""
    return context.marketing and _is_marketing(session, message.store_id, message.template)


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
                    cause: str | None, now: datetime, days: int = 7) -> list[datetime]:
    """When the customer's marketing messages of the last `days` days were sent."""
    query = select(Message.sent_at).where(
        Message.customer_id == customer_id, Message.state.in_(_DELIVERED_STATES),
        Message.sent_at >= now - timedelta(days=days),
        Message.template.in_(_marketing_templates(store_id)))
    if message_id is not None:
        query = query.where(Message.id != message_id)
    if cause:
        query = query.where(Message.cause != cause)
    return [at for at in session.scalars(query) if at is not None]


def _local(now: datetime, zone: str | None) -> datetime | None:
    if not zone:
        return None
    try:
        return now.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def load_many(session: Session, messages: Sequence[Message], store: Store,
              now: datetime) -> dict[int, SendContext]:
    """message id → the SendContext `load` gives for it, for many messages of one `store`
    in a handful of queries (customers, marketing templates, consent, recent marketing
    sends) instead of several per message: the batch send engine's policy check.
    `messages` may be plain rows of the messages table (the engine's), read alike."""
    customer_ids = {m.customer_id for m in messages if m.customer_id is not None}
    customers = ({c.id: c for c in session.scalars(
        select(Customer).where(Customer.id.in_(customer_ids)))} if customer_ids else {})
    marketing_names = set(session.scalars(_marketing_templates(store.id)))
    marketing = [m for m in messages if _marketing_cause(m.cause)
                 or (m.template is not None and m.template in marketing_names)]
    marketing_ids = {m.id for m in marketing}
    consent = _newest_consents(session, {m.customer_id for m in marketing
                                         if m.customer_id is not None})
    recent = _recent_marketing(session, store, {m.customer_id for m in marketing
                                                if m.customer_id is not None}, now)
    found: dict[int, SendContext] = {}
    for message in messages:
        customer = customers.get(message.customer_id) if message.customer_id else None
        is_marketing = message.id in marketing_ids
        granted, unconfirmed = ((_consent_of(consent, customer, _purposes(message.cause)))
                                if is_marketing else (None, False))
        sent_times = ([at for (mid, cause, at) in recent.get(customer.id, ())
                       if mid != message.id and cause != message.cause]
                      if is_marketing and customer is not None else [])
        at_risk = is_marketing and customer is not None and AT_RISK in (customer.tags or [])
        recipient = message.to or None
        zone = time_zone_for(recipient, store.timezone)
        local_now = _local(now, zone)
        context = SendContext(
            store_active=store.active, recipient=recipient,
            is_template=message.template is not None, marketing=is_marketing,
            marketing_consent=granted, consent_unconfirmed=unconfirmed,
            last_inbound_at=customer.last_inbound_at if customer else None,
            now=now, local_now=local_now,
            marketing_sent_this_week=sum(at >= now - timedelta(days=7) for at in sent_times),
            awaiting_payment=_awaiting_payment(session, message),
            in_stock=release.still_in_stock(session, message),
            **limits(store),
            local_zone=zone if local_now is not None else None,
            at_risk=at_risk,
            marketing_sent_at_risk_period=(
                sum(at >= now - timedelta(days=store.at_risk_cap_days) for at in sent_times)
                if at_risk else 0),
            held_until=customer.marketing_held_until if customer is not None else None,
            **_cap_waits(store, is_marketing, message.cause, at_risk, sent_times, now))
        found[message.id] = (replace(context, send_by=message.send_by) if message.send_by
                             else context)
    return found


_Consent = dict[tuple[int, str], Any]


def _newest_consents(session: Session, customer_ids: set[Any]) -> _Consent:
    """(customer id, purpose) → the newest consent entry, in one query."""
    if not customer_ids:
        return {}
    newest: _Consent = {}
    # Oldest first, so the last one written for each key is the newest (ties: by id).
    for entry in session.execute(
            select(ConsentEntry.customer_id, ConsentEntry.purpose, ConsentEntry.granted,
                   ConsentEntry.source, ConsentEntry.created_at)
            .where(ConsentEntry.customer_id.in_(customer_ids))
            .order_by(ConsentEntry.created_at, ConsentEntry.id)):
        newest[(entry.customer_id, entry.purpose)] = entry
    return newest


def _consent_of(consent: _Consent, customer: Customer | None,
                purposes: tuple[str, ...]) -> tuple[bool | None, bool]:
    """As _marketing_consent, from entries loaded beforehand."""
    if customer is None:
        return None, False
    entries = [e for e in (consent.get((customer.id, p)) for p in purposes) if e]
    entry = max(entries, key=lambda e: e.created_at) if entries else None
    if entry is None:
        return None, False
    if needs_confirmation(entry.granted, entry.source, entry.created_at,
                          customer.last_inbound_at):
        return None, True
    return entry.granted, False


def _recent_marketing(session: Session, store: Store, customer_ids: set[Any],
                      now: datetime) -> dict[int, list[tuple[int, str, datetime]]]:
    """customer id → (message id, cause, sent_at) of their marketing sends over the longest
    cap period, in one query; each message's counts leave out itself and its own cause."""
    if not customer_ids:
        return {}
    days = max(7, store.at_risk_cap_days)
    found: dict[int, list[tuple[int, str, datetime]]] = {}
    for customer_id, message_id, cause, sent_at in session.execute(
            select(Message.customer_id, Message.id, Message.cause, Message.sent_at).where(
                Message.customer_id.in_(customer_ids), Message.state.in_(_DELIVERED_STATES),
                Message.sent_at >= now - timedelta(days=days),
                Message.template.in_(_marketing_templates(store.id)))):
        found.setdefault(customer_id, []).append((message_id, cause, sent_at))
    return found
