"""Cart recovery's holdout, from Shopify's signed checkouts to the fake Graph: with a share
set, the carts held out get no step at all (their steps stopped with the reason, no outbox
row, no request at the Graph), the others their sequence as usual; an order within the
window converts a member of either group."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from plugin.infra import db
from plugin.models import Checkout, Message, Store
from plugin.pipeline import holdouts
from plugin.pipeline.recovery.send import HELD_OUT
from tests.pipeline.test_cart_recovery_flow_shopify import checkout, order, post
from tests.pipeline.test_cart_recovery_flow_shopify import flow as flow  # noqa: F401
from tests.pipeline.test_cart_recovery_flow_shopify import shop_app as shop_app  # noqa: F401
from tests.worlds.attribution import members
from tests.worlds.recovery_flow import Flow, T
from tests.worlds.recovery_flow import clock as clock  # noqa: F401 - the test clock fixture
from tests.worlds.recovery_flow import graph as graph  # noqa: F401 - the fake Graph fixture
from tests.worlds.shopify import fake as fake  # noqa: F401 - the fake Shopify fixture

CARTS = 8


def _phone(n: int) -> str:
    return f"+3461234{n:04d}"


def test_held_out_carts_get_nothing_and_the_rest_their_sequence(flow: Flow) -> None:
    with flow.app.app_context(), db.transaction() as session:
        session.get_one(Store, flow.store_id).recovery_holdout_percent = 50
    for n in range(CARTS):
        flow.opt_in(_phone(n))
        post(flow, "checkouts/create", checkout(
            id=5000 + n, token=f"tok{n}", phone=_phone(n),
            customer={"id": 700 + n, "first_name": "Lucía"}))
    for moment in (timedelta(minutes=61), timedelta(days=1, minutes=1),
                   timedelta(days=3, minutes=1)):
        flow.at(T + moment)
    found = members(flow.app)
    held = {int(m.unit.split(":")[1]) for m in found if m.holdout}
    messaged = {int(m.unit.split(":")[1]) for m in found if not m.holdout}
    assert len(found) == CARTS and held and messaged
    by_cart: dict[int, list[tuple[str, str | None]]] = {}
    for row in flow.rows():
        by_cart.setdefault(row.checkout_id, []).append((row.state, row.reason))
    for checkout_id in held:
        assert by_cart[checkout_id] == [("stopped", HELD_OUT)] * 3
    for checkout_id in messaged:
        assert [state for state, _ in by_cart[checkout_id]] == ["sent"] * 3
    with flow.app.app_context():
        causes = set(db.session().scalars(select(Message.cause)))
    assert not {c for c in causes if int(c.split(":")[1]) in held}
    with flow.app.app_context():
        cart_of = {c.id: int(c.platform_id) - 5000
                   for c in db.session().scalars(select(Checkout))}
    sent_to = {p["to"] for p in flow.recovery_sent()}
    assert len(flow.recovery_sent()) == 3 * len(messaged)
    assert not {_phone(cart_of[c]).lstrip("+") for c in held} & sent_to
    assert {_phone(cart_of[c]).lstrip("+") for c in messaged} == sent_to

    # A held-out shopper orders within the window: the holdout converted.
    n = cart_of[min(held)]
    flow.clock.now = T + timedelta(days=4)
    post(flow, "orders/create", order(id=990 + n, checkout_id=5000 + n, checkout_token=f"tok{n}",
                                      customer={"id": 700 + n, "first_name": "Lucía",
                                                "phone": _phone(n)}))
    with flow.app.app_context():
        [lift] = holdouts.figures(db.session(), flow.store_id, T.date(),
                                        (T + timedelta(days=5)).date())
    assert (lift.flow, lift.holdout, lift.holdout_converted, lift.messaged,
            lift.messaged_converted) == ("recovery", len(held), 1, len(messaged), 0)
