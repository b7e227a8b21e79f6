"""The demo store's pages: place and move orders, watch the messages they cause."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.admin.message_views import message_rows
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.demo import store as demo
from plugin.infra import db
from plugin.models import Order, Store

blueprint = protect(Blueprint("demo", __name__, url_prefix="/demo"))


def current_demo_store() -> Store | None:
    """The signed-in owner's demo store (403 for a Shopify shop: demos are for owners)."""
    return demo.find(db.session(), tenancy.owner_id_or_403())

# The page shows this many of the newest orders and messages.
PAGE_SIZE = 20


@blueprint.post("/start")
def start() -> ResponseReturnValue:
    """Create the demo store on first use and open it."""
    owner_id = tenancy.owner_id_or_403()
    with db.transaction() as session:
        demo.get_or_create(session, owner_id)
    return redirect(url_for("demo.page"))


@blueprint.get("")
def page() -> ResponseReturnValue:
    """The demo store: its orders with their next actions, the message log, the phone."""
    store = current_demo_store()
    if store is None:
        return redirect(url_for("admin.index"))
    return render_template("demo.html", store=store, **_feed(store.id))


@blueprint.get("/feed")
def feed() -> ResponseReturnValue:
    """The live part of the page, re-fetched by demo.js while jobs run."""
    store = current_demo_store()
    if store is None:
        abort(404)
    return render_template("_demo_feed.html", store=store, **_feed(store.id))


@blueprint.post("/orders")
def place_order() -> ResponseReturnValue:
    """Place a test order on the demo store."""
    store = current_demo_store()
    if store is None:
        abort(404)
    demo.place_order(store)
    flash("Test order placed. Watch the message arrive on the phone.")
    return redirect(url_for("demo.page"))


@blueprint.post("/orders/<int:order_id>/<action>")
def advance(order_id: int, action: str) -> ResponseReturnValue:
    """Move a demo order on: pay, ship, out_for_delivery or deliver."""
    store = current_demo_store()
    order = tenancy.get_or_404(Order, order_id)
    if store is None or order.store_id != store.id:
        abort(404)
    try:
        demo.advance_order(store, order, action)
    except demo.ActionNotAllowed as exc:
        flash(str(exc), "error")
    return redirect(url_for("demo.page"))


def _feed(store_id: int) -> dict[str, object]:
    session = db.session()
    orders = list(session.scalars(
        tenancy.scoped(select(Order), Order).where(Order.store_id == store_id)
        .order_by(Order.id.desc()).limit(PAGE_SIZE)
    ))
    return {
        "orders": orders,
        "actions": {order.id: demo.allowed_actions(order.status) for order in orders},
        "action_labels": ACTION_LABELS,
        "messages": message_rows(session, store_id, limit=PAGE_SIZE),
    }


ACTION_LABELS = {
    "pay": "Mark paid",
    "ship": "Ship",
    "out_for_delivery": "Out for delivery",
    "deliver": "Deliver",
}
