"""One customer in the admin: their facts and tags (the owner adds and removes manual tags
here; automatic ones follow the rules), their orders, consent history and messages.

`GET /stores/<id>/customers/<customer id>`, `POST …/tags` (add) and `POST …/tags/remove`.
Everything goes through plugin.auth.tenancy: another store's customer answers 404.
"""
from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.admin import consent_views, customer_list
from plugin.admin.message_views import message_rows_where
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.domain.countries import country_name
from plugin.domain.customer_tags import AUTOMATIC, clean_tag
from plugin.domain.phones import masked
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Message, Order, Store
from plugin.pipeline import customer_tags, segments

blueprint = protect(Blueprint("customer_page", __name__), minimum=Role.AGENT)

# The page lists this many of the customer's newest orders and messages.
ORDERS = 50
MESSAGES = 30


def _customer(store_id: int, customer_id: int) -> tuple[Store, Customer]:
    store = tenancy.get_or_404(Store, store_id)
    customer = tenancy.get_or_404(Customer, customer_id)
    if customer.store_id != store.id:
        abort(404)
    return store, customer


@blueprint.get("/stores/<int:store_id>/customers/<int:customer_id>")
def show(store_id: int, customer_id: int) -> ResponseReturnValue:
    """The customer's page."""
    store, customer = _customer(store_id, customer_id)
    session = db.session()
    orders = list(session.scalars(select(Order).where(Order.customer_id == customer.id)
                                  .order_by(Order.id.desc()).limit(ORDERS)))
    history = consent_views.changes(store, consent_views.HISTORY,
                                 ConsentEntry.customer_id == customer.id)
    statement, state = segments.with_consent_state(
        select(Customer.id).where(Customer.id == customer.id))
    consent = session.execute(statement.add_columns(state)).one()[1]
    return render_template(
        "customers/customer.html", store=store, customer=customer, orders=orders,
        history=history, name=consent_views.display_name(customer),
        consent=consent_views.CONSENT_WORDS[consent],
        marketing=consent_views.marketing_state(customer, history),
        tags=customer_tags.tags_by_customer(session, [customer.id]).get(customer.id, []),
        spent=customer_list.spent_by_currency(session, [customer.id]).get(customer.id, {}),
        messages=message_rows_where(session, store.id, MESSAGES,
                                    Message.customer_id == customer.id),
        automatic=AUTOMATIC, masked=masked, country=country_name(customer.country),
        language=customer_list.language_of(customer.locale),
        void=customer_tags.VOID_STATUSES)


@blueprint.post("/stores/<int:store_id>/customers/<int:customer_id>/tags")
def add_tag(store_id: int, customer_id: int) -> ResponseReturnValue:
    """Add a manual tag."""
    return _set(store_id, customer_id, present=True)


@blueprint.post("/stores/<int:store_id>/customers/<int:customer_id>/tags/remove")
def remove_tag(store_id: int, customer_id: int) -> ResponseReturnValue:
    """Remove a manual tag (automatic tags follow their rules and cannot be removed)."""
    return _set(store_id, customer_id, present=False)


def _set(store_id: int, customer_id: int, *, present: bool) -> ResponseReturnValue:
    store, customer = _customer(store_id, customer_id)
    raw = request.form.get("tag", "")
    tag = clean_tag(raw)
    if tag is None:
        flash(f"“{raw[:40]}” is not a tag: use letters, digits, '-' or '_'.", "error")
    else:
        session = db.session()
        changed = customer_tags.set_manual(session, customer, tag, present)
        session.commit()
        if changed:
            flash(f"Tag “{tag}” {'added' if present else 'removed'}.")
    return redirect(url_for("customer_page.show", store_id=store.id, customer_id=customer.id)
                    + "#tags")


def init_app(app: Flask) -> None:
    """Register the customer page."""
    app.register_blueprint(blueprint)
