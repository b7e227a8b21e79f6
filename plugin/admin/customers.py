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

from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import or_, select

from plugin.admin import customer_list
from plugin.admin.consent_views import (
    CONSENT_WORDS,
    HISTORY,
    Change,
    changes,
    display_name,
    marketing_state,
)
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.domain.countries import country_name
from plugin.domain.phones import masked, to_e164
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, CustomerTag, Store

blueprint = protect(Blueprint("customers_admin", __name__), minimum=Role.AGENT)

# The store page lists this many of the newest consent changes.
RECENT = 50


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
    recent = [] if asked else changes(store, RECENT)
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


def _shoppers(store: Store, phone: str) -> list[Shopper]:
    session = db.session()
    customers = list(session.scalars(
        tenancy.scoped(select(Customer), Customer)
        .where(Customer.store_id == store.id,
               or_(Customer.phone_e164 == phone, Customer.wa_id == phone.lstrip("+")))
        .order_by(Customer.id)))
    found = []
    for customer in customers:
        history = changes(store, HISTORY, ConsentEntry.customer_id == customer.id)
        found.append(Shopper(id=customer.id, name=display_name(customer), phone=customer.phone_e164
                             or "", wa_id=customer.wa_id or "",
                             marketing=marketing_state(customer, history), history=history))
    return found


def init_app(app: Flask) -> None:
    """Register the customers pages: the list and lookup, one customer, segments."""
    from plugin.admin import customer_page, segments, tag_rules

    app.register_blueprint(blueprint)
    customer_page.init_app(app)
    segments.init_app(app)
    tag_rules.init_app(app)
