"""Customers in the admin: the store's customer list (search, filters by tag, consent,
country, language, last order and spend, paged by cursor), and the consent lookup: a phone
number's every consent change, with its time, source and the words the shopper was shown.

`GET /stores/<id>/customers` (the list, then the store's newest consent changes) and
`GET /stores/<id>/customers?phone=…` (one number's customers and their whole history).
One customer's page is plugin.admin.customer_page; segments are plugin.admin.segments.
Everything goes through plugin.auth.tenancy: another owner's store answers 404.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import or_, select

from plugin.admin import customer_list
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain.consent import needs_confirmation
from plugin.domain.countries import country_name
from plugin.domain.phones import masked, to_e164
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, CustomerTag, Store

blueprint = protect(Blueprint("customers_admin", __name__))

# The store page lists this many of the newest consent changes.
RECENT = 50
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


@dataclass(frozen=True, slots=True)
class Shopper:
    """A customer found by phone, with their WhatsApp marketing state and history."""

    id: int
    name: str
    phone: str
    wa_id: str
    marketing: str
    history: list[Change]


@blueprint.get("/stores/<int:store_id>/customers")
def page(store_id: int) -> ResponseReturnValue:
    """Look up a phone number's consent history; without one, the newest changes."""
    store = tenancy.get_or_404(Store, store_id)
    asked = request.args.get("phone", "").strip()[:40]
    phone = to_e164(asked, store.country) if asked else None
    shoppers = _shoppers(store, phone) if phone else []
    recent = [] if asked else _changes(store, RECENT)
    filters = customer_list.Filters.read(request.args)
    before = request.args.get("before", type=int)
    rows, cursor = ([], None) if asked else customer_list.search(
        db.session(), store.id, filters, before, country=store.country)
    return render_template("customers/consent.html", store=store, asked=asked, phone=phone,
                           country=country_name(store.country),
                           shoppers=shoppers, recent=recent, unreadable=bool(asked and not phone),
                           filters=filters, rows=rows, cursor=cursor, paged=before is not None,
                           tags=_store_tags(store), windows=customer_list.LAST_ORDER_WINDOWS,
                           masked=masked, country_name=country_name,
                           language_of=customer_list.language_of,
                           consent_words=CONSENT_WORDS)


def _store_tags(store: Store) -> list[str]:
    """Every tag in use in the store, for the filter's choices."""
    return list(db.session().scalars(select(CustomerTag.tag).where(
        CustomerTag.store_id == store.id).distinct().order_by(CustomerTag.tag)))


# The list's consent states in the owner's words.
CONSENT_WORDS = {
    "opted_in": "Opted in",
    "unconfirmed": "Opted in on a form, not confirmed",
    "opted_out": "Opted out",
    "none": "No answer",
}


def _shoppers(store: Store, phone: str) -> list[Shopper]:
    session = db.session()
    customers = list(session.scalars(
        tenancy.scoped(select(Customer), Customer)
        .where(Customer.store_id == store.id,
               or_(Customer.phone_e164 == phone, Customer.wa_id == phone.lstrip("+")))
        .order_by(Customer.id)))
    found = []
    for customer in customers:
        history = _changes(store, HISTORY, ConsentEntry.customer_id == customer.id)
        found.append(Shopper(id=customer.id, name=_name(customer), phone=customer.phone_e164
                             or "", wa_id=customer.wa_id or "",
                             marketing=_marketing_state(customer, history), history=history))
    return found


def _changes(store: Store, limit: int, *where: object) -> list[Change]:
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
                   customer_id=c.id, customer=_name(c), phone=c.phone_e164 or "")
            for e, c in rows]


def _marketing_state(customer: Customer, history: list[Change]) -> str:
    """What the send policy makes of the newest WhatsApp marketing entry, in words."""
    newest = next((c for c in history if c.purpose == PURPOSES["marketing"]), None)
    if newest is None:
        return "No answer yet: marketing messages are not sent"
    if not newest.granted:
        return "Opted out: marketing messages are not sent"
    if needs_confirmation(True, newest.source_code, newest.at, customer.last_inbound_at):
        return "Opted in on a form: counts once this number writes to the store"
    return "Opted in: marketing messages may be sent"


def _name(customer: Customer) -> str:
    return (" ".join(p for p in (customer.first_name, customer.last_name) if p)
            or customer.phone_e164 or customer.platform_id)


def init_app(app: Flask) -> None:
    """Register the customers pages: the list and lookup, one customer, segments."""
    from plugin.admin import customer_page, segments

    app.register_blueprint(blueprint)
    customer_page.init_app(app)
    segments.init_app(app)
