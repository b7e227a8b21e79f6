"""Subscribing to a variant, and confirming it from WhatsApp.

A subscription given on the storefront ("Notify me on WhatsApp") is a form opt-in: anyone
can type anyone's number. It is recorded as the widget's opt-ins are (a consent entry,
purpose back_in_stock, source "widget", the text shown, page and IP) and starts *pending*.
It is confirmed the way the widget confirms every opt-in (plugin.domain.consent
.needs_confirmation): the shopper sends us the prefilled WhatsApp message the form opens,
which also opens their 24-hour window; then it waits for a restock, and a free-form reply
in that window tells them so. No template is spent on the confirmation, and none had to be
created at Meta for it.

Asking again is harmless: (store, customer, variant, kind) is unique, so the same number
subscribing a hundred times is stored once (the endpoint also rate-limits it).
"""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from plugin.domain import price_drops
from plugin.domain.alerts import DEFAULT_EXPIRY_DAYS, confirmed_text, product_label
from plugin.domain.consent import OptReading, read_message
from plugin.domain.errors import RequestRefused
from plugin.domain.messaging import InboundMessage
from plugin.domain.phones import wa_recipient
from plugin.infra import db
from plugin.infra.queue import Job, enqueue_after_commit
from plugin.infra.sql import insert_ignore
from plugin.models import (
    AlertKind,
    AlertState,
    AlertSubscription,
    CatalogItem,
    ConsentEntry,
    Customer,
    ItemState,
    Store,
)
from plugin.pipeline import consent_log, outbox
from plugin.pipeline.catalog.items import TOMBSTONE

# Catalog rows of a variant the store no longer has (plugin.pipeline.catalog.items).
_GONE = (ItemState.DELETING, ItemState.DELETED)
CONSENT_PURPOSE = "back_in_stock"
CONSENT_SOURCE = "widget"  # a form opt-in: counts once the number writes to us
# The outbox cause (with the first confirmed subscription's id) and step of the reply.
CONFIRMED_CAUSE = "stock_alert_confirmed:"
CONFIRMED_STEP = "back_in_stock_confirmed"


class UnknownVariant(RequestRefused):
    """The variant is not one of the store's (never seen, or deleted)."""


def find_variant(session: Session, store: Store, variant_id: str) -> CatalogItem | None:
    """The store's live catalog row for `variant_id`, or None when unknown or deleted (the
    product deleted, or the variant gone from it)."""
    if not variant_id or variant_id.startswith(TOMBSTONE):
        return None
    row = session.scalars(select(CatalogItem).where(
        CatalogItem.store_id == store.id, CatalogItem.variant_id == variant_id)).first()
    if row is None or row.deleted_at is not None or row.state in _GONE:
        return None
    return row


def subscribe(session: Session, store: Store, phone: str, variant_id: str, *, text: str,
              ip: str | None, page: str | None,
              kind: AlertKind = AlertKind.BACK_IN_STOCK) -> AlertSubscription:
    """Record the consent and the subscription of `phone` (E.164) to the variant; the
    existing row when this number already asked. Raises UnknownVariant."""
    item = find_variant(session, store, variant_id)
    if item is None:
        raise UnknownVariant(f"no variant {variant_id[:64]!r} in this store")
    customer = _customer(session, store, phone)
    now = db.utcnow()
    current = consent_log.newest(session, customer.id, CONSENT_PURPOSE)
    if current is None or (current.granted, current.source, current.text_shown) != (
            True, CONSENT_SOURCE, text[:1000]):
        # The same words ticked again add nothing: a newer unconfirmed entry would only hold
        # back alerts the shopper has already confirmed.
        session.add(ConsentEntry(store_id=store.id, customer_id=customer.id,
                                 purpose=CONSENT_PURPOSE, granted=True, source=CONSENT_SOURCE,
                                 text_shown=text[:1000], ip=ip, page=page, created_at=now))
    days = store.alert_expiry_days or DEFAULT_EXPIRY_DAYS
    insert_ignore(session, AlertSubscription, {
        "store_id": store.id, "customer_id": customer.id, "variant_id": item.variant_id,
        "product_id": item.product_id, "kind": kind.value, "state": AlertState.PENDING.value,
        "link_token": secrets.token_urlsafe(16), "page": page, "created_at": now,
        "expires_at": now + timedelta(days=days),
    }, ("store_id", "customer_id", "variant_id", "kind"))
    row = session.scalars(select(AlertSubscription).where(
        AlertSubscription.store_id == store.id, AlertSubscription.customer_id == customer.id,
        AlertSubscription.variant_id == item.variant_id,
        AlertSubscription.kind == kind.value)).one()
    if row.state in (AlertState.EXPIRED, AlertState.CANCELLED):
        # Asking again after it lapsed starts it over, at the back of the queue.
        row.state, row.created_at, row.confirmed_at = AlertState.PENDING.value, now, None
        row.expires_at = now + timedelta(days=days)
    return row


