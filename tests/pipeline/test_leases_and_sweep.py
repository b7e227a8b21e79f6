"""Leases give each row to one worker; the sweeper recovers rows whose job was lost."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select, update

from plugin.infra import db
from plugin.infra.leases import claim_event, claim_message
from plugin.models import InboundEvent, Message
from plugin.pipeline.sweep import BACKLOG_GRACE_FACTOR, relay, sweep
from tests.conftest import DemoPlatform, make_app, order_payload


def test_a_message_is_claimed_once_until_its_lease_runs_out(app: Flask,
                                                            demo: DemoPlatform) -> None:
    demo.post("orders/create", order_payload())
    now = db.utcnow()
    with app.app_context():
        message_id = db.session().scalars(select(Message.id)).one()
        db.session().execute(update(Message).values(state="pending", attempts=0))
        db.session().commit()
        with db.transaction() as session:
            assert claim_message(session, message_id, now, 30)
        with db.transaction() as session:
            assert not claim_message(session, message_id, now, 30)
        with db.transaction() as session:
            assert claim_message(session, message_id, now + timedelta(seconds=31), 30)
        assert db.session().get(Message, message_id).attempts == 2


def test_a_message_that_is_not_due_is_not_claimed(app: Flask, demo: DemoPlatform) -> None:
    demo.post("orders/create", order_payload())
    now = db.utcnow()
    with app.app_context():
        message_id = db.session().scalars(select(Message.id)).one()
        db.session().execute(update(Message).values(state="pending",
                                                    not_before=now + timedelta(minutes=5)))
        db.session().commit()
        with db.transaction() as session:
            assert not claim_message(session, message_id, now, 30)


def test_an_event_is_claimed_once(app: Flask, demo: DemoPlatform) -> None:
    demo.post("products/update", {"id": 1})
    now = db.utcnow()
    with app.app_context():
        event_id = db.session().scalars(select(InboundEvent.id)).one()
        db.session().execute(update(InboundEvent).values(state="pending"))
        db.session().commit()
        with db.transaction() as session:
            assert claim_event(session, event_id, now, 30)
        with db.transaction() as session:
            assert not claim_event(session, event_id, now, 30)


def test_the_relay_hands_new_events_to_the_embedded_queue(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", queue_immediate=False)
    demo = DemoPlatform(app, app.test_client())
    assert demo.post("orders/create", order_payload()).status_code == 200
    with app.app_context():
        huey = app.extensions["storechat.huey"]
        event = db.session().scalars(select(InboundEvent)).one()
        # One write per webhook: the row is stored, nothing is put on the queue yet.
        assert (event.state, event.enqueued_at, huey.pending_count()) == ("pending", None, 0)
        assert relay() == 1
        assert huey.pending_count() == 1
        assert relay() == 0  # handed over once
        db.session().expire_all()
        assert db.session().get(InboundEvent, event.id).enqueued_at is not None


def test_the_sweeper_recovers_a_lost_event_and_a_dead_workers_send(tmp_path: Path) -> None:
    # A queue that never runs jobs on its own: as if every worker had died.
    app = make_app(tmp_path / "instance", queue_immediate=False, sweep_grace_seconds=1)
    demo = DemoPlatform(app, app.test_client())
    assert demo.post("orders/create", order_payload()).status_code == 200
    with app.app_context():
        assert relay() == 1
        assert sweep().events == 0  # just queued: not lost yet
        app.extensions["storechat.huey"].immediate = True  # from now on jobs run inline
        db.session().execute(update(InboundEvent).values(
            enqueued_at=db.utcnow() - timedelta(seconds=5)))
        db.session().commit()
        report = sweep()
        assert report.events == 1
        message = db.session().scalars(select(Message)).one()
        assert message.state == "sent"
        # A worker died mid-send: the message is stuck in `sending` with a lease. It is
        # held for the reconciliation grace (Meta's status may show it was sent), then sent.
        grace = app.config["STORECHAT"].reconcile_grace_seconds
        db.session().execute(update(Message).values(
            state="sending", lease_until=db.utcnow() - timedelta(seconds=1), wamid=None))
        db.session().commit()
        assert sweep().messages == 0
        db.session().execute(update(Message).values(
            lease_until=db.utcnow() - timedelta(seconds=grace + 1)))
        db.session().commit()
        assert sweep().messages == 1
        db.session().expire_all()
        assert db.session().get(Message, message.id).state == "sent"
        assert sweep() == type(report)(0, 0)


def test_a_backlog_stretches_the_grace_for_rows_still_queued(tmp_path: Path) -> None:
    # A queue whose workers are busy: jobs wait in it longer than the grace.
    app = make_app(tmp_path / "instance", queue_immediate=False, sweep_grace_seconds=1)
    demo = DemoPlatform(app, app.test_client())
    assert demo.post("orders/create", order_payload()).status_code == 200
    with app.app_context():
        huey = app.extensions["storechat.huey"]
        assert relay() == 1
        queued_ago = (BACKLOG_GRACE_FACTOR - 1) * 1
        db.session().execute(update(InboundEvent).values(
            enqueued_at=db.utcnow() - timedelta(seconds=queued_ago)))
        db.session().commit()
        # Past the grace, but its job may still be waiting behind the others: left alone.
        assert (huey.pending_count(), sweep().events) == (1, 0)
        db.session().execute(update(InboundEvent).values(
            enqueued_at=db.utcnow() - timedelta(seconds=BACKLOG_GRACE_FACTOR + 1)))
        db.session().commit()
        assert sweep().events == 1
        # A lapsed lease is a dead worker's row, backlog or not: recovered at once.
        db.session().execute(update(InboundEvent).values(
            state="processing", lease_until=db.utcnow() - timedelta(seconds=1)))
        db.session().commit()
        assert sweep().events == 1


def test_the_sweeper_forgets_expired_sessions_and_tokens(app: Flask) -> None:
    from plugin.models import OneTimeToken, WebSession

    past, future = db.utcnow() - timedelta(seconds=1), db.utcnow() + timedelta(days=1)
    with app.app_context():
        with db.transaction() as session:
            session.add_all([
                WebSession(token_hash="a" * 64, data={}, expires_at=past),
                WebSession(token_hash="b" * 64, data={}, expires_at=future),
                OneTimeToken(purpose="setup", token_hash="c" * 64, expires_at=past),
                OneTimeToken(purpose="setup", token_hash="d" * 64, expires_at=future),
            ])
        sweep()
        assert db.session().scalars(select(WebSession.token_hash)).all() == ["b" * 64]
        assert db.session().scalars(select(OneTimeToken.token_hash)).all() == ["d" * 64]


def test_the_housekeeping_is_a_periodic_task_the_worker_runs(tmp_path: Path) -> None:
    """Issue 21: the worker printed "Periodic tasks are disabled". Its consumer now runs the
    scheduler, and the housekeeping (template resync, WooCommerce reconciliation, expiry,
    retention) is registered as a periodic task due every minute."""
    from huey.consumer import Consumer

    from plugin.infra import queue
    from plugin.models import WebSession

    app = make_app(tmp_path / "instance", queue_immediate=False)
    huey = app.extensions["storechat.huey"]
    with app.app_context():
        consumer = queue.create_consumer(2)
    assert isinstance(consumer, Consumer) and consumer.periodic is True
    assert consumer._create_scheduler().periodic is True
    for minute in (0, 7, 59):
        due = huey.read_periodic(datetime(2026, 1, 1, 12, minute))
        assert [task.name for task in due] == [queue.Periodic.HOUSEKEEPING.value]
    # Running the task does the housekeeping (here: an expired session is forgotten).
    with app.app_context(), db.transaction() as session:
        session.add(WebSession(token_hash="e" * 64, data={},
                               expires_at=db.utcnow() - timedelta(seconds=1)))
    [task] = huey.read_periodic(datetime(2026, 1, 1, 12, 0))
    huey.execute(task)
    with app.app_context():
        assert db.session().scalars(select(WebSession)).all() == []


def test_the_sweeper_thread_recovers_without_the_scheduler(tmp_path: Path) -> None:
    """Recovery stays on its own seconds-grained thread: a killed worker's sends come back
    within sweep_interval_seconds, not at the next scheduled minute."""
    import threading

    from plugin.pipeline import sweep as sweeper

    app = make_app(tmp_path / "instance", queue_immediate=False, sweep_interval_seconds=1)
    stop = threading.Event()
    threads = sweeper.start_threads(app, stop)
    try:
        names = {thread.name for thread in threads}
        assert names == {"storechat-sweeper", "storechat-relay"}
        assert all(thread.is_alive() for thread in threads)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
