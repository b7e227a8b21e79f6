"""Applying an order event: update the customer and order snapshots, write outbox rows."""
from __future__ import annotations

from dataclasses import asdict, replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin import db
from plugin.domain.events import CustomerRef, EventKind, OrderEvent
from plugin.domain.order_status import change_kind
from plugin.domain.journeys import PlannedMessage, Rule, plan_messages, template_payload
from plugin.domain.phones import to_e164, wa_recipient
from plugin.models import Automation, Customer, Message, Order, Store
from plugin.sql import insert_ignore


def apply_order_event(session: Session, store: Store,
                      event: OrderEvent) -> list[tuple[int, int]]:
    """Store what the event says and queue the messages it asks for.

    Returns (message id, delay in seconds) for each message that is new; a message that
    already exists for this order and step is not written again, so redeliveries send nothing.
    """
    event = _real_change(session, store, _fill_from_snapshot(session, store, event))
    customer = _upsert_customer(session, store, event)
    order = _upsert_order(session, store, event, customer)
    rules = _rules(session, store.id)
    phone = customer.phone_e164 if customer else None
    created = []
    for planned in plan_messages(event, rules):
        message_id = _insert_message(session, store, order, customer, phone, planned)
        if message_id is not None:
            created.append((message_id, planned.delay_seconds))
    return created


def _real_change(session: Session, store: Store, event: OrderEvent) -> OrderEvent:
    """An ORDER_UPDATED becomes the change its status shows against the stored order."""
    if event.kind is not EventKind.ORDER_UPDATED:
        return event
    previous = session.scalars(select(Order.status).where(
        Order.store_id == store.id, Order.platform_id == event.order_id)).first()
    return replace(event, kind=change_kind(previous, event.status))


def _fill_from_snapshot(session: Session, store: Store, event: OrderEvent) -> OrderEvent:
    """Complete an event that carries only part of the order (a Shopify fulfillment has
    no totals, number or customer) from what the order's earlier events told us."""
    if event.currency and event.number and event.customer:
        return event
    order = session.scalars(select(Order).where(Order.store_id == store.id,
                                                Order.platform_id == event.order_id)).first()
    if order is None:
        return event
    customer = event.customer
    if customer is None and order.customer_id:
        row = session.get(Customer, order.customer_id)
        if row is not None:
            customer = CustomerRef(platform_id=row.platform_id, first_name=row.first_name,
                                   last_name=row.last_name, phone=row.phone_e164,
                                   email=row.email, locale=row.locale)
    return replace(
        event,
        number=event.number or order.number,
        currency=event.currency or order.currency,
        # A refund carries its own amount; a fulfillment carries none.
        total=event.total if (event.currency or event.total) else Decimal(order.total or "0"),
        payment_gateway=event.payment_gateway or order.payment_gateway,
        status_url=event.status_url or str(order.snapshot.get("status_url", "")),
        customer=customer,
    )


def _upsert_customer(session: Session, store: Store, event: OrderEvent) -> Customer | None:
    ref = event.customer
    if ref is None:
        return None
    insert_ignore(session, Customer,
                  {"store_id": store.id, "platform_id": ref.platform_id, "tags": []},
                  ("store_id", "platform_id"))
    customer = session.scalars(
        select(Customer).where(Customer.store_id == store.id,
                               Customer.platform_id == ref.platform_id)
    ).one()
    customer.first_name = ref.first_name or customer.first_name
    customer.last_name = ref.last_name or customer.last_name
    customer.email = ref.email or customer.email
    customer.locale = ref.locale or customer.locale
    phone = to_e164(ref.phone, store.country)
    if phone:
        customer.phone_e164 = phone
    return customer


def _upsert_order(session: Session, store: Store, event: OrderEvent,
                  customer: Customer | None) -> Order:
    insert_ignore(session, Order,
                  {"store_id": store.id, "platform_id": event.order_id, "number": event.number,
                   "status": event.status, "currency": event.currency, "total": str(event.total),
                   "snapshot": {}},
                  ("store_id", "platform_id"))
    order = session.scalars(
        select(Order).where(Order.store_id == store.id, Order.platform_id == event.order_id)
    ).one()
    order.number = event.number
    order.status = event.status
    order.currency = event.currency
    order.total = str(event.total)
    order.payment_gateway = event.payment_gateway
    order.customer_id = customer.id if customer else order.customer_id
    if event.tracking:
        order.tracking = asdict(event.tracking)
    order.snapshot = _snapshot(event)
    order.updated_at = db.utcnow()
    return order


def _snapshot(event: OrderEvent) -> dict[str, object]:
    """The event as JSON-safe data: what the demo store and previews read back."""
    data = asdict(event)
    data["kind"] = event.kind.value
    data["total"] = str(event.total)
    data["line_items"] = [
        {"title": i.title, "quantity": i.quantity, "price": str(i.price)} for i in event.line_items
    ]
    return data


def _rules(session: Session, store_id: int) -> list[Rule]:
    rows = session.scalars(
        select(Automation).where(Automation.store_id == store_id, Automation.enabled.is_(True))
    )
    return [
        Rule(trigger=EventKind(row.trigger), template=row.template, language=row.language,
             variables=tuple(row.variables), delay_seconds=row.delay_seconds)
        for row in rows
    ]


def _insert_message(session: Session, store: Store, order: Order, customer: Customer | None,
                    phone: str | None, planned: PlannedMessage) -> int | None:
    now = db.utcnow()
    to = wa_recipient(phone) if phone else ""
    return insert_ignore(
        session,
        Message,
        {
            "store_id": store.id,
            "customer_id": customer.id if customer else None,
            "order_id": order.id,
            "cause": f"order:{order.platform_id}",
            "step": planned.step,
            "to": phone or "",
            "template": planned.template,
            "payload": template_payload(to, planned.template, planned.language,
                                        planned.parameters),
            "state": "pending",
            "attempts": 0,
            "not_before": now + timedelta(seconds=planned.delay_seconds)
            if planned.delay_seconds else None,
            "created_at": now,
            "enqueued_at": now,
        },
        ("store_id", "cause", "step"),
    )
