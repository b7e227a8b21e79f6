"""Applying an order event: update the customer and order snapshots, write outbox rows."""
from __future__ import annotations

import secrets
from dataclasses import asdict, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from plugin.domain import cod
from plugin.domain.customer_tags import placed_time
from plugin.domain.events import CustomerRef, EventKind, OrderEvent, Tracking
from plugin.domain.journeys import (
    COD_JOURNEY,
    PlannedMessage,
    Rule,
    StoreFacts,
    button_kinds,
    plan_messages,
)
from plugin.domain.order_status import change_kind, is_stale, stage
from plugin.domain.phones import to_e164, wa_recipient
from plugin.domain.template_drafts import variables_in
from plugin.infra import db, queue
from plugin.infra.sql import insert_ignore
from plugin.models import Automation, Customer, Order, Store, Template
from plugin.pipeline import checkouts, customer_tags, order_attribution, outbox
from plugin.pipeline.alerts import cross_sell
from plugin.pipeline.csat import schedule as csat_schedule

# Snapshot keys that outlive the event that wrote the snapshot.
TOKEN_KEY = "tracking_token"  # the opaque id in the tracking button's URL (widget.links)
STAGE_KEY = "stage"  # the furthest delivery stage reached (plugin.domain.order_status)
# Kinds after which an order no longer waits for the shopper's payment.
_SETTLED = (EventKind.ORDER_PAID, EventKind.ORDER_CANCELLED, EventKind.ORDER_REFUNDED)


def apply_order_event(session: Session, store: Store,
                      event: OrderEvent) -> list[tuple[int, int]]:
    """Store what the event says and queue the messages it asks for.

    Returns (message id, delay in seconds) for each message that is new, each queued for
    sending once the transaction commits; a message that
    already exists for this order and journey is not written again, so redeliveries, merged
    updates and catch-ups send nothing twice. A delivery step older than the stage the order
    has reached (shipped after delivered) is stored but sends nothing.
    """
    known = _find_order(session, store, event.order_id)
    previous: dict[str, Any] = dict(known.snapshot or {}) if known else {}
    stored = OrderEvent.from_snapshot(previous)
    event = _fill_from_snapshot(session, known, stored, event)
    if event.kind is EventKind.ORDER_UPDATED:
        event = replace(event, kind=change_kind(
            known.status if known else None, event.status,
            stored.shipment_status, event.shipment_status))
    if event.kind in _SETTLED:
        event = replace(event, awaiting_payment=False)
    reached = int(previous.get(STAGE_KEY, -1))
    customer = _upsert_customer(session, store, event)
    order = _upsert_order(session, store, event, customer, previous, stored,
                          max(reached, stage(event.kind)))
    checkouts.complete_from_order(session, store, event, order)
    # The message that earned it (last touch), once; its ad and holdout experiments.
    order_attribution.note_order(session, store, event, order)
    # Its products into the store's bought-together counts (once), its cross-sell on delivery.
    cross_sell.note_order(session, store, event, order)
    # Its satisfaction survey on delivery (once, while the survey is on).
    csat_schedule.note_order(session, store, event, order)
    if customer is not None:
        # Every order event may change the customer's tags (a first order, a cancellation).
        session.flush()
        customer_tags.recompute(session, store.id, [customer.id])
    if is_stale(event.kind, reached):
        return []
    phone = customer.phone_e164 if customer else None
    facts = _facts(session, store, customer, order)
    created = []
    for planned in plan_messages(event, _rules(session, store.id), facts):
        message_id = _write_message(session, store, order, customer, phone, planned)
        if planned.step == COD_JOURNEY and order.cod_state is None:
            order.cod_state = cod.ASKED
        if message_id is not None:
            queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id,
                                       planned.delay_seconds)
            created.append((message_id, planned.delay_seconds))
    return created


def _find_order(session: Session, store: Store, platform_id: str) -> Order | None:
    return session.scalars(select(Order).where(Order.store_id == store.id,
                                               Order.platform_id == platform_id)).first()


