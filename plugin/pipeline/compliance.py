"""Privacy requests: export what we hold on a customer, erase a customer, erase a shop.

Erasing means no row keeps the person's phone, name, email or messages afterwards: the
customer row (with its consent log and messages, by cascade), order snapshots' customer
details, and the raw webhook bodies that mention them.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from plugin.domain.events import ComplianceEvent, EventKind
from plugin.domain.phones import to_e164
from plugin.models import (
    AlertSubscription,
    Checkout,
    ConsentEntry,
    Conversation,
    Customer,
    DataExport,
    InboundEvent,
    Message,
    Order,
    PriceDropAlert,
    ReceivedMessage,
    RecoveryStep,
    Store,
)
from plugin.pipeline.inbox import media as inbox_media

# What a redacted inbound event keeps as its body.
REDACTED_BODY = b'{"redacted": true}'
# Inbound events read per round trip while looking for a person's payloads.
PAYLOAD_SCAN_BATCH = 1000


def apply_compliance_event(session: Session, store: Store | None,
                           event: ComplianceEvent) -> list[tuple[int, int]]:
    """Carry out a privacy request for `store` (None: we hold nothing for that shop)."""
    if store is None:
        return []
    if event.kind is EventKind.SHOP_REDACT:
        inbox_media.forget_store(session, store.id)  # files are not rows: deleted here
        session.delete(store)  # customers, orders, messages, events… go with it (cascade)
    elif event.kind is EventKind.CUSTOMER_REDACT:
        redact_customer(session, store, event)
    elif event.kind is EventKind.CUSTOMER_DATA_REQUEST:
        export_customer(session, store, event)
    return []


def _customers(session: Session, store: Store, event: ComplianceEvent) -> list[Customer]:
    matches = []
    if event.customer_platform_id:
        matches.append(Customer.platform_id == event.customer_platform_id)
    phone = to_e164(event.phone, store.country)
    if phone:
        matches.append(Customer.phone_e164 == phone)
    if event.email:
        matches.append(Customer.email == event.email)
    if not matches:
        return []
    return list(session.scalars(select(Customer).where(Customer.store_id == store.id,
                                                       or_(*matches))))


def _identifiers(event: ComplianceEvent, customers: list[Customer]) -> set[str]:
    """Strings that identify the person in raw payloads."""
    values = {event.customer_platform_id, event.phone, event.email}
    for customer in customers:
        values |= {customer.platform_id, customer.phone_e164 or "", customer.email or "",
                   customer.wa_id or ""}
    # Short values (an id like "7") would match unrelated payloads; real ids are long.
    return {v for v in values if v and len(v) >= 5}


def redact_customer(session: Session, store: Store, event: ComplianceEvent) -> None:
    """Erase one customer of `store`: their rows, messages, and mentions in payloads."""
    customers = _customers(session, store, event)
    identifiers = _identifiers(event, customers)
    customer_ids = [c.id for c in customers]
    phones = [c.phone_e164 for c in customers if c.phone_e164]
    order_filter = [Order.platform_id.in_(event.order_ids)] if event.order_ids else []
    if customer_ids:
        order_filter.append(Order.customer_id.in_(customer_ids))
    if order_filter:
        for order in session.scalars(select(Order).where(Order.store_id == store.id,
                                                         or_(*order_filter))):
            order.customer_id = None
            order.snapshot = {k: v for k, v in order.snapshot.items() if k != "customer"}
    if phones:
        session.execute(delete(Message).where(Message.store_id == store.id,
                                              Message.to.in_(phones)))
    if customer_ids:
        # Consent entries and messages cascade with the customer; say it explicitly anyway,
        # so the erasure does not depend on the database enforcing foreign keys.
        session.execute(delete(Message).where(Message.customer_id.in_(customer_ids)))
        session.execute(delete(ConsentEntry).where(ConsentEntry.customer_id.in_(customer_ids)))
        session.execute(delete(PriceDropAlert).where(
            PriceDropAlert.customer_id.in_(customer_ids)))
        session.execute(delete(AlertSubscription).where(
            AlertSubscription.customer_id.in_(customer_ids)))
        # The inbox: files they sent, their messages, notes and conversations.
        inbox_media.forget_customers(session, customer_ids)
        session.execute(delete(ReceivedMessage).where(
            ReceivedMessage.customer_id.in_(customer_ids)))
        session.execute(delete(Conversation).where(Conversation.customer_id.in_(customer_ids)))
        session.execute(delete(Customer).where(Customer.id.in_(customer_ids)))
    _erase_checkouts(session, store, event, customer_ids, phones)
    _redact_payloads(session, store.id, identifiers)


def _erase_checkouts(session: Session, store: Store, event: ComplianceEvent,
                     customer_ids: list[int], phones: list[str]) -> None:
    """Checkouts hold the shopper's phone, email, name and cart: they go with the person,
    with their recovery steps and the recovery messages those steps wrote (which may name no
    customer, when the cart's phone was never one)."""
    phone = to_e164(event.phone, store.country)
    matches = [Checkout.phone_e164.in_([*phones, *([phone] if phone else [])])]
    if customer_ids:
        matches.append(Checkout.customer_id.in_(customer_ids))
    if event.email:
        matches.append(Checkout.email == event.email)
    ids = list(session.scalars(select(Checkout.id).where(Checkout.store_id == store.id,
                                                         or_(*matches))))
    if not ids:
        return
    # Explicit rather than by cascade, as above: foreign keys may not be enforced.
    session.execute(delete(Message).where(Message.id.in_(
        select(RecoveryStep.message_id).where(RecoveryStep.checkout_id.in_(ids),
                                              RecoveryStep.message_id.is_not(None)))))
    session.execute(delete(RecoveryStep).where(RecoveryStep.checkout_id.in_(ids)))
    session.execute(delete(Checkout).where(Checkout.id.in_(ids)))


def _redact_payloads(session: Session, store_id: int, identifiers: set[str]) -> None:
    """Blank the raw webhook bodies of the store that mention any identifier.

    Scanned in Python, in batches: a LIKE over binary columns behaves differently on
    SQLite and PostgreSQL, and a privacy request is rare enough to afford a full pass.
    """
    needles = [i.encode() for i in identifiers]
    if not needles:
        return
    rows = session.execute(
        select(InboundEvent.id, InboundEvent.body)
        .where(InboundEvent.store_id == store_id, InboundEvent.body != REDACTED_BODY)
        .execution_options(yield_per=PAYLOAD_SCAN_BATCH))
    matched = [row.id for row in rows if any(n in row.body for n in needles)]
    for start in range(0, len(matched), PAYLOAD_SCAN_BATCH):
        session.execute(update(InboundEvent)
                        .where(InboundEvent.id.in_(matched[start:start + PAYLOAD_SCAN_BATCH]))
                        .values(body=REDACTED_BODY, headers={}))


def export_customer(session: Session, store: Store, event: ComplianceEvent) -> DataExport:
    """Collect everything held on the customer into a DataExport for the owner."""
    customers = _customers(session, store, event)
    ids = [c.id for c in customers]
    content: dict[str, Any] = {
        "customers": [
            {"platform_id": c.platform_id, "first_name": c.first_name, "last_name": c.last_name,
             "phone": c.phone_e164, "whatsapp_id": c.wa_id, "email": c.email, "locale": c.locale,
             "tags": c.tags, "created_at": c.created_at.isoformat()} for c in customers],
        "consent": [
            {"purpose": e.purpose, "granted": e.granted, "source": e.source,
             "text_shown": e.text_shown, "ip": e.ip, "page": e.page,
             "at": e.created_at.isoformat()}
            for e in session.scalars(select(ConsentEntry).where(ConsentEntry.customer_id.in_(ids)))
        ] if ids else [],
        "messages": [
            {"template": m.template, "to": m.to, "state": m.state, "payload": m.payload,
             "created_at": m.created_at.isoformat()}
            for m in session.scalars(select(Message).where(Message.customer_id.in_(ids)))
        ] if ids else [],
        "orders": [
            {"number": o.number, "status": o.status, "total": o.total, "currency": o.currency}
            for o in session.scalars(select(Order).where(Order.customer_id.in_(ids)))
        ] if ids else [],
    }
    export = DataExport(store_id=store.id, request_id=event.request_id,
                        customer_platform_id=event.customer_platform_id, content=content)
    session.add(export)
    return export
