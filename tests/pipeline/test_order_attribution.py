"""Store-wide last-touch attribution through signed webhooks: Shopify's orders, Meta's read
reports, the tracked link's click. An order counts once, for the last message its shopper
clicked within the click window or read within the read window before placing it; nothing
outside them; a cancellation or full refund takes it back out, a partial refund does not."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from plugin.domain.events import CustomerRef
from plugin.infra import db
from plugin.models import Message, Store
from plugin.pipeline import consent_log
from tests.pipeline.test_recovery_send import Clock
from tests.worlds.attribution import attributions, read_report, revenue
from tests.worlds.recovery_rows import (
    RecoveryWorld,
    running_world,
    shopify_checkout,
    shopify_order,
)

T = datetime(2026, 11, 20, 12)
EUR_398 = (1, 398_000)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    now = Clock(T)
    monkeypatch.setattr(db, "utcnow", now)
    return now


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Iterator[RecoveryWorld]:
    yield from running_world(tmp_path)


def _sent(world: RecoveryWorld, step: int, at: datetime) -> tuple[str, int, str]:
    """Cart recovery step `step` went out at `at`: (link token, message id, wamid)."""
    if not world.checkouts():
        assert world.shopify("checkouts/create", shopify_checkout()) == 200
    checkout = world.checkouts()[-1]
    token = world.mark_sent(checkout.id, step, at)
    message = world.messages()[-1]
    assert message.wamid is not None
    with world.app.app_context(), db.transaction() as session:
        # As the send job leaves it: the message belongs to the shopper, known by phone.
        store = session.get_one(Store, world.shop_id)
        customer = consent_log.upsert_customer(session, store, CustomerRef(
            platform_id="", phone=checkout.phone_e164))
        assert customer is not None
        session.get_one(Message, message.id).customer_id = customer.id
    return token, message.id, message.wamid


def _click(world: RecoveryWorld, clock: Clock, token: str, at: datetime) -> None:
    clock.now = at
    assert world.client.get(f"/t/{token}").status_code == 302


def _order_at(world: RecoveryWorld, clock: Clock, at: datetime, **changes: object) -> None:
    clock.now = at
    assert world.shopify("orders/create", shopify_order(**changes), event_id="order-1") == 200


def test_a_click_within_five_days_earns_the_order_once(world: RecoveryWorld,
                                                       clock: Clock) -> None:
    token, message_id, _wamid = _sent(world, 1, T - timedelta(days=5))
    _click(world, clock, token, T - timedelta(days=4, hours=23))
    _order_at(world, clock, T)
    [row] = attributions(world)
    assert (row.message_id, row.flow, row.touch, row.currency, row.amount,
            row.order_number) == (message_id, "recovery", "clicked", "EUR", "398.00", "1001")
    assert row.touched_at == T - timedelta(days=4, hours=23)
    figures = {(T.date(), "recovery", "EUR"): EUR_398}
    assert revenue(world.app, world.shop_id) == figures
    # Shopify redelivers, then updates the order: nothing counts twice.
    assert world.shopify("orders/create", shopify_order(), event_id="order-1") == 200
    assert world.shopify("orders/updated", shopify_order(note="gift")) == 200
    assert world.shopify("orders/paid", shopify_order()) == 200
    assert len(attributions(world)) == 1
    assert revenue(world.app, world.shop_id) == figures


def test_a_click_more_than_five_days_before_earns_nothing(world: RecoveryWorld,
                                                          clock: Clock) -> None:
    token, _id, _wamid = _sent(world, 1, T - timedelta(days=6))
    _click(world, clock, token, T - timedelta(days=5, minutes=1))
    _order_at(world, clock, T)
    assert attributions(world) == [] and revenue(world.app, world.shop_id) == {}


def test_a_read_counts_within_twelve_hours_only(world: RecoveryWorld, clock: Clock) -> None:
    _token, message_id, wamid = _sent(world, 1, T - timedelta(days=1))
    read_report(world, wamid, message_id, T - timedelta(hours=12, minutes=1))
    _order_at(world, clock, T)
    assert attributions(world) == []  # read 12 h 1 min before: outside the read window


def test_a_read_within_twelve_hours_earns_the_order(world: RecoveryWorld,
                                                    clock: Clock) -> None:
    _token, message_id, wamid = _sent(world, 1, T - timedelta(days=1))
    read_report(world, wamid, message_id, T - timedelta(hours=11))
    _order_at(world, clock, T)
    [row] = attributions(world)
    assert (row.message_id, row.touch) == (message_id, "read")


def test_the_last_touch_inside_its_window_wins(world: RecoveryWorld, clock: Clock) -> None:
    """Step 1 clicked two days before; step 2 read one hour before: step 2 earns it. A read
    after the order is no touch of it."""
    token, _first, _w1 = _sent(world, 1, T - timedelta(days=3))
    _click(world, clock, token, T - timedelta(days=2))
    _token2, second, wamid2 = _sent(world, 2, T - timedelta(hours=2))
    read_report(world, wamid2, second, T - timedelta(hours=1))
    _token3, third, wamid3 = _sent(world, 3, T - timedelta(minutes=30))
    read_report(world, wamid3, third, T + timedelta(minutes=5))
    _order_at(world, clock, T)
    [row] = attributions(world)
    assert (row.message_id, row.touch) == (second, "read")


def test_a_later_click_beats_an_earlier_read(world: RecoveryWorld, clock: Clock) -> None:
    token, first, _w1 = _sent(world, 1, T - timedelta(days=1))
    _token2, second, wamid2 = _sent(world, 2, T - timedelta(hours=3))
    read_report(world, wamid2, second, T - timedelta(hours=2))
    _click(world, clock, token, T - timedelta(hours=1))
    _order_at(world, clock, T)
    [row] = attributions(world)
    assert (row.message_id, row.touch) == (first, "clicked")


def test_the_windows_are_the_stores_own(world: RecoveryWorld, clock: Clock) -> None:
    with world.app.app_context(), db.transaction() as session:
        store = session.get_one(Store, world.shop_id)
        store.attribution_click_days, store.attribution_read_hours = 1, 1
    token, _id, _wamid = _sent(world, 1, T - timedelta(days=3))
    _click(world, clock, token, T - timedelta(days=2))
    _order_at(world, clock, T)
    assert attributions(world) == []


def test_a_cancelled_order_is_taken_back_out(world: RecoveryWorld, clock: Clock) -> None:
    token, _id, _wamid = _sent(world, 1, T - timedelta(days=1))
    _click(world, clock, token, T - timedelta(hours=5))
    _order_at(world, clock, T)
    clock.now = T + timedelta(days=2)
    cancelled = shopify_order(cancelled_at="2026-11-22T12:00:00Z")
    assert world.shopify("orders/cancelled", cancelled) == 200
    assert world.shopify("orders/cancelled", cancelled) == 200  # twice: taken out once
    [row] = attributions(world)
    assert row.voided_at == T + timedelta(days=2)
    assert revenue(world.app, world.shop_id) == {}


def test_a_partial_refund_keeps_the_order_a_full_one_takes_it_out(world: RecoveryWorld,
                                                                  clock: Clock) -> None:
    token, _id, _wamid = _sent(world, 1, T - timedelta(days=1))
    _click(world, clock, token, T - timedelta(hours=5))
    _order_at(world, clock, T)

    def refund(amount: str) -> dict[str, object]:
        return {"id": 1, "order_id": shopify_order()["id"], "refund_line_items": [],
                "transactions": [{"kind": "refund", "status": "success", "amount": amount,
                                  "currency": "EUR"}]}

    assert world.shopify("refunds/create", refund("100.00")) == 200
    assert revenue(world.app, world.shop_id) == {(T.date(), "recovery", "EUR"): EUR_398}
    assert world.shopify("refunds/create", refund("398.00")) == 200
    assert revenue(world.app, world.shop_id) == {}
    assert attributions(world)[0].voided_at is not None
