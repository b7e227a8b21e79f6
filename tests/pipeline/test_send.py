"""Sending through the Cloud API transport, against the local fake Graph API."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from plugin.infra import db
from plugin.models import Message, WhatsAppAccount
from plugin.pipeline.send import send_message
from tests.conftest import DemoPlatform, make_app, order_payload
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer

PHONE_NUMBER_ID = "106540352242922"
TOKEN = "EAAG-test-token"


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    fake = FakeGraph(tokens={PHONE_NUMBER_ID: TOKEN})
    with LoopbackServer(fake) as server:
        yield fake, server.url


@pytest.fixture
def cloud(tmp_path: Path,
          graph: tuple[FakeGraph, str]) -> Iterator[tuple[Flask, DemoPlatform, FakeGraph]]:
    fake, url = graph
    app = make_app(tmp_path / "instance", whatsapp_graph_url=url)
    demo = DemoPlatform(app, app.test_client())
    with app.app_context(), db.transaction() as session:
        session.add(WhatsAppAccount(store_id=demo.store_id, phone_number_id=PHONE_NUMBER_ID,
                                    waba_id="1", access_token=TOKEN))
    yield app, demo, fake
    app.extensions["storechat.engine"].dispose()


def _message(app: Flask) -> Message:
    with app.app_context():
        return db.session().scalars(select(Message)).one()


def test_a_message_goes_to_the_cloud_api_with_our_id(cloud) -> None:  # type: ignore[no-untyped-def]
    app, demo, fake = cloud
    demo.post("orders/create", order_payload())
    message = _message(app)
    assert message.state == "sent"
    assert message.transport == "cloud"
    [sent] = fake.sent
    assert sent.phone_number_id == PHONE_NUMBER_ID
    assert sent.payload["biz_opaque_callback_data"] == f"storechat:{message.id}"
    assert sent.payload["template"]["name"] == "order_confirmation"
    assert message.wamid == sent.wamid


@pytest.mark.parametrize(("code", "status"), [
    (130429, 400),  # Cloud API throughput reached
    (2, 503),  # service temporarily unavailable
    (1, 500),  # an unknown error on Meta's side
])
def test_throttling_and_5xx_are_retried_later_then_sent(cloud, code: int,  # type: ignore[no-untyped-def]
                                                        status: int) -> None:
    app, demo, fake = cloud
    fake.fail_next(code, status, "try again later (fake)")
    demo.post("orders/create", order_payload())
    message = _message(app)
    assert message.state == "pending"
    assert message.error_code == code
    assert message.not_before is not None
    assert fake.sent == []
    with app.app_context():
        db.session().execute(update(Message).values(not_before=None))
        db.session().commit()
        # Time passes: the 6 s spacing to this shopper (counted by the first try) is over.
        app.extensions["storechat.limiter"].storage.reset()
        send_message(message.id)
    message = _message(app)
    assert message.state == "sent"
    assert message.attempts == 2
    assert len(fake.sent) == 1


@pytest.mark.parametrize(("code", "status", "fragment"), [
    (131026, 400, "undeliverable"),
    (132001, 404, "template"),
    (131047, 400, "24-hour window"),
])
def test_permanent_errors_fail_with_a_reason(cloud, code: int, status: int,  # type: ignore[no-untyped-def]
                                             fragment: str) -> None:
    app, demo, fake = cloud
    fake.fail_next(code, status, f"{fragment} (fake)")
    demo.post("orders/create", order_payload())
    message = _message(app)
    assert message.state == "failed"
    assert message.error_code == code
    assert fragment in message.reason


def test_an_invalid_token_fails_and_flags_the_account(cloud) -> None:  # type: ignore[no-untyped-def]
    app, demo, _fake = cloud
    with app.app_context():
        db.session().execute(update(WhatsAppAccount).values(access_token="revoked"))
        db.session().commit()
    demo.post("orders/create", order_payload())
    message = _message(app)
    assert message.state == "failed"
    assert message.error_code == 190
    assert "reconnected" in message.reason
    with app.app_context():
        assert db.session().scalars(select(WhatsAppAccount)).one().needs_reauth


def test_an_unreachable_graph_api_is_retried(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", whatsapp_graph_url="http://127.0.0.1:1")
    demo = DemoPlatform(app, app.test_client())
    with app.app_context(), db.transaction() as session:
        session.add(WhatsAppAccount(store_id=demo.store_id, phone_number_id=PHONE_NUMBER_ID,
                                    access_token=TOKEN))
    demo.post("orders/create", order_payload())
    message = _message(app)
    assert message.state == "pending"
    assert "could not reach WhatsApp" in message.reason


def test_messages_to_one_shopper_are_spaced_never_dropped(cloud) -> None:  # type: ignore[no-untyped-def]
    app, demo, fake = cloud
    demo.post("orders/create", order_payload())
    demo.post("orders/fulfilled", order_payload(
        status="shipped", tracking={"company": "DemoPost", "number": "TRK1", "url": ""}))
    with app.app_context():
        states = [m.state for m in db.session().scalars(select(Message).order_by(Message.id))]
        second = db.session().scalars(select(Message).order_by(Message.id.desc())).first()
    assert states == ["sent", "pending"]
    assert "spacing" in second.reason and second.not_before is not None
    assert len(fake.sent) == 1
