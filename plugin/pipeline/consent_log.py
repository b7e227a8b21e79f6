"""Consent the store platforms capture, written to the consent log: the WordPress companion
plugin's checkout box (WooCommerce cart events and order meta) and Shopify's SMS marketing
consent topic. Each entry keeps its source, the text shown and the time.

Purposes: the companion plugin's box asks for WhatsApp messages, so it is "marketing"
consent, the one the send policy reads. Shopify's topic is consent to marketing by SMS:
it is kept as "sms_marketing", shown in the owner's history and the data export, and does
not decide WhatsApp marketing either way (Meta asks for an opt-in that names WhatsApp).

Platforms repeat the same state on every update of a cart or a profile: an entry is written
only when it says something the customer's newest entry for that purpose does not.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from adapters.woocommerce import webhooks as woocommerce
from plugin.domain.events import ConsentChange, CustomerEvent, CustomerRef, DomainEvent, EventKind
from plugin.domain.phones import to_e164
from plugin.infra.sql import insert_ignore
from plugin.models import ConsentEntry, Customer, InboundEvent, Store
from plugin.pipeline.recovery import stops as recovery_stops

MARKETING = "marketing"
SMS_MARKETING = "sms_marketing"
# Sources, as the owner reads them in the customer's history.
WOO_CHECKOUT = "woocommerce_checkout"  # the box, as stored on the order
WOO_CART = "woocommerce_cart"  # the box, as the cart events report it before the order
SHOPIFY_SMS = "shopify_sms"
# Companion-plugin deliveries that carry the checkout box. Only the order's creation counts:
# every later order.updated repeats the meta from checkout time, and must not undo a STOP
# the shopper sent since.
_WOO_READERS = {
    "cart.updated": (woocommerce.cart_consent, WOO_CART),
    "checkout.updated": (woocommerce.cart_consent, WOO_CART),
    "order.created": (woocommerce.order_consent, WOO_CHECKOUT),
}


def apply_customer_event(session: Session, store: Store,
                         event: CustomerEvent) -> list[tuple[int, int]]:
    """Applier for a customer event: a consent change is logged (profile edits that repeat
    the consent snapshot are not changes). Writes no messages."""
    if event.kind is EventKind.CONSENT_CHANGED and event.consent is not None:
        customer = upsert_customer(session, store, event.customer)
        if customer is not None:
            change = event.consent
            level = change.source.replace("_", " ")
            record(session, store.id, customer, purpose=SMS_MARKETING, granted=change.granted,
                   source=SHOPIFY_SMS,
                   text=f"SMS marketing consent in Shopify ({level})" if level else
                   "SMS marketing consent in Shopify",
                   at=_when(change) or None)
    return []


def apply_delivery_consent(session: Session, store: Store, row: InboundEvent,
                           event: DomainEvent) -> None:
    """Log the checkout consent a WooCommerce or companion-plugin delivery carries, if any."""
    reader = _WOO_READERS.get(row.topic) if row.source == "woocommerce" else None
    ref = getattr(event, "customer", None)
    if reader is None or not isinstance(ref, CustomerRef):
        return
    read, source = reader
    change = read(row.body)
    if change is None:
        return
    customer = upsert_customer(session, store, ref)
    if customer is not None:
        record(session, store.id, customer, purpose=MARKETING, granted=change.granted,
               source=source, text=change.source, at=row.received_at)


def upsert_customer(session: Session, store: Store, ref: CustomerRef) -> Customer | None:
    """The store's customer for `ref` (by platform id, else phone), created when new."""
    phone = to_e164(ref.phone, store.country) if ref.phone else None
    if not ref.platform_id and not phone:
        return None
    matches = [Customer.platform_id == ref.platform_id] if ref.platform_id else []
    if phone:
        matches.append(Customer.phone_e164 == phone)
    customer = session.scalars(select(Customer).where(Customer.store_id == store.id,
                                                      or_(*matches))
                               .order_by(Customer.id)).first()
    if customer is None:
        insert_ignore(session, Customer, {"store_id": store.id, "tags": [],
                                          "platform_id": ref.platform_id or f"phone:{phone}"},
                      ("store_id", "platform_id"))
        customer = session.scalars(select(Customer).where(
            Customer.store_id == store.id,
            Customer.platform_id == (ref.platform_id or f"phone:{phone}"))).one()
    customer.phone_e164 = customer.phone_e164 or phone
    customer.first_name = customer.first_name or ref.first_name[:120]
    customer.last_name = customer.last_name or ref.last_name[:120]
    customer.email = customer.email or ref.email
    customer.locale = customer.locale or ref.locale
    return customer


def newest(session: Session, customer_id: int, purpose: str) -> Row[Any] | None:
    """The customer's newest consent entry for `purpose` (the log is append-only, so it is
    the one in force) as (granted, source, text_shown, created_at); None when there is none."""
    return session.execute(
        select(ConsentEntry.granted, ConsentEntry.source, ConsentEntry.text_shown,
               ConsentEntry.created_at)
        .where(ConsentEntry.customer_id == customer_id, ConsentEntry.purpose == purpose)
        .order_by(ConsentEntry.created_at.desc(), ConsentEntry.id.desc()).limit(1)).first()


def record(session: Session, store_id: int, customer: Customer, *, purpose: str,
           granted: bool, source: str, text: str, at: datetime | None,
           ip: str | None = None) -> bool:
    """Append a consent entry unless the newest one for this purpose already says the same
    (answer, source and text); True when one was written."""
    current = newest(session, customer.id, purpose)
    text = text[:1000]
    if current is not None and (current.granted, current.source, current.text_shown) == (
            granted, source[:40], text):
        return False
    entry = ConsentEntry(store_id=store_id, customer_id=customer.id, purpose=purpose,
                         granted=granted, source=source[:40], text_shown=text, ip=ip)
    if at is not None:
        entry.created_at = at
    session.add(entry)
    if purpose == MARKETING and not granted:
        recovery_stops.shopper_opted_out(session, store_id, customer)
    return True


def _when(change: ConsentChange) -> datetime | None:
    """The platform's time of the change (ISO 8601), as naive UTC like every stored time."""
    if not change.occurred_at:
        return None
    try:
        moment = datetime.fromisoformat(change.occurred_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
