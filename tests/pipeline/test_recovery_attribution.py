"""Attribution: an order that completes a cart within the store's window after one of our
recovery messages went out makes the cart *recovered*, with the order's total and currency,
the last step sent and whether a link was clicked; counted once, whatever is redelivered."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.models import Checkout, StepState
from tests.worlds.recovery_rows import (
    RecoveryWorld,
    running_world,
    shopify_checkout,
    shopify_order,
    woo_cart,
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[RecoveryWorld]:
    yield from running_world(tmp_path)


def _recovery(checkout: Checkout) -> tuple[Any, ...]:
    return (checkout.recovered_total, checkout.recovered_currency, checkout.recovered_step,
            checkout.recovered_clicked)


def _shopify_cart(world: RecoveryWorld, **changes: Any) -> int:
    assert world.shopify("checkouts/create", shopify_checkout(**changes)) == 200
    return world.checkouts()[-1].id


def test_an_order_within_the_window_after_a_sent_step_is_recovered(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    token = world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(days=6, hours=23))
    world.mark_sent(checkout_id, 2, db.utcnow() - timedelta(days=6))
    assert world.client.get(f"/t/{token}").status_code == 302  # step 1's link, clicked
    assert world.shopify("orders/create", shopify_order()) == 200
    [checkout] = world.checkouts()
    assert checkout.completed_at is not None and checkout.recovered_at == checkout.completed_at
    assert _recovery(checkout) == ("398.00", "EUR", 2, True)
    # Nothing more goes out for it: its last step is skipped.
    assert [row.state for row in world.steps(checkout_id)] == [
        StepState.SENT.value, StepState.SENT.value, StepState.SKIPPED.value]


def test_an_order_on_day_eight_is_a_completion_not_a_recovery(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(days=8))
    assert world.shopify("orders/create", shopify_order()) == 200
    [checkout] = world.checkouts()
    assert checkout.completed_at is not None and checkout.order_id is not None
    assert checkout.recovered_at is None
    assert _recovery(checkout) == (None, None, None, False)


def test_the_window_is_the_stores_own(world: RecoveryWorld) -> None:
    world.set_attribution_days(2)
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(days=3))
    assert world.shopify("orders/create", shopify_order()) == 200
    assert world.checkouts()[0].recovered_at is None


@pytest.mark.parametrize("state", [MessageState.PENDING, MessageState.SKIPPED,
                                   MessageState.FAILED])
def test_a_message_that_never_went_out_recovers_nothing(world: RecoveryWorld,
                                                        state: MessageState) -> None:
    # Queued for quiet hours, refused by policy, or failed at Meta: the shopper saw nothing.
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(hours=3), message_state=state)
    assert world.shopify("orders/create", shopify_order()) == 200
    [checkout] = world.checkouts()
    assert checkout.completed_at is not None and checkout.recovered_at is None


def test_a_redelivered_order_or_an_order_update_changes_nothing(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(days=1))
    assert world.shopify("orders/create", shopify_order(), event_id="order-1") == 200
    [before] = world.checkouts()
    assert _recovery(before) == ("398.00", "EUR", 1, False)

    assert world.shopify("orders/create", shopify_order()) == 200  # redelivered, new event id
    # An edit of the order later (a higher total) and a click after the order.
    assert world.shopify("orders/updated", shopify_order(total_price="450.00")) == 200
    [after] = world.checkouts()
    assert (after.recovered_at, _recovery(after), after.updated_at, after.order_id) == (
        before.recovered_at, _recovery(before), before.updated_at, before.order_id)


def test_a_click_after_the_order_does_not_count(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    token = world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(days=1))
    assert world.shopify("orders/create", shopify_order()) == 200
    assert world.client.get(f"/t/{token}").status_code == 302
    [checkout] = world.checkouts()
    assert _recovery(checkout) == ("398.00", "EUR", 1, False)


def test_an_order_of_the_same_customer_on_another_checkout_completes_and_recovers(
        world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(days=2))
    # The shopper came back by the message, but bought through a new checkout of their own.
    assert world.shopify("orders/create", shopify_order(
        checkout_id=555000111, checkout_token="another-checkout-token")) == 200
    cart, placeholder = world.checkouts()
    assert cart.id == checkout_id and placeholder.platform_id == "555000111"
    assert cart.completed_at is not None and cart.order_id == placeholder.order_id
    assert _recovery(cart) == ("398.00", "EUR", 1, False)
    assert placeholder.recovered_at is None  # the order's revenue counts once
    assert [row.state for row in world.steps(checkout_id)] == [
        StepState.SENT.value, StepState.SKIPPED.value, StepState.SKIPPED.value]


def test_an_order_naming_no_checkout_completes_the_customers_open_cart(
        world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(days=2))
    assert world.shopify("orders/create", shopify_order(checkout_id=None,
                                                        checkout_token=None)) == 200
    [cart] = world.checkouts()
    assert cart.completed_at is not None and _recovery(cart) == ("398.00", "EUR", 1, False)


def test_one_order_recovers_one_cart_the_one_it_names(world: RecoveryWorld) -> None:
    first = _shopify_cart(world)
    world.mark_sent(first, 1, db.utcnow() - timedelta(days=2))
    second = _shopify_cart(world, id=981820079255243999, token="second-token")
    world.mark_sent(second, 1, db.utcnow() - timedelta(days=1))
    assert world.shopify("orders/create", shopify_order()) == 200  # names the first
    by_id = {c.id: c for c in world.checkouts()}
    assert by_id[first].recovered_step == 1 and by_id[first].recovered_total == "398.00"
    assert by_id[second].completed_at is not None and by_id[second].recovered_at is None


def test_a_cart_started_after_the_order_stays_open(world: RecoveryWorld) -> None:
    assert world.shopify("orders/create", shopify_order(checkout_id=None,
                                                        checkout_token=None)) == 200
    checkout_id = _shopify_cart(world)
    assert world.shopify("orders/updated", shopify_order(checkout_id=None, checkout_token=None,
                                                         financial_status="paid")) == 200
    [cart] = world.checkouts()
    assert cart.id == checkout_id and cart.completed_at is None


def test_a_cancelled_order_recovers_nothing_until_it_is_a_purchase(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(days=1))
    assert world.shopify("orders/create", shopify_order(
        cancelled_at="2026-12-01T10:00:00+00:00")) == 200
    assert world.checkouts()[0].recovered_at is None
    assert world.shopify("orders/updated", shopify_order(cancelled_at=None)) == 200
    assert _recovery(world.checkouts()[0]) == ("398.00", "EUR", 1, False)


def test_a_woocommerce_order_recovers_its_cart(world: RecoveryWorld) -> None:
    world.woo_cart(woo_cart())
    [cart] = world.checkouts()
    token = world.mark_sent(cart.id, 2, db.utcnow() - timedelta(days=1))
    assert world.client.get(f"/t/{token}").status_code == 302
    world.woo_order({"id": 727, "number": "727", "status": "processing", "currency": "EUR",
                     "total": "59.90", "billing": {"first_name": "Rui", "phone": "912345678",
                                                   "country": "PT"},
                     "meta_data": [{"id": 1, "key": "_storechat_cart_token",
                                    "value": "9f86d081884c7d659a2feaa0c55ad015"}]})
    [cart] = world.checkouts()
    assert cart.recovered_at is not None and _recovery(cart) == ("59.90", "EUR", 2, True)
