"""Cart recovery timers: signed checkout webhooks in, one row per recovery step out, due at
the right time, moved by activity, skipped or stopped with the owner's reason, restarted after
a material change, and claimed by exactly one worker. Which steps and delays: the store's
enabled recovery steps; a store with the sequence off gets none."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Automation, Checkout, RecoveryStep, Store
from plugin.pipeline.checkouts import NO_PHONE
from plugin.pipeline.recovery import steps as recovery_steps
from plugin.pipeline.recovery import timers as recovery_timers
from plugin.pipeline.recovery.timers import EMPTIED, claim_due
from tests.conftest import make_app
from tests.pipeline.test_checkouts import (
    SHOPIFY_SECRET,
    World,
    _cart,
    _checkout,
    _order,
)

# The checkout's last activity in these tests: a whole minute, so times compare exactly.
T = datetime(2026, 11, 20, 9, 0)
Row = tuple[int, int, str, str | None, datetime]


def _sequence(world: World, on: bool) -> None:
    """Turn both stores' recovery sequence on (the defaults) or off, in one click each."""
    with world.app.app_context(), db.transaction() as session:
        for store in session.scalars(select(Store)):
            recovery_steps.set_enabled(session, store, on)


def _delays(world: World, minutes: dict[str, int | None]) -> None:
    """Set the stored delay of each named step; None switches that step off."""
    with world.app.app_context(), db.transaction() as session:
        for row in session.scalars(select(Automation)):
            if row.journey in minutes:
                delay = minutes[row.journey]
                row.enabled = delay is not None
                row.delay_seconds = (delay or 0) * 60


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    app = make_app(tmp_path / "instance", shopify_api_key="key",
                   shopify_api_secret=SHOPIFY_SECRET, allow_http_stores=True)
    world = World(app)
    _sequence(world, True)
    yield world
    app.extensions["storechat.engine"].dispose()


def _iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def _steps(world: World) -> list[Row]:
    """(cycle, step, state, reason, due_at) of every timer row."""
    with world.app.app_context():
        return [(r.cycle, r.step, r.state, r.reason, r.due_at) for r in db.session().scalars(
            select(RecoveryStep).order_by(RecoveryStep.cycle, RecoveryStep.step,
                                          RecoveryStep.checkout_id))]


def _claim(world: World, now: datetime, limit: int = 100) -> list[int]:
    with world.app.app_context(), db.transaction() as session:
        return claim_due(session, now, limit)


def _scheduled(at: datetime, cycle: int = 1) -> list[Row]:
    return [(cycle, 1, "scheduled", None, at + timedelta(hours=1)),
            (cycle, 2, "scheduled", None, at + timedelta(days=1)),
            (cycle, 3, "scheduled", None, at + timedelta(days=3))]


def test_a_new_checkout_with_a_phone_gets_three_steps_after_its_activity(world: World) -> None:
    world.shopify("checkouts/create", _checkout(updated_at=_iso(T)))
    assert _steps(world) == _scheduled(T)


def test_no_step_is_due_sooner_than_fifteen_minutes(world: World) -> None:
    _delays(world, {"cart_recovery_1": 0, "cart_recovery_2": 20, "cart_recovery_3": None})
    world.woo_cart(_cart(updated_at=_iso(T)))
    assert [(step, due) for _, step, _, _, due in _steps(world)] == [
        (1, T + timedelta(minutes=15)), (2, T + timedelta(minutes=20))]


def test_a_store_with_the_sequence_off_gets_no_steps(world: World) -> None:
    _sequence(world, False)
    world.woo_cart(_cart(updated_at=_iso(T)))
    world.shopify("checkouts/create", _checkout(updated_at=_iso(T)))
    assert len(world.checkouts()) == 2
    assert _steps(world) == []


def test_only_the_enabled_steps_are_scheduled_with_their_own_delays(world: World) -> None:
    _delays(world, {"cart_recovery_1": 30, "cart_recovery_2": None, "cart_recovery_3": 600})
    world.shopify("checkouts/create", _checkout(updated_at=_iso(T)))
    assert _steps(world) == [(1, 1, "scheduled", None, T + timedelta(minutes=30)),
                             (1, 3, "scheduled", None, T + timedelta(minutes=600))]


def test_activity_pushes_the_steps_not_yet_due(world: World) -> None:
    start = db.utcnow().replace(microsecond=0)  # no step is due yet
    world.shopify("checkouts/create", _checkout(updated_at=_iso(start)))
    later = start + timedelta(minutes=30)
    world.shopify("checkouts/update", _checkout(updated_at=_iso(later)))
    assert _steps(world) == _scheduled(later)


def test_a_due_step_is_not_pushed_by_activity(world: World) -> None:
    start = db.utcnow().replace(microsecond=0) - timedelta(hours=2)  # step 1 is due now
    world.shopify("checkouts/create", _checkout(updated_at=_iso(start)))
    world.shopify("checkouts/update", _checkout(updated_at=_iso(start + timedelta(hours=1))))
    assert [due for *_, due in _steps(world)] == [
        start + timedelta(hours=1), start + timedelta(hours=1, days=1),
        start + timedelta(hours=1, days=3)]


