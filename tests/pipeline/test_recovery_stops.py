"""A cart's waiting recovery steps stop, with the reason the owner reads, when the shopper
replies to a cart message, opts out, or the store uninstalls StoreChat; erasing the shopper
erases their carts, steps and cart messages."""
from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from plugin.domain.messaging import MarketingPreference, Notification, Sender
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, StepState, StoreStatus
from plugin.pipeline import consent_log
from plugin.pipeline.conversations import apply_notification
from plugin.pipeline.recovery.stops import OPTED_OUT, REPLIED, UNINSTALLED
from plugin.platforms.woocommerce import sites
from tests.worlds.recovery_rows import (
    PHONE_NUMBER_ID,
    SHOP,
    SHOPPER_WA,
    RecoveryWorld,
    running_world,
    shopify_checkout,
    woo_cart,
)

SCHEDULED, SENT, STOPPED = (StepState.SCHEDULED.value, StepState.SENT.value,
                            StepState.STOPPED.value)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[RecoveryWorld]:
    yield from running_world(tmp_path)


def _states(world: RecoveryWorld, checkout_id: int) -> list[tuple[int, int, str, str | None]]:
    return [(row.cycle, row.step, row.state, row.reason) for row in world.steps(checkout_id)]


def _shopify_cart(world: RecoveryWorld) -> int:
    assert world.shopify("checkouts/create", shopify_checkout()) == 200
    [checkout] = world.checkouts()
    assert [state for _c, _s, state, _r in _states(world, checkout.id)] == [SCHEDULED] * 3
    return checkout.id


def test_a_reply_after_a_cart_message_stops_the_steps_still_waiting(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(hours=1))
    world.shopper_writes("Is the blue one also in L?")
    assert _states(world, checkout_id) == [(1, 1, SENT, None), (1, 2, STOPPED, REPLIED),
                                           (1, 3, STOPPED, REPLIED)]


def test_a_shopper_chatting_before_any_cart_message_is_not_replying(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.shopper_writes("Hello, do you ship to the Canaries?")
    assert [state for _c, _s, state, _r in _states(world, checkout_id)] == [SCHEDULED] * 3


def test_a_reply_leaves_other_shoppers_carts_alone(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(hours=1))
    world.shopper_writes("hi", wa_id="34699999999")
    assert [state for _c, _s, state, _r in _states(world, checkout_id)] == [
        SENT, SCHEDULED, SCHEDULED]


def test_stop_stops_every_waiting_step_as_an_opt_out(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(hours=1))
    world.shopper_writes("STOP")
    assert _states(world, checkout_id) == [(1, 1, SENT, None), (1, 2, STOPPED, OPTED_OUT),
                                           (1, 3, STOPPED, OPTED_OUT)]


def test_an_opt_out_before_any_message_is_not_undone_by_the_same_cart_again(
        world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.shopper_writes("STOP")
    assert _states(world, checkout_id) == [(1, step, STOPPED, OPTED_OUT) for step in (1, 2, 3)]
    # Shopify repeats checkouts/update often; the same cart must not start a new sequence.
    assert world.shopify("checkouts/update", shopify_checkout(
        updated_at="2026-11-20T10:30:00+01:00")) == 200
    assert [(c, s) for c, s, _state, _r in _states(world, checkout_id)] == [
        (1, 1), (1, 2), (1, 3)]


def test_stopping_marketing_in_whatsapp_itself_stops_them_too(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    with world.app.app_context(), db.transaction() as session:
        apply_notification(session, Notification(updates=(MarketingPreference(
            phone_number_id=PHONE_NUMBER_ID, sender=Sender(wa_id=SHOPPER_WA), granted=False,
            timestamp=int(time.time())),)))
    assert _states(world, checkout_id) == [(1, step, STOPPED, OPTED_OUT) for step in (1, 2, 3)]


def test_an_opt_out_recorded_through_the_consent_log_stops_them_too(
        world: RecoveryWorld) -> None:
    # The companion plugin's box unticked, or an opt-out the store sent through the API.
    world.woo_cart(woo_cart())
    [cart] = world.checkouts()
    with world.app.app_context(), db.transaction() as session:
        customer = Customer(store_id=world.woo_id, platform_id="woo:rui", tags=[],
                            phone_e164="+351912345678")
        session.add(customer)
        session.flush()
        assert consent_log.record(session, world.woo_id, customer, purpose="marketing",
                                  granted=False, source="api", text="no thanks", at=None)
    assert _states(world, cart.id) == [(1, step, STOPPED, OPTED_OUT) for step in (1, 2, 3)]


def test_an_sms_opt_out_is_not_a_whatsapp_opt_out(world: RecoveryWorld) -> None:
    world.woo_cart(woo_cart())
    [cart] = world.checkouts()
    with world.app.app_context(), db.transaction() as session:
        customer = Customer(store_id=world.woo_id, platform_id="woo:rui", tags=[],
                            phone_e164="+351912345678")
        session.add(customer)
        session.flush()
        consent_log.record(session, world.woo_id, customer, purpose="sms_marketing",
                           granted=False, source="shopify_sms", text="unsubscribed", at=None)
    assert [state for _c, _s, state, _r in _states(world, cart.id)] == [SCHEDULED] * 3


def test_uninstalling_the_shopify_app_stops_every_waiting_step(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(hours=1))
    world.woo_cart(woo_cart())
    woo_id = world.checkouts()[1].id
    assert world.shopify("app/uninstalled", {"id": 1, "domain": SHOP,
                                             "myshopify_domain": SHOP}) == 200
    assert _states(world, checkout_id) == [(1, 1, SENT, None), (1, 2, STOPPED, UNINSTALLED),
                                           (1, 3, STOPPED, UNINSTALLED)]
    # Another store's carts go on.
    assert [state for _c, _s, state, _r in _states(world, woo_id)] == [SCHEDULED] * 3


def test_disconnecting_a_woocommerce_store_stops_its_waiting_steps(world: RecoveryWorld) -> None:
    world.woo_cart(woo_cart())
    [cart] = world.checkouts()
    with world.app.app_context():
        sites.set_status(world.woo_id, StoreStatus.UNINSTALLED)
    assert _states(world, cart.id) == [(1, step, STOPPED, UNINSTALLED) for step in (1, 2, 3)]


def test_erasing_the_shopper_erases_their_cart_steps_and_cart_messages(
        world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(hours=1))
    assert [m.to for m in world.messages()] == ["+34612345678"]
    assert world.shopify("customers/redact", {"shop_domain": SHOP, "customer": {
        "id": 1, "email": "nobody@example.com", "phone": "+34612345678"},
        "orders_to_redact": []}) == 200
    assert world.checkouts() == []
    assert world.steps(checkout_id) == []
    assert world.messages() == []
    with world.app.app_context():
        assert db.session().scalars(select(ConsentEntry)).all() == []
