"""kill -9 of a `storechat worker` while cart recovery steps are due: after a restart every
due step is sent, each cart's message written once; only sends in flight at the kill may
reach the fake Graph twice (embedded SQLite, and PostgreSQL+Redis)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from plugin.infra import db
from plugin.models import (
    Checkout,
    ConsentEntry,
    Customer,
    Message,
    RecoveryStep,
    Store,
    Template,
    WhatsAppAccount,
)
from plugin.pipeline.recovery import steps as recovery_steps
from plugin.pipeline.recovery import timers as recovery_timers
from tests.conftest import make_app
from tests.pipeline.test_recovery_send import components
from tests.services.workers import (
    ACCESS_TOKEN,
    PHONE_NUMBER_ID,
    WABA_ID,
    Worker,
    fake_graph,
    storechat_environ,
    wait_until,
)

CARTS = 120
# Kill the worker once this many steps have their message written (a sixth): the sweeper
# claimed every due step at once, so most are still claimed by the worker that dies.
KILL_AFTER_STEPS = 20


@pytest.fixture(params=["embedded", "postgresql+redis"])
def database(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The settings of the database (and queue) under test."""
    if request.param == "embedded":
        yield {}
    else:
        yield {"STORECHAT_DATABASE_URL": request.getfixturevalue("pg_database"),
               "STORECHAT_REDIS_URL": request.getfixturevalue("redis_db")}


def _carts_due(app: Flask) -> None:
    """A store with the sequence on, step 1's template approved, and CARTS carts whose step 1
    came due while no worker ran; each shopper opted in to marketing."""
    now = db.utcnow()
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="https://woo.example.com", locale="en")
        session.add(store)
        session.flush()
        recovery_steps.set_enabled(session, store, True)
        session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PHONE_NUMBER_ID,
                                    waba_id=WABA_ID, access_token=ACCESS_TOKEN,
                                    throughput_mps=1000))
        session.add(Template(store_id=store.id, name="cart_recovery_1", language="en",
                             category="MARKETING", status="APPROVED",
                             components=components(1, image=False)))
        for n in range(CARTS):
            phone = f"+3461{n:07d}"
            customer = Customer(store_id=store.id, platform_id=f"c{n}", phone_e164=phone,
                                tags=[])
            session.add(customer)
            session.flush()
            session.add(ConsentEntry(store_id=store.id, customer_id=customer.id,
                                     purpose="marketing", granted=True, source="checkout",
                                     text_shown="WhatsApp offers"))
            checkout = Checkout(
                store_id=store.id, platform_id=f"cart-{n}", customer_id=customer.id,
                first_name="Rui", phone_e164=phone, currency="EUR", total="59.90",
                item_count=2, items=[{"title": "Caneca", "quantity": 2, "price": "29.95"}],
                activity_at=now - timedelta(hours=2))
            session.add(checkout)
            session.flush()
            recovery_timers.schedule(session, checkout, now)


def _counts(app: Flask) -> tuple[dict[str, int], dict[str, int]]:
    """(step 1 rows by state, messages by state)."""
    with app.app_context(), db.transaction() as session:
        steps = dict(session.execute(select(RecoveryStep.state, func.count())
                                     .where(RecoveryStep.step == 1)
                                     .group_by(RecoveryStep.state)).all())
        messages = dict(session.execute(select(Message.state, func.count())
                                        .group_by(Message.state)).all())
    return steps, messages


@pytest.mark.services
def test_kill_9_while_recovery_steps_are_due_sends_each_once_after_restart(
        tmp_path: Path, database: dict[str, str]) -> None:
    instance = tmp_path / "instance"
    app = make_app(instance, queue_immediate=False,
                   database_url=database.get("STORECHAT_DATABASE_URL", ""),
                   redis_url=database.get("STORECHAT_REDIS_URL", ""))
    try:
        _run(app, instance, tmp_path, database)
    finally:
        app.extensions["storechat.engine"].dispose()


def _run(app: Flask, instance: Path, tmp_path: Path, database: dict[str, str]) -> None:
    _carts_due(app)
    with fake_graph() as (graph, url):
        env = storechat_environ(instance, WHATSAPP_GRAPH_URL=url,
                                STORECHAT_LEASE_SECONDS="5",
                                STORECHAT_SWEEP_GRACE_SECONDS="3",
                                # No status webhooks here: nothing to wait for.
                                STORECHAT_RECONCILE_GRACE_SECONDS="1",
                                STORECHAT_SWEEP_INTERVAL_SECONDS="1", **database)
        workers = [Worker("worker-1", env, tmp_path)]

        def explain() -> str:
            steps, messages = _counts(app)
            return (f"step 1 by state {steps}, messages by state {messages}, fake received "
                    f"{len(graph.sent)}\n" + "\n".join(w.tail() for w in workers))

        try:
            wait_until(lambda: _counts(app)[0].get("sent", 0) >= KILL_AFTER_STEPS, 120,
                       f"{KILL_AFTER_STEPS} steps to be sent", explain, interval=0.002,
                       workers=workers)
            workers[0].kill()
            steps, messages = _counts(app)
            in_flight = messages.get("sending", 0)
            assert steps.get("due-claimed", 0) > 0, "no step was left claimed by the killed " \
                                                    "worker: nothing was tested\n" + explain()
            # Time passes beyond the dead worker's claims (CLAIM_LEASE, five minutes).
            with app.app_context(), db.transaction() as session:
                session.execute(update(RecoveryStep).where(
                    RecoveryStep.state == "due-claimed").values(
                    lease_until=db.utcnow() - timedelta(seconds=1)))
            workers.append(Worker("worker-2", env, tmp_path))
            wait_until(lambda: _counts(app) == ({"sent": CARTS}, {"sent": CARTS}), 180,
                       "every step 1 and its message to be sent", explain,
                       workers=workers[1:])
            workers[1].assert_no_errors()
        finally:
            for worker in workers:
                worker.stop()
        received = Counter(s.payload.get("biz_opaque_callback_data") for s in graph.sent)
        with app.app_context():
            ids = {f"storechat:{i}" for i in db.session().scalars(select(Message.id))}
            per_cart = dict(db.session().execute(
                select(Message.cause, func.count()).group_by(Message.cause)).all())
        assert set(received) == ids
        assert set(per_cart.values()) == {1} and len(per_cart) == CARTS
        twice = sum(count - 1 for count in received.values())
        assert twice <= in_flight, f"{twice} duplicates, {in_flight} in flight at the kill"
        assert all(s.payload["template"]["name"] == "cart_recovery_1" for s in graph.sent)
