"""GET/POST /webhooks/whatsapp: the challenge, signatures failing closed, bad input."""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import InboundEvent
from tests.conftest import make_app

APP_SECRET, VERIFY_TOKEN = "meta-app-secret", "verify-me"
BODY = {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": []}]}


@pytest.fixture
def wa_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path / "instance", whatsapp_app_secret=APP_SECRET,
                   whatsapp_verify_token=VERIFY_TOKEN)
    yield app
    app.extensions["storechat.engine"].dispose()


def _sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(app: Flask, body: bytes, signature: str | None = None) -> Any:
    headers = {"Content-Type": "application/json",
               "X-Hub-Signature-256": signature if signature is not None else _sign(body)}
    return app.test_client().post("/webhooks/whatsapp", data=body, headers=headers)


def _events(app: Flask) -> list[InboundEvent]:
    with app.app_context():
        return list(db.session().scalars(select(InboundEvent)))


def test_the_verification_challenge(wa_app: Flask) -> None:
    client = wa_app.test_client()
    ok = client.get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me"
                    "&hub.challenge=1158201444")
    assert (ok.status_code, ok.get_data(as_text=True)) == (200, "1158201444")
    assert client.get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong"
                      "&hub.challenge=1").status_code == 403


def test_without_a_verify_token_no_challenge_is_answered(app: Flask) -> None:
    response = app.test_client().get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token="
                                     "&hub.challenge=1")
    assert response.status_code == 403


def test_a_signed_notification_is_stored_once(wa_app: Flask) -> None:
    body = json.dumps(BODY).encode()
    assert _post(wa_app, body).status_code == 200
    assert _post(wa_app, body).status_code == 200  # Meta's retry of the same body
    [event] = _events(wa_app)
    assert (event.source, event.body) == ("whatsapp", body)


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha1=abc",
                                       _sign(b"other body")])
def test_unsigned_or_forged_notifications_are_refused(wa_app: Flask, signature: str) -> None:
    assert _post(wa_app, json.dumps(BODY).encode(), signature).status_code == 401
    assert _events(wa_app) == []


def test_without_an_app_secret_everything_is_refused(app: Flask) -> None:
    body = json.dumps(BODY).encode()
    assert _post(app, body, _sign(body, "")).status_code == 401
    assert _events(app) == []


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"object": "page", "entry": []}'])
def test_malformed_bodies_are_400_and_not_stored(wa_app: Flask, body: bytes) -> None:
    assert _post(wa_app, body).status_code == 400
    assert _events(wa_app) == []


def test_an_oversized_body_is_413(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", whatsapp_app_secret=APP_SECRET, max_body_bytes=1024)
    body = json.dumps(dict(BODY, padding="x" * 2048)).encode()
    assert _post(app, body).status_code == 413
    assert _events(app) == []


def test_a_batched_notification_reaches_the_outbox_and_the_customers(tmp_path: Path) -> None:
    """Two statuses and an inbound STOP in one delivery, as Meta batches them."""
    from plugin.models import ConsentEntry, Customer, Message, WhatsAppAccount
    from tests.conftest import DemoPlatform, order_payload

    app = make_app(tmp_path / "instance", whatsapp_app_secret=APP_SECRET)
    demo = DemoPlatform(app, app.test_client())
    demo.post("orders/create", order_payload())
    with app.app_context():
        with db.transaction() as session:
            session.add(WhatsAppAccount(store_id=demo.store_id, phone_number_id="PNID",
                                        waba_id="WABA"))
        wamid = db.session().scalars(select(Message.wamid)).one()
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550000000", "phone_number_id": "PNID"}}
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [
        {"field": "messages", "value": dict(value, statuses=[
            {"id": wamid, "status": "delivered", "timestamp": "1763700000",
             "recipient_id": "351912345678"},
            {"id": wamid, "status": "read", "timestamp": "1763700060",
             "recipient_id": "351912345678"}])},
        {"field": "messages", "value": dict(value, contacts=[
            {"profile": {"name": "Ana"}, "wa_id": "351912345678"}], messages=[
            {"from": "351912345678", "id": "wamid.IN1", "timestamp": "1763700100",
             "type": "text", "text": {"body": "STOP"}}])}]}]}).encode()
    assert _post(app, body).status_code == 200
    with app.app_context():
        assert db.session().scalars(select(InboundEvent.state)).all()[-1] == "processed"
        assert db.session().scalars(select(Message.state)).one() == "read"
        customer = db.session().scalars(select(Customer)).one()
        stop = db.session().scalars(select(ConsentEntry).where(
            ConsentEntry.purpose == "marketing")).one()
    assert customer.wa_id == "351912345678" and customer.last_inbound_at is not None
    assert (stop.granted, stop.source) == (False, "whatsapp_stop")
