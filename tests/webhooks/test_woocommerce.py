"""POST /webhooks/woocommerce/<store key>: per-webhook secrets, pings, dedupe, the plugin."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import InboundEvent, Store
from plugin.platforms.stores import set_credentials
from webhooks.signatures import hmac_sha256_base64

WEBHOOK_ID, WEBHOOK_SECRET, CONNECTION_SECRET = "12", "wc-webhook-secret", "connection-secret"
# WordPress escapes slashes in JSON; the signature covers these exact bytes.
ORDER = (b'{"id":727,"number":"727","status":"processing","currency":"EUR","total":"29.90",'
         b'"date_modified_gmt":"2026-11-20T10:00:00","payment_method":"cod",'
         b'"billing":{"first_name":"Rui","phone":"912345678","country":"PT"},'
         b'"permalink":"https:\\/\\/shop.example.com\\/?p=727"}')


@pytest.fixture
def store_key(app: Flask) -> str:
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="https://shop.example.com")
        set_credentials(store, {"webhooks": {WEBHOOK_ID: WEBHOOK_SECRET},
                                "connection_secret": CONNECTION_SECRET})
        session.add(store)
        session.flush()
        return store.key


def _deliver(app: Flask, key: str, body: bytes, *, secret: str = WEBHOOK_SECRET,
             webhook_id: str = WEBHOOK_ID, topic: str = "order.created",
             delivery: str = "1", signature: str | None = None) -> Any:
    headers = {
        "X-WC-Webhook-Source": "https://shop.example.com/", "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".")[0], "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-Signature": signature or hmac_sha256_base64(secret.encode(), body),
        "X-WC-Webhook-ID": webhook_id, "X-WC-Webhook-Delivery-ID": delivery,
        "Content-Type": "application/json",
    }
    return app.test_client().post(f"/webhooks/woocommerce/{key}", data=body, headers=headers)


def _events(app: Flask) -> list[InboundEvent]:
    with app.app_context():
        return list(db.session().scalars(select(InboundEvent)))


def test_a_signed_webhook_is_stored_with_its_escaping_intact(app: Flask, store_key: str) -> None:
    assert _deliver(app, store_key, ORDER).status_code == 200
    [event] = _events(app)
    assert event.body == ORDER
    assert (event.source, event.topic) == ("woocommerce", "order.created")
    assert event.dedupe_key == f"{store_key}:order:727:2026-11-20T10:00:00"


def test_the_published_signature_vector_and_failing_closed(app: Flask, store_key: str) -> None:
    assert hmac_sha256_base64(b"", b"secret") == "GBDo00G55h6IiV+6CxqivQPLbI//KzaOZm747971tPs="
    # …but a webhook without a stored secret never verifies, even with that signature.
    response = _deliver(app, store_key, b"secret", webhook_id="99",
                        signature="GBDo00G55h6IiV+6CxqivQPLbI//KzaOZm747971tPs=")
    assert response.status_code == 401
    assert _events(app) == []


def test_merged_redeliveries_of_one_state_store_one_row(app: Flask, store_key: str) -> None:
    # The Delivery-ID is not unique, and the same state may come as created and updated.
    assert _deliver(app, store_key, ORDER, delivery="1").status_code == 200
    assert _deliver(app, store_key, ORDER, delivery="1").status_code == 200
    assert _deliver(app, store_key, ORDER, delivery="2", topic="order.updated").status_code == 200
    assert len(_events(app)) == 1


@pytest.mark.parametrize("case", ["wrong_secret", "unknown_webhook", "tampered"])
def test_bad_signatures_are_refused_and_nothing_stored(app: Flask, store_key: str,
                                                        case: str) -> None:
    if case == "wrong_secret":
        response = _deliver(app, store_key, ORDER, secret="guess")
    elif case == "unknown_webhook":
        response = _deliver(app, store_key, ORDER, webhook_id="13")
    else:
        signature = hmac_sha256_base64(WEBHOOK_SECRET.encode(), ORDER)
        response = _deliver(app, store_key, ORDER.replace(b"29.90", b"0.01"), signature=signature)
    assert response.status_code == 401
    assert _events(app) == []


def test_an_unknown_store_key_is_404(app: Flask, store_key: str) -> None:
    assert _deliver(app, "not-a-store", ORDER).status_code == 404


def test_the_form_encoded_ping_is_answered_and_not_stored(app: Flask, store_key: str) -> None:
    response = app.test_client().post(
        f"/webhooks/woocommerce/{store_key}", data=b"webhook_id=12",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert _events(app) == []


def test_companion_plugin_events_are_signed_with_the_connection_secret(app: Flask,
                                                                       store_key: str) -> None:
    cart = (b'{"cart_token":"c1","phone":"+351912345678",'
            b'"restore_url":"https:\\/\\/shop.example.com\\/cart"}')
    client = app.test_client()

    def post(body: bytes, secret: str = CONNECTION_SECRET, topic: str = "cart.updated") -> Any:
        return client.post(f"/webhooks/woocommerce/{store_key}", data=body, headers={
            "X-StoreChat-Topic": topic, "Content-Type": "application/json",
            "X-StoreChat-Hmac-Sha256": hmac_sha256_base64(secret.encode(), body)})

    assert post(cart).status_code == 200
    assert post(cart, secret=WEBHOOK_SECRET).status_code == 401
    assert post(cart, topic="order.created").status_code == 400
    [event] = _events(app)
    assert event.topic == "cart.updated"


def _order(status: str, modified: str) -> bytes:
    return ORDER.replace(b'"status":"processing"', f'"status":"{status}"'.encode()).replace(
        b"2026-11-20T10:00:00", modified.encode())


def test_order_states_become_real_changes_once(app: Flask, store_key: str) -> None:
    from plugin.models import Message, Order
    from plugin.platforms.starters import install_starters

    with app.app_context(), db.transaction() as session:
        install_starters(session, session.scalars(select(Store)).one())

    deliveries = [("order.created", _order("on-hold", "2026-11-20T10:00:00")),
                  ("order.updated", _order("on-hold", "2026-11-20T10:05:00")),  # a note added
                  ("order.updated", _order("processing", "2026-11-20T11:00:00")),
                  ("order.updated", _order("completed", "2026-11-21T09:00:00"))]
    for number, (topic, body) in enumerate(deliveries):
        assert _deliver(app, store_key, body, topic=topic, delivery=str(number)).status_code == 200
    assert [e.state for e in _events(app)] == ["processed"] * 4
    with app.app_context():
        order = db.session().scalars(select(Order)).one()
        steps = [m.step for m in db.session().scalars(select(Message).order_by(Message.id))]
    assert (order.status, order.payment_gateway, order.total) == ("completed", "cod", "29.90")
    # The note-only update sent nothing; each real change with a journey sent one message
    # (a COD order is asked to confirm; "processing" is a payment, which has no message).
    assert steps == ["cod_confirmation", "order_shipped"]


def test_a_checkout_draft_is_not_an_order_placed(app: Flask, store_key: str) -> None:
    from adapters.woocommerce.webhooks import parse_event
    from plugin.domain.events import EventKind

    event = parse_event("order.created", _order("checkout-draft", "2026-11-20T10:00:00"))
    assert event.kind is EventKind.ORDER_UPDATED


def test_a_webhook_created_after_its_store_was_cached_verifies(app: Flask, store_key: str) -> None:
    assert _deliver(app, store_key, ORDER).status_code == 200  # the store is now cached
    with app.app_context(), db.transaction() as session:
        store = session.scalars(select(Store)).one()
        set_credentials(store, {"webhooks": {WEBHOOK_ID: WEBHOOK_SECRET, "13": "new-secret"},
                                "connection_secret": CONNECTION_SECRET})
    body = ORDER.replace(b"727", b"728")
    assert _deliver(app, store_key, body, webhook_id="13", secret="new-secret").status_code == 200
