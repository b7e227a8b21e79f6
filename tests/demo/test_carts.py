"""Cart recovery in the demo store: a cart left by the demo shopper is scheduled, its first
reminder is sent now on request and reaches her phone, and completing the cart counts as
recovered revenue on the Cart recovery page, each through the path a real store's take."""
from __future__ import annotations

import html
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import Checkout, ConsentEntry, Message, Order, RecoveryStep, Store
from plugin.pipeline.recovery import send as recovery_send
from tests.conftest import csrf_token
from tests.demo.test_journeys import _feed, _phone, _post, _start


def _demo(app: Flask) -> Store:
    with app.app_context():
        store = db.session().scalars(select(Store).where(Store.platform == "demo")).one()
        return store


def _checkout(app: Flask) -> Checkout:
    with app.app_context():
        return db.session().scalars(select(Checkout)).one()


def _steps(app: Flask) -> list[RecoveryStep]:
    with app.app_context():
        return list(db.session().scalars(select(RecoveryStep).order_by(RecoveryStep.step)))


def _without_quiet_hours(app: Flask) -> None:
    """No time zone: quiet hours hold only for a store that says where it is, so the test
    gives the same answer whatever the hour it runs at."""
    with app.app_context(), db.transaction() as session:
        session.scalars(select(Store).where(Store.platform == "demo")).one().timezone = None


def test_a_cart_left_in_the_demo_is_reminded_sent_now_and_recovered(
        app: Flask, owner: FlaskClient) -> None:
    _start(owner)
    _without_quiet_hours(app)
    with app.app_context():
        assert not db.session().scalars(select(ConsentEntry).where(
            ConsentEntry.purpose == "marketing")).all()  # a fresh demo store asks no offers
    _post(owner, "/demo/carts")
    with app.app_context():  # leaving a cart is where the demo shopper ticks the offers box
        marketing = db.session().scalars(select(ConsentEntry).where(
            ConsentEntry.purpose == "marketing")).one()
        assert marketing.granted and marketing.text_shown == demo_store.MARKETING_TEXT
    cart = _checkout(app)
    assert cart.phone_e164 == "+351912345678" and cart.completed_at is None
    assert [(i["title"], i["variant_title"], i["quantity"]) for i in cart.items] == [
        ("Linen shirt", "M", 1), ("Espresso cups (set of 2)", "", 2),
        ("Fig leaf candle", "", 1)]
    assert all(i["image_url"].startswith("https://demo.storechat.invalid/images/")
               for i in cart.items)
    assert Decimal(cart.total) == Decimal("49.90") + 2 * Decimal("18.50") + Decimal("19.00")
    assert cart.recovery_url == f"http://127.0.0.1:8000/demo?cart={cart.platform_id}"
    steps = _steps(app)
    assert [(s.step, s.state) for s in steps] == [(1, "scheduled"), (2, "scheduled"),
                                                  (3, "scheduled")]
    first = steps[0]
    assert first.due_at > db.utcnow().replace(second=0) and cart.activity_at is not None
    assert (first.due_at - cart.activity_at).total_seconds() == 60 * 60
    feed = _feed(owner)
    assert f"due at {first.due_at:%-d %b, %H:%M} UTC" in feed
    assert f"/demo/carts/steps/{first.id}/send-now" in feed
    # Nothing goes before its time: the sweeper finds no step due.
    with app.app_context():
        assert recovery_send.enqueue_due() == 0

    # "Send now" claims the step as the sweeper would and queues its send job at once
    # (the sweeper runs every 30 s by default: too slow to watch).
    _post(owner, f"/demo/carts/steps/{first.id}/send-now")
    with app.app_context():
        assert recovery_send.enqueue_due() == 0  # nothing left for the sweeper
        [message] = db.session().scalars(select(Message)).all()
    assert (message.template, message.to, message.state) == (
        "cart_recovery_1", "+351912345678", "sent")
    assert message.transport == "sandbox"
    assert [(s.step, s.state) for s in _steps(app)][0] == (1, "sent")
    phone = _phone(_feed(owner))
    assert f'data-message="{message.id}"' in phone
    assert 'class="url-button" data-url="http://127.0.0.1:8000/t/' in phone
    # A step already sent cannot be sent again.
    owner.post(f"/demo/carts/steps/{first.id}/send-now",
               data={"csrf_token": csrf_token(owner, "/")})
    with app.app_context():
        assert recovery_send.enqueue_due() == 0

    _post(owner, f"/demo/carts/{cart.id}/complete")
    done = _checkout(app)
    with app.app_context():
        order = db.session().get_one(Order, done.order_id)
    assert done.completed_at is not None and done.recovered_at is not None
    assert Decimal(done.recovered_total or "0") == Decimal(order.total) == Decimal(cart.total)
    assert [(s.step, s.state) for s in _steps(app)][1:] == [(2, "skipped"), (3, "skipped")]
    page = html.unescape(owner.get(f"/stores/{_demo(app).id}/recovery").get_data(as_text=True))
    revenue = page.split('id="recovered-revenue"')[1].split("</p>")[0]
    assert revenue == "><strong>€105.90</strong>", revenue


def test_cart_actions_are_the_owners_demo_store_only(app: Flask, owner: FlaskClient) -> None:
    _start(owner)
    _post(owner, "/demo/carts")
    cart = _checkout(app)
    token = csrf_token(owner, "/")
    with app.app_context(), db.transaction() as session:
        other = demo_store.get_or_create(session, owner_id=None)  # another owner's demo
        other_id = other.id
    assert other_id != cart.store_id
    with app.app_context(), db.transaction() as session:
        session.get_one(Checkout, cart.id).store_id = other_id
    assert owner.post(f"/demo/carts/{cart.id}/complete",
                      data={"csrf_token": token}).status_code == 404
    step = _steps(app)[0]
    before = step.due_at
    assert owner.post(f"/demo/carts/steps/{step.id}/send-now",
                      data={"csrf_token": token}).status_code == 404
    assert _steps(app)[0].due_at == before
    # Without the form's token nothing is done.
    assert owner.post("/demo/carts").status_code == 400
    assert len(_steps(app)) == 3
