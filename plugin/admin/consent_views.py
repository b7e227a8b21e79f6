"""Consent as the owner reads it in the admin: the log's purposes and sources in words, a
store's or a customer's changes newest first, and what the send policy makes of the newest
WhatsApp marketing answer. Shared by the customer list, the lookup and one customer's page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from plugin.auth import tenancy
from plugin.domain.consent import needs_confirmation
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Store

# A customer's history shows at most this many entries, newest first.
HISTORY = 500
# The log's purposes and sources in the owner's words; an unknown one shows as stored.
PURPOSES = {
    "marketing": "WhatsApp marketing",
    "sms_marketing": "SMS marketing (Shopify)",
    "order_updates": "Order updates",
    "back_in_stock": "Back-in-stock alerts",
}
SOURCES = {
    "whatsapp_stop": "Wrote STOP (or tapped Stop) in WhatsApp",
    "whatsapp_start": "Wrote START in WhatsApp",
    "whatsapp_preference": "WhatsApp's marketing setting",
    "widget": "Chat widget opt-in form",
    "checkout": "Checkout",
    "woocommerce_checkout": "WooCommerce checkout (order placed)",
    "woocommerce_cart": "WooCommerce checkout form (before the order)",
    "shopify_sms": "Shopify customer record",
    "api": "Recorded by the store through the API",
}


@dataclass(frozen=True, slots=True)
class Change:
    """One consent entry as the owner reads it."""

    at: datetime
    purpose: str
    granted: bool
    source: str
    source_code: str
    text: str
    ip: str
    page: str  # the storefront page of a widget opt-in, else ''
    customer_id: int
    customer: str
    phone: str


# The list's consent states in the owner's words.
CONSENT_WORDS = {
    "opted_in": "Opted in",
    "unconfirmed": "Opted in on a form, not confirmed",
    "opted_out": "Opted out",
    "none": "No answer",
}


def changes(store: Store, limit: int, *where: object) -> list[Change]:
    session = db.session()
    rows = session.execute(
        tenancy.scoped(select(ConsentEntry, Customer), ConsentEntry)
        .join(Customer, Customer.id == ConsentEntry.customer_id)
        .where(ConsentEntry.store_id == store.id, *where)
        .order_by(ConsentEntry.created_at.desc(), ConsentEntry.id.desc()).limit(limit)).all()
    return [Change(at=e.created_at, purpose=PURPOSES.get(e.purpose, e.purpose),
                   granted=e.granted, source=SOURCES.get(e.source, e.source),
                   source_code=e.source, text=e.text_shown or "", ip=e.ip or "",
                   page=e.page or "",
                   customer_id=c.id, customer=display_name(c), phone=c.phone_e164 or "")
            for e, c in rows]


def marketing_state(customer: Customer, history: list[Change]) -> str:
    """What the send policy makes of the newest WhatsApp marketing entry, in words."""
    newest = next((c for c in history if c.purpose == PURPOSES["marketing"]), None)
    if newest is None:
        return "No answer yet: marketing messages are not sent"
    if not newest.granted:
        return "Opted out: marketing messages are not sent"
    if needs_confirmation(True, newest.source_code, newest.at, customer.last_inbound_at):
        return "Opted in on a form: counts once this number writes to the store"
    return "Opted in: marketing messages may be sent"


def display_name(customer: Customer) -> str:
    return (" ".join(p for p in (customer.first_name, customer.last_name) if p)
            or customer.phone_e164 or customer.platform_id)
