"""The shop assistant's cancellation when its job is lost: the confirmation is recorded on
the order, the sweeper queues the job again once it is stale (and its lease has lapsed), and
the store cancels the order exactly once — also when the lost run had already reached it,
when two runs meet, and when the shopper taps Yes twice. At the fake Shopify and
WooCommerce, through the signed WhatsApp webhook."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from plugin.infra import db, queue
from plugin.models import Order
from plugin.pipeline import assistant_cancel, sweep
from tests.pipeline import test_assistant as assistant
from tests.pipeline import test_cod_answers as cod
from tests.pipeline.test_cod_answers import ShopWorld, WooWorld

graph, shop, woo, woo_app = cod.graph, cod.shop, cod.woo, cod.woo_app
JOB = queue.Job.ASSISTANT_CANCEL.value


class Queue:
    """The queue as the tests see it: while `losing`, assistant_cancel jobs are lost (the
    worker died, the queue was down); every one asked for is counted."""

    def __init__(self) -> None:
        self.losing = True
        self.asked: list[int] = []


@pytest.fixture
def jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Queue]:
    real = queue.enqueue
    seen = Queue()

    def enqueue(job: queue.Job, row_id: int, delay: float = 0) -> bool:
        if job == JOB:
            seen.asked.append(row_id)
            if seen.losing:
                return True
        return real(job, row_id, delay)

    monkeypatch.setattr(queue, "enqueue", enqueue)
    yield seen


def confirm(app: Flask, order_id: str) -> None:
    assistant.says(app, "I want to cancel my order")
    assistant.taps(app, f"bot:cancel_yes:en:{order_id}")


def age(app: Flask, minutes: int = 10) -> None:
    """Let time pass for the sweeper: the confirmation and any lease are that much older."""
    with app.app_context(), db.transaction() as session:
        past = db.utcnow() - timedelta(minutes=minutes)
        session.execute(update(Order).where(Order.cancel_asked_at.is_not(None)).values(
            cancel_asked_at=past))
        session.execute(update(Order).where(Order.cancel_lease_until.is_not(None)).values(
            cancel_lease_until=past))


def state(app: Flask) -> tuple[bool, bool, bool]:
    """(asked, applied, leased) of the order the shopper cancelled."""
    with app.app_context():
        row = db.session().execute(select(Order.cancel_asked_at, Order.cancel_applied_at,
                                          Order.cancel_lease_until)
                                   .where(Order.cancel_asked_at.is_not(None))).one()
    return row[0] is not None, row[1] is not None, row[2] is not None


def recoverable(app: Flask) -> int:
    """What a sweep would queue again now (grace period: two minutes)."""
    with app.app_context():
        now = db.utcnow()
        return assistant_cancel.enqueue_unapplied(now, now - timedelta(minutes=2))


def order_row(app: Flask) -> int:
    with app.app_context():
        return db.session().scalars(select(Order.id).where(
            Order.cancel_asked_at.is_not(None))).one()


def shopify_cancels(shop: ShopWorld) -> int:
    """orderCancel calls that reached the fake Shopify, refused ones included."""
    done = len([m for m in shop.shopify.mutations if m[0] == "orderCancel"])
    assert done <= 1
    return shop.shopify.cancel_calls


def test_a_lost_shopify_cancel_is_brought_back_by_the_sweeper_once(
        shop: ShopWorld, jobs: Queue) -> None:
    assistant.turn_on(shop.app, shop.store_id, on_cancel="cancel", cod_world=True)
    confirm(shop.app, shop.order_id)
    assert len(jobs.asked) == 1 and shopify_cancels(shop) == 0
    assert state(shop.app) == (True, False, False)  # recorded: the tap is not lost
    # Within the grace period the job may still be on its way: nothing is queued again.
    assert recoverable(shop.app) == 0
    age(shop.app)
    jobs.losing = False
    with shop.app.app_context():
        sweep.recover()
    assert shopify_cancels(shop) == 1
    [remote] = [o for orders in shop.shopify.orders.values() for o in orders]
    assert remote.cancelled_at is not None
    assert state(shop.app) == (True, True, False)
    # Applied: later sweeps find nothing, and a stray copy of the job does nothing.
    age(shop.app, 60)
    assert recoverable(shop.app) == 0
    with shop.app.app_context():
        assistant_cancel.cancel_order(order_row(shop.app))
    assert shopify_cancels(shop) == 1


def test_a_run_killed_after_reaching_shopify_does_not_cancel_twice(
        shop: ShopWorld, jobs: Queue, monkeypatch: pytest.MonkeyPatch) -> None:
    assistant.turn_on(shop.app, shop.store_id, on_cancel="cancel", cod_world=True)
    jobs.losing = False
    # The worker dies right after Shopify took the cancel: nothing after the call runs.
    monkeypatch.setattr(assistant_cancel, "_release", lambda order_id, applied: None)
    confirm(shop.app, shop.order_id)
    assert shopify_cancels(shop) == 1
    assert state(shop.app) == (True, False, True)  # its lease still stands
    monkeypatch.undo()
    monkeypatch.setattr(queue, "enqueue", _counting(jobs))
    # While the dead run's lease stands nobody takes the order, not even after the grace.
    with shop.app.app_context(), db.transaction() as session:
        session.execute(update(Order).values(
            cancel_asked_at=db.utcnow() - timedelta(minutes=10)))
    assert recoverable(shop.app) == 0
    with shop.app.app_context():
        assistant_cancel.cancel_order(order_row(shop.app))  # a second copy meets the lease
    assert state(shop.app) == (True, False, True)
    age(shop.app)  # the lease lapses
    with shop.app.app_context():
        sweep.recover()
    # The run the sweeper queued asked Shopify first: already cancelled, not cancelled again.
    assert shopify_cancels(shop) == 1
    assert state(shop.app) == (True, True, False)


def _counting(jobs: Queue):  # type: ignore[no-untyped-def]
    real = queue.enqueue

    def enqueue(job: queue.Job, row_id: int, delay: float = 0) -> bool:
        if job == JOB:
            jobs.asked.append(row_id)
        return real(job, row_id, delay)
    return enqueue


def test_yes_tapped_twice_queues_one_cancel(shop: ShopWorld, jobs: Queue) -> None:
    assistant.turn_on(shop.app, shop.store_id, on_cancel="cancel", cod_world=True)
    jobs.losing = False
    confirm(shop.app, shop.order_id)
    assistant.taps(shop.app, f"bot:cancel_yes:en:{shop.order_id}")
    assert len(jobs.asked) == 1
    assert shopify_cancels(shop) == 1


def test_a_lost_woocommerce_cancel_is_brought_back_once(woo: WooWorld, jobs: Queue) -> None:
    assistant.turn_on(woo.app, woo.store_id, on_cancel="cancel", cod_world=True)
    confirm(woo.app, woo.order_id)
    assert woo.site.orders[int(woo.order_id)]["status"] == "on-hold"
    age(woo.app)
    jobs.losing = False
    with woo.app.app_context():
        sweep.recover()
        sweep.recover()  # a second sweeper pass finds it applied
    assert woo.site.orders[int(woo.order_id)]["status"] == "cancelled"
    assert len(woo.private_notes("StoreChat shop assistant")) == 1
    assert state(woo.app) == (True, True, False)
    assert len(jobs.asked) == 2  # the lost one, and the sweeper's


def test_a_store_that_must_reconnect_keeps_the_cancel_waiting(
        shop: ShopWorld, jobs: Queue) -> None:
    from plugin.models import Store, StoreStatus

    assistant.turn_on(shop.app, shop.store_id, on_cancel="cancel", cod_world=True)
    confirm(shop.app, shop.order_id)
    age(shop.app)
    with shop.app.app_context(), db.transaction() as session:
        session.get_one(Store, shop.store_id).status = StoreStatus.RECONNECT_NEEDED.value
    assert recoverable(shop.app) == 0  # not queued for a store that cannot answer
    with shop.app.app_context(), db.transaction() as session:
        session.get_one(Store, shop.store_id).status = StoreStatus.ACTIVE.value
    jobs.losing = False
    with shop.app.app_context():
        sweep.recover()
    assert shopify_cancels(shop) == 1