def test_an_order_between_step_1_and_2_skips_the_rest_saying_so(world: World) -> None:
    world.shopify("checkouts/create", _checkout(updated_at=_iso(T)))
    assert len(_claim(world, T + timedelta(hours=2))) == 1  # step 1 is due and claimed
    world.shopify("orders/create", _order())
    assert [(step, state, reason) for _, step, state, reason, _ in _steps(world)] == [
        (1, "due-claimed", None),
        (2, "skipped", "recovered before step 2"),
        (3, "skipped", "recovered before step 2")]
    assert _claim(world, T + timedelta(days=5)) == []


def test_a_claim_skips_steps_whose_checkout_completed_meanwhile(world: World) -> None:
    world.shopify("checkouts/create", _checkout(updated_at=_iso(T)))
    _claim(world, T + timedelta(hours=2))
    with world.app.app_context(), db.transaction() as session:
        # Completed without passing through the scheduler (as a worker racing an order sees).
        session.scalars(select(Checkout)).one().completed_at = T + timedelta(hours=3)
    assert _claim(world, T + timedelta(days=2)) == []
    assert [(step, state, reason) for _, step, state, reason, _ in _steps(world)][1:] == [
        (2, "skipped", "recovered before step 2"), (3, "scheduled", None)]


def test_an_emptied_cart_stops_its_steps(world: World) -> None:
    world.woo_cart(_cart(updated_at=_iso(T)))
    world.woo_cart(_cart(items=[], total="0", updated_at=_iso(T + timedelta(minutes=5))))
    assert {(state, reason) for _, _, state, reason, _ in _steps(world)} == {("stopped", EMPTIED)}
    assert _claim(world, T + timedelta(days=5)) == []


def test_a_cart_refilled_after_being_emptied_starts_again(world: World) -> None:
    world.woo_cart(_cart(updated_at=_iso(T)))
    world.woo_cart(_cart(items=[], total="0", updated_at=_iso(T + timedelta(minutes=5))))
    refilled = T + timedelta(minutes=10)
    world.woo_cart(_cart(updated_at=_iso(refilled)))
    world.woo_cart(_cart(updated_at=_iso(refilled)))  # the same state again adds nothing
    assert _steps(world)[3:] == _scheduled(refilled, cycle=2)


def test_a_checkout_without_phone_gets_no_steps_and_says_why(world: World) -> None:
    world.shopify("checkouts/create", _checkout(
        updated_at=_iso(T), phone=None, billing_address=None, shipping_address=None,
        customer=None, sms_marketing_phone=None))
    assert _steps(world) == []
    [checkout] = world.checkouts()
    assert checkout.phone_problem == NO_PHONE


def test_two_claimers_at_once_claim_each_due_step_once(world: World) -> None:
    for n in range(4):
        world.woo_cart(_cart(cart_token=f"cart-{n}", updated_at=_iso(T)))
    now = T + timedelta(days=4)  # all 12 steps are due
    start, results = threading.Barrier(2), [list[int](), list[int]()]

    def claimer(slot: int) -> None:
        start.wait()
        results[slot] = _claim(world, now, limit=8)

    threads = [threading.Thread(target=claimer, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not set(results[0]) & set(results[1])
    assert len(results[0]) + len(results[1]) == 12
    assert _claim(world, now) == []  # held by their leases
    assert len(_claim(world, now + recovery_timers.CLAIM_LEASE + timedelta(seconds=1))) == 12


def test_a_material_change_after_the_end_starts_cycle_2(world: World) -> None:
    world.shopify("checkouts/create", _checkout(updated_at=_iso(T)))
    assert len(_claim(world, T + timedelta(days=4))) == 3  # the sequence ran out
    same = T + timedelta(days=5)
    world.shopify("checkouts/update", _checkout(updated_at=_iso(same)))
    assert len(_steps(world)) == 3  # a visit without a change restarts nothing
    changed = T + timedelta(days=6)
    line = _checkout()["line_items"][0]
    world.shopify("checkouts/update", _checkout(updated_at=_iso(changed), total_price="597.00",
                                                line_items=[dict(line, quantity=3)]))
    assert _steps(world)[3:] == _scheduled(changed, cycle=2)


def test_the_same_webhook_twice_changes_no_step(world: World) -> None:
    world.shopify("checkouts/create", _checkout(updated_at=_iso(T)), event_id="evt-1")
    with world.app.app_context():
        before = [(r.id, r.updated_at, r.due_at) for r in db.session().scalars(
            select(RecoveryStep).order_by(RecoveryStep.id))]
    world.shopify("checkouts/create", _checkout(updated_at=_iso(T)), event_id="evt-1")
    world.shopify("checkouts/update", _checkout(updated_at=_iso(T)))  # same state, new event
    with world.app.app_context():
        after = [(r.id, r.updated_at, r.due_at) for r in db.session().scalars(
            select(RecoveryStep).order_by(RecoveryStep.id))]
    assert after == before and len(after) == 3
