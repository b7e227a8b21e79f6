"""Processing: an event becomes snapshots and outbox rows exactly once."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select, update

from plugin.infra import db
from plugin.models import InboundEvent, Message, Order, Store
from plugin.pipeline.process import process_event
from tests.conftest import DemoPlatform, order_payload

SHIPPED = {"tracking": {"number": "TRK123", "url": "https://track.example/TRK123",
                        "company": "DemoPost"}}


def _messages(app: Flask) -> list[Message]:
    with app.app_context():
        return list(db.session().scalars(select(Message).order_by(Message.id)))


def test_the_journey_sends_one_message_per_step(app: Flask, demo: DemoPlatform) -> None:
    demo.post("orders/create", order_payload())
    demo.post("orders/paid", order_payload(status="paid"))
    demo.post("orders/fulfilled", order_payload(status="shipped", **SHIPPED))
    demo.post("orders/delivered", order_payload(status="delivered", **SHIPPED))
    messages = _messages(app)
    # Paying has no journey of its own: the confirmation already thanked the shopper.
    assert [m.step for m in messages] == ["order_confirmation", "order_shipped",
                                         "order_delivered"]
    assert all(m.state == "sent" and m.transport == "sandbox" for m in messages)
    shipped = messages[1].payload
    assert shipped["to"] == "351912345678"
    assert shipped["template"]["name"] == "order_shipped"
    assert [p["text"] for p in shipped["template"]["components"][0]["parameters"]] == [
        "Ana", "#1001", "DemoPost", "TRK123"]
    assert shipped["biz_opaque_callback_data"] == f"storechat:{messages[1].id}"
    assert messages[1].wamid.startswith("wamid.sandbox.")
    with app.app_context():
        order = db.session().scalars(select(Order)).one()
        assert order.status == "delivered"
        assert order.tracking["number"] == "TRK123"


def test_a_redelivered_event_under_a_new_id_sends_nothing_new(app: Flask,
                                                              demo: DemoPlatform) -> None:
    demo.post("orders/create", order_payload(), event_id="a")
    demo.post("orders/create", order_payload(), event_id="b")
    assert len(_messages(app)) == 1


def test_running_a_job_again_changes_nothing(app: Flask, demo: DemoPlatform) -> None:
    demo.post("orders/create", order_payload())
    with app.app_context():
        event_id = db.session().scalars(select(InboundEvent.id)).one()
        before = db.session().scalars(select(InboundEvent)).one().processed_at
        process_event(event_id)
        # Even a row forced back to pending only re-runs into the same outbox row.
        db.session().execute(update(InboundEvent).values(state="pending"))
        db.session().commit()
        process_event(event_id)
        event = db.session().get(InboundEvent, event_id)
        assert event.state == "processed"
        assert event.processed_at >= before
    assert len(_messages(app)) == 1


def test_a_malformed_order_is_parked_as_failed(app: Flask, demo: DemoPlatform) -> None:
    assert demo.post("orders/create", {"id": "o-9"}).status_code == 200
    with app.app_context():
        event = db.session().scalars(select(InboundEvent)).one()
    assert event.state == "failed"
    assert "malformed order" in event.error
    assert _messages(app) == []


def test_an_uninstalled_store_sends_nothing(app: Flask, demo: DemoPlatform) -> None:
    with app.app_context():
        db.session().execute(update(Store).values(status="uninstalled"))
        db.session().commit()
    demo.post("orders/create", order_payload())
    [message] = _messages(app)
    assert message.state == "skipped"
    assert "not active" in message.reason
    assert message.wamid is None


def test_a_customer_without_a_usable_phone_is_skipped(app: Flask, demo: DemoPlatform) -> None:
    customer = {"id": "c-2", "first_name": "Bo", "phone": "12"}
    demo.post("orders/create", order_payload(order_id="o-2", customer=customer))
    [message] = _messages(app)
    assert message.state == "skipped"
    assert "no WhatsApp number" in message.reason


def test_a_disabled_automation_sends_nothing(app: Flask, demo: DemoPlatform) -> None:
    from plugin.models import Automation

    with app.app_context():
        db.session().execute(update(Automation).where(Automation.trigger == "order_paid")
                             .values(enabled=False))
        db.session().commit()
    demo.post("orders/paid", order_payload(status="paid"))
    assert _messages(app) == []


def test_a_partial_event_is_completed_from_the_order_snapshot(app: Flask,
                                                              demo: DemoPlatform) -> None:
    # A Shopify fulfillment names the order but carries no number, total or customer.
    from decimal import Decimal

    from plugin.domain.events import EventKind, OrderEvent, Tracking
    from plugin.pipeline.orders import apply_order_event

    demo.post("orders/create", order_payload())
    with app.app_context():
        with db.transaction() as session:
            store = session.get(Store, demo.store_id)
            [(message_id, _)] = apply_order_event(session, store, OrderEvent(
                kind=EventKind.ORDER_DELIVERED, order_id="o-1", number="", status="delivered",
                currency="", total=Decimal("0"), tracking=Tracking(number="TRK9")))
        message = db.session().get(Message, message_id)
        order = db.session().scalars(select(Order)).one()
    params = [p["text"] for p in message.payload["template"]["components"][0]["parameters"]]
    assert params == ["Ana", "#1001"]
    assert message.to == "+351912345678"
    assert (order.number, order.currency, order.total) == ("1001", "EUR", "54.80")


@pytest.mark.parametrize(("source", "topic"), [
    ("demo", "orders/create"), ("shopify", "orders/create"),
    ("woocommerce", "order.created"), ("woocommerce", "cart.updated"),
    ("whatsapp", "notification"),
])
@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 20_000], ids=["arrays", "objects"])
def test_a_stored_deeply_nested_body_is_parked_as_failed(app: Flask, demo: DemoPlatform,
                                                         source: str, topic: str,
                                                         body: bytes) -> None:
    """However a body got in, a job that cannot read it fails it for good, and lives on."""
    with app.app_context():
        with db.transaction() as session:
            event = InboundEvent(source=source, dedupe_key=f"nested-{source}-{topic}",
                                 topic=topic, body=body, store_id=demo.store_id, headers={},
                                 state="pending", attempts=0, received_at=db.utcnow())
            session.add(event)
            session.flush()
            event_id = event.id
        process_event(event_id)
        event = db.session().get(InboundEvent, event_id)
        assert event.state == "failed"
        assert "JSON" in event.error
    assert _messages(app) == []
