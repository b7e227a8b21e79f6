"""The message log in the admin: every message of a store, of one order or of one customer,
with its journey step, the text the shopper read, status ticks and, when it did not go out,
why in words.

`GET /stores/<id>/messages`, `GET /stores/<id>/orders/<order id>/messages` and
`GET /stores/<id>/customers/<customer id>/messages`. Another owner's store, order or
customer answers 404, as does an order or customer of a different store than the URL's.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.admin.journey_form import journey_name
from plugin.admin.message_views import MessageRow, message_rows_where
from plugin.auth import roles, tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.infra import db
from plugin.models import Customer, Message, Order, Store

blueprint = protect(Blueprint("message_log", __name__))
# A customer's own messages belong with their page, which agents open; the store's whole
# log stays with admins until the inbox replaces it.
roles.declare_endpoint("message_log.customer_messages", Role.AGENT)

# A page shows at most this many messages, newest first.
PAGE_SIZE = 100


def _owned(model: Any, row_id: int, store: Store) -> Any:
    """A row of `store` by id; 404 for anything else (another store's row included)."""
    row = tenancy.get_or_404(model, row_id)
    if row.store_id != store.id:
        abort(404)
    return row


def _page(store: Store, rows: list[MessageRow], **context: Any) -> ResponseReturnValue:
    session = db.session()
    customer_ids = {r.customer_id for r in rows if r.customer_id}
    names = {c.id: " ".join(p for p in (c.first_name, c.last_name) if p) or c.phone_e164 or
             c.platform_id
             for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))
             } if customer_ids else {}
    highlight = request.args.get("highlight", type=int)
    return render_template("journeys/messages.html", store=store, rows=rows, names=names,
                           steps={r.step: journey_name(r.step) for r in rows},
                           highlight=highlight, page_size=PAGE_SIZE, **context)


@blueprint.get("/stores/<int:store_id>/messages")
def store_messages(store_id: int) -> ResponseReturnValue:
    """The store's newest messages, each linked to its order and customer."""
    store = tenancy.get_or_404(Store, store_id)
    rows = message_rows_where(db.session(), store.id, PAGE_SIZE)
    return _page(store, rows, title="Messages", order=None, customer=None)


@blueprint.get("/stores/<int:store_id>/orders/<int:order_id>/messages")
def order_messages(store_id: int, order_id: int) -> ResponseReturnValue:
    """Every message about one order."""
    store = tenancy.get_or_404(Store, store_id)
    order = _owned(Order, order_id, store)
    rows = message_rows_where(db.session(), store.id, PAGE_SIZE, Message.order_id == order.id)
    return _page(store, rows, title=f"Messages about order #{order.number}", order=order,
                 customer=None)


@blueprint.get("/stores/<int:store_id>/customers/<int:customer_id>/messages")
def customer_messages(store_id: int, customer_id: int) -> ResponseReturnValue:
    """Every message to one customer."""
    store = tenancy.get_or_404(Store, store_id)
    customer = _owned(Customer, customer_id, store)
    rows = message_rows_where(db.session(), store.id, PAGE_SIZE,
                              Message.customer_id == customer.id)
    name = " ".join(p for p in (customer.first_name, customer.last_name) if p) \
        or customer.phone_e164 or customer.platform_id
    return _page(store, rows, title=f"Messages to {name}", order=None, customer=customer)


def init_app(app: Flask) -> None:
    """Register the message log pages."""
    app.register_blueprint(blueprint)
