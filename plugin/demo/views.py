"""The demo store's pages: place and move orders, watch the messages they cause."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.admin.message_views import message_rows
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.demo import carts
from plugin.demo import store as demo
from plugin.domain import cod
from plugin.domain.journeys import JourneyName
from plugin.infra import db
from plugin.models import Checkout, Message, Order, Store
from plugin.pipeline import sandbox

blueprint = protect(Blueprint("demo", __name__, url_prefix="/demo"), minimum=Role.OWNER)


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
    """Place a test order on the demo store, paid as the form says (card by default)."""
    store = current_demo_store()
    if store is None:
        abort(404)
    payment = request.form.get("payment", "card")
    try:
        demo.place_order(store, payment)
    except demo.ActionNotAllowed as exc:
        flash(str(exc), "error")
        return redirect(url_for("demo.page"))
    flash(PLACED_WORDS.get(payment, PLACED_WORDS["card"]))
    return redirect(url_for("demo.page"))


@blueprint.post("/messages/<int:message_id>/tap/<int:index>")
def tap(message_id: int, index: int) -> ResponseReturnValue:
    """The demo shopper taps a quick-reply button on the phone: WhatsApp's button reply,
    processed as a real one is (a COD Confirm or Cancel answers the order)."""
    store = current_demo_store()
    message = tenancy.get_or_404(Message, message_id)
    if store is None or message.store_id != store.id:
        abort(404)
    with db.transaction() as session:
        try:
            sandbox.tap(session, session.get(Message, message.id), index)
        except sandbox.NotTappable as exc:
            flash(f"That button cannot be tapped: {exc}.", "error")
    return redirect(url_for("demo.page"))


@blueprint.post("/messages/<int:message_id>/send-now")
def send_now(message_id: int) -> ResponseReturnValue:
    """Skip a demo message's wait (the payment reminder's hour) and send it now."""
    store = current_demo_store()
    message = tenancy.get_or_404(Message, message_id)
    if store is None or message.store_id != store.id:
        abort(404)
    with db.transaction() as session:
        if not demo.send_now(session, session.get(Message, message.id)):
            flash("That message is not waiting any more.", "error")
    return redirect(url_for("demo.page"))


@blueprint.post("/carts")
def leave_cart() -> ResponseReturnValue:
    """The demo shopper leaves a cart: its recovery steps are scheduled from now."""
    store = current_demo_store()
    if store is None:
        abort(404)
    with db.transaction() as session:
        carts.leave_cart(session, session.get_one(Store, store.id))
    carts.deliver_cart(store)
    flash("Ana left a cart. Its first reminder is due in an hour: “Send now” sends it.")
    return redirect(url_for("demo.page"))


@blueprint.post("/carts/steps/<int:step_id>/send-now")
def send_cart_step_now(step_id: int) -> ResponseReturnValue:
    """Skip a demo cart step's wait: the sweeper sends it within seconds."""
    store = current_demo_store()
    if store is None:
        abort(404)
    with db.transaction() as session:
        sent = carts.send_step_now(session, session.get_one(Store, store.id), step_id)
    if sent is None:
        abort(404)  # another store's step, like any id that is not yours
    if not sent:
        flash("That reminder is not waiting any more.", "error")
    return redirect(url_for("demo.page"))


@blueprint.post("/carts/<int:checkout_id>/complete")
def complete_cart(checkout_id: int) -> ResponseReturnValue:
    """The demo shopper completes her cart: an order naming it, as a real checkout's does."""
    store = current_demo_store()
    checkout = tenancy.get_or_404(Checkout, checkout_id)
    if store is None or checkout.store_id != store.id:
        abort(404)
    if checkout.completed_at is not None:
        flash("That cart is already completed.", "error")
        return redirect(url_for("demo.page"))
    carts.complete(store, checkout)
    flash("Ana completed her cart. Cart recovery counts the order if a reminder brought her back.")
    return redirect(url_for("demo.page"))


@blueprint.post("/orders/<int:order_id>/<action>")
def advance(order_id: int, action: str) -> ResponseReturnValue:
    """Move a demo order on: one of demo.ACTIONS (pay, ship, deliver, cancel, refund, …)."""
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
    messages = message_rows(session, store_id, limit=PAGE_SIZE)
    asked = set(session.scalars(select(Order.id).where(
        Order.id.in_({m.order_id for m in messages if m.order_id}),
        Order.cod_state == cod.ASKED)))
    answers: dict[int, str] = {order_id: state for order_id, state in session.execute(
        select(Order.id, Order.cod_state).where(
            Order.id.in_({m.order_id for m in messages if m.order_id}),
            Order.cod_state.in_((cod.CONFIRMED, cod.CANCELLED))))}
    return {
        "carts": carts.cart_rows(session, store_id),
        "orders": orders,
        "actions": {order.id: demo.allowed_actions(order.status, order.payment_gateway or "")
                    for order in orders},
        "action_labels": {name: action.label for name, action in demo.ACTIONS.items()},
        "payments": {key: label for key, (_, label) in demo.PAYMENTS.items()},
        "messages": messages,
        "phone": [m for m in messages if m.reached_phone],
        # A COD question's buttons answer while its order is asked; then show the answer.
        "tappable": {m.id for m in messages if m.step == JourneyName.COD_CONFIRMATION
                     and m.order_id in asked},
        "answers": {m.id: answers[m.order_id] for m in messages
                    if m.step == JourneyName.COD_CONFIRMATION and m.order_id in answers},
    }


# What the flash says after placing an order, by payment.
PLACED_WORDS = {
    "card": "Test order placed. Watch the message arrive on the phone.",
    "bank_transfer": "Test order placed, to be paid by bank transfer: the confirmation goes "
                     "now, and a payment reminder waits for its delay (or “Send now”).",
    "cod": "Cash-on-delivery order placed: Ana is asked to confirm it. Answer for her with a "
           "tap on her phone.",
}