def confirm(session: Session, store_id: int, customer: Customer,
            message: InboundMessage) -> list[int]:
    """The shopper wrote to us from this number: their pending subscriptions given before
    the message wait for a restock now, and (unless the message opts out) a reply in the
    open window says so, once. The confirmed subscriptions' ids."""
    at = datetime.fromtimestamp(message.timestamp, UTC).replace(tzinfo=None)
    confirmed = list(session.execute(
        update(AlertSubscription)
        .where(AlertSubscription.customer_id == customer.id,
               AlertSubscription.state == AlertState.PENDING.value,
               # Meta stamps messages in whole seconds (as needs_confirmation allows).
               AlertSubscription.created_at < at + timedelta(seconds=1))
        .values(state=AlertState.WAITING.value, confirmed_at=at)
        .returning(AlertSubscription.id, AlertSubscription.variant_id, AlertSubscription.kind)
        .execution_options(synchronize_session=False)))
    if confirmed and read_message(message.text, message.payload) is OptReading.NONE:
        _acknowledge(session, store_id, customer, message, confirmed)
    return [subscription_id for subscription_id, _, _ in confirmed]


def _acknowledge(session: Session, store_id: int, customer: Customer, message: InboundMessage,
                 confirmed: list[Any]) -> None:
    phone = f"+{message.sender.wa_id}" if message.sender.wa_id else customer.phone_e164
    store = session.get(Store, store_id)
    if not phone or store is None:
        return
    # Price drops only: say so; otherwise the back-in-stock words, for those products.
    price_only = all(kind == AlertKind.PRICE_DROP.value for _, _, kind in confirmed)
    titles = session.scalars(select(CatalogItem.title).where(
        CatalogItem.store_id == store_id,
        CatalogItem.variant_id.in_([variant for _, variant, kind in confirmed
                                    if price_only or kind != AlertKind.PRICE_DROP.value]))).all()
    words = price_drops.confirmed_text if price_only else confirmed_text
    text = words([product_label(t) for t in titles if t] or ["the product"],
                 customer.locale or store.locale)
    message_id = outbox.write(
        session, store_id=store_id, customer_id=customer.id,
        cause=f"{CONFIRMED_CAUSE}{min(i for i, _, _ in confirmed)}", step=CONFIRMED_STEP,
        to=phone, payload=messages.text(wa_recipient(phone), text))
    if message_id is not None:
        enqueue_after_commit(session, Job.SEND_MESSAGE, message_id)


def cancel_deleted(session: Session, store: Store, product_id: str,
                   variant_id: str | None = None) -> int:
    """The product (or only its variant `variant_id`) was deleted: its waiting and pending
    subscriptions end (cancelled)."""
    which = (AlertSubscription.product_id == product_id if variant_id is None
             else AlertSubscription.variant_id == variant_id)
    return session.execute(
        update(AlertSubscription)
        .where(AlertSubscription.store_id == store.id, which,
               AlertSubscription.state.in_((AlertState.PENDING.value,
                                            AlertState.WAITING.value)))
        .values(state=AlertState.CANCELLED.value)
        .execution_options(synchronize_session=False)).rowcount


def _customer(session: Session, store: Store, phone: str) -> Customer:
    customer = session.scalars(select(Customer).where(
        Customer.store_id == store.id, Customer.phone_e164 == phone)).first()
    if customer is None:
        insert_ignore(session, Customer, {
            "store_id": store.id, "platform_id": f"widget:{phone}", "phone_e164": phone,
            "tags": [], "first_name": "", "last_name": "", "created_at": db.utcnow()},
            ("store_id", "platform_id"))
        customer = session.scalars(select(Customer).where(
            Customer.store_id == store.id, Customer.phone_e164 == phone)).one()
    return customer
