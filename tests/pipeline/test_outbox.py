"""The outbox writer and the enqueue after commit: one way each, used by every producer."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from plugin.infra import db, queue
from plugin.models import Automation, Message
from plugin.pipeline import outbox
from tests.conftest import DemoPlatform, order_payload


def test_write_adds_a_message_once_per_store_cause_and_step(app: Flask,
                                                            demo: DemoPlatform) -> None:
    with app.app_context():
        with db.transaction() as session:
            first = outbox.write(session, store_id=demo.store_id, cause="case:1", step="hello",
                                 to="+351912345678", payload={"type": "text"},
                                 delay_seconds=60)
            again = outbox.write(session, store_id=demo.store_id, cause="case:1",
                                 step="hello", to="+351912345678", payload={"other": 1})
        message = db.session().get(Message, first)
    assert first is not None and again is None
    assert (message.state, message.attempts, message.payload) == ("pending", 0,
                                                                  {"type": "text"})
    assert message.enqueued_at == message.created_at
    assert message.not_before == message.created_at + timedelta(seconds=60)


def test_write_many_adds_each_message_once_and_names_every_row(app: Flask,
                                                               demo: DemoPlatform) -> None:
    def row(n: int, **extra: object) -> dict[str, object]:
        return {"store_id": demo.store_id, "customer_id": None, "cause": f"case:{n}",
                "step": "many", "to": f"+35191234567{n}", "template": "t",
                "payload": {"n": n}, **extra}

    with app.app_context():
        with db.transaction() as session:
            first = outbox.write_many(session, [row(1), row(2, state="skipped", reason="why")])
        with db.transaction() as session:
            again = outbox.write_many(session, [row(2, payload={"other": 1}), row(3)])
        messages = {m.cause: m for m in db.session().scalars(select(Message))}
    assert set(first) == {"case:1", "case:2"} and again["case:2"] == first["case:2"]
    assert set(messages) == {"case:1", "case:2", "case:3"}
    assert (messages["case:2"].state, messages["case:2"].reason,
            messages["case:2"].payload) == ("skipped", "why", {"n": 2})
    assert (messages["case:3"].state, messages["case:3"].id) == ("pending", again["case:3"])


def test_a_planned_message_over_a_whatsapp_limit_is_skipped_with_its_reason(
        app: Flask, demo: DemoPlatform) -> None:
    # A template name Meta refuses (capitals, spaces): the checked builder names the limit
    # and the owner reads it in the log, instead of a send that Graph would refuse.
    with app.app_context():
        db.session().execute(update(Automation).where(Automation.journey == "order_confirmation")
                             .values(template="Order Confirmation"))
        db.session().commit()
    demo.post("orders/create", order_payload())
    with app.app_context():
        [message] = db.session().scalars(select(Message)).all()
    assert message.state == "skipped"
    assert "template name" in message.reason and "WhatsApp limit" in message.reason
    assert message.wamid is None


def test_a_job_is_queued_only_after_its_transaction_commits(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[tuple[str, int, float]] = []
    seen_inside: list[int] = []
    monkeypatch.setattr(queue, "enqueue",
                        lambda job, row_id, delay=0: queued.append((job, row_id, delay)))
    with app.app_context():
        with db.transaction() as session:
            queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, 7, 5)
            seen_inside.append(len(queued))
        assert seen_inside == [0]
        assert queued == [("send_message", 7, 5)]
        with pytest.raises(RuntimeError):
            with db.transaction() as session:
                session.execute(select(1))
                queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, 8)
                raise RuntimeError("rolled back")
        # The rolled-back job never runs, not even at the session's next commit.
        session = db.session()
        session.execute(select(1))
        queue.enqueue_after_commit(session, queue.Job.AUDIT_MESSAGE, 9)
        session.rollback()
        session.execute(select(1))
        session.commit()
    assert queued == [("send_message", 7, 5)]