def _fill_from_snapshot(session: Session, order: Order | None, stored: OrderEvent,
                        event: OrderEvent) -> OrderEvent:
    """Complete an event that carries only part of the order (a Shopify fulfillment has
    no totals, number or customer) from what the order's earlier events told us."""
    if order is None:
        return event
    customer = event.customer
    if customer is None and order.customer_id:
        row = session.get(Customer, order.customer_id)
        if row is not None:
            customer = CustomerRef(platform_id=row.platform_id, first_name=row.first_name,
                                   last_name=row.last_name, phone=row.phone_e164,
                                   email=row.email, locale=row.locale)
    tracking = event.tracking
    if tracking is None and order.tracking:
        tracking = Tracking.from_snapshot(order.tracking)
    awaiting = event.awaiting_payment
    if awaiting is None:
        awaiting = stored.awaiting_payment
    return replace(
        event,
        number=event.number or order.number,
        currency=event.currency or order.currency,
        # A refund carries its own amount; a fulfillment carries none.
        total=event.total if (event.currency or event.total) else Decimal(order.total or "0"),
        payment_gateway=event.payment_gateway or order.payment_gateway,
        status_url=event.status_url or stored.status_url,
        payment_url=event.payment_url or stored.payment_url,
        line_items=event.line_items or stored.line_items,
        customer=customer,
        tracking=tracking,
        awaiting_payment=awaiting,
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
    customer.country = event.country[:2] or customer.country
    return customer


def _upsert_order(session: Session, store: Store, event: OrderEvent,
                  customer: Customer | None, previous: dict[str, Any], stored: OrderEvent,
                  reached: int) -> Order:
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
    order.placed_at = order.placed_at or placed_time(event.placed_at) or db.utcnow()
    if event.discounted is not None:
        order.discounted = event.discounted
    order.customer_id = customer.id if customer else order.customer_id
    if event.tracking:
        order.tracking = asdict(event.tracking)
    order.snapshot = {
        **replace(event, shipment_status=event.shipment_status
                  or stored.shipment_status).to_snapshot(),
        # Minted once per order: the tracking button's URL must stay the same forever.
        TOKEN_KEY: previous.get(TOKEN_KEY) or secrets.token_urlsafe(16),
        STAGE_KEY: reached,
    }
    order.updated_at = db.utcnow()
    return order


def _rules(session: Session, store_id: int) -> list[Rule]:
    rows = session.scalars(
        select(Automation).where(Automation.store_id == store_id, Automation.enabled.is_(True))
    )
    return [
        Rule(journey=row.journey, trigger=EventKind(row.trigger), template=row.template,
             language=row.language, variables=tuple(row.variables),
             conditions=dict(row.conditions or {}), delay_seconds=row.delay_seconds)
        for row in rows
        # The product flows (plugin.pipeline.alerts.flows) are automations no order starts.
        if EventKind(row.trigger) is not EventKind.UNKNOWN
    ]


def _facts(session: Session, store: Store, customer: Customer | None,
           order: Order) -> StoreFacts:
    templates = list(session.scalars(select(Template).where(Template.store_id == store.id,
                                                            Template.status == "APPROVED")))
    return StoreFacts(
        available={(t.name, t.language) for t in templates},
        buttons={(t.name, t.language): button_kinds(t.components or []) for t in templates},
        customer_locale=customer.locale if customer else None,
        store_locale=store.locale,
        tracking_token=str(order.snapshot.get(TOKEN_KEY, "")),
        parameter_names={(t.name, t.language): parameter_names(t) for t in templates
                         if t.parameter_format == "NAMED"},
    )


def parameter_names(template: Template) -> tuple[str, ...]:
    """The body's variable names, in order, of a template written with named variables;
    () for numbered ones (their parameters go by position)."""
    if template.parameter_format != "NAMED":
        return ()
    return variables_in(_body(template.components or []))


def _body(components: list[Any]) -> str:
    return next((str(c.get("text") or "") for c in components
                 if isinstance(c, dict) and str(c.get("type", "")).upper() == "BODY"), "")


def _write_message(session: Session, store: Store, order: Order, customer: Customer | None,
                   phone: str | None, planned: PlannedMessage) -> int | None:
    """The planned message in the outbox; None if it was there already or is not to be sent
    (a body over one of WhatsApp's limits is kept as skipped, with the limit as its reason)."""
    skipped = None
    try:
        payload = messages.template(wa_recipient(phone) if phone else None, planned.template,
                                    planned.language, body=planned.parameters,
                                    buttons=planned.buttons,
                                    parameter_names=planned.parameter_names)
    except messages.MessageLimitError as error:
        payload, skipped = {}, f"not sent: the message breaks a WhatsApp limit ({error})"
    message_id = outbox.write(
        session, store_id=store.id, customer_id=customer.id if customer else None,
        order_id=order.id, cause=outbox.order_cause(order.platform_id),
        step=planned.step,
        to=phone or "", template=planned.template, payload=payload,
        delay_seconds=planned.delay_seconds, skipped=skipped)
    return None if skipped else message_id
