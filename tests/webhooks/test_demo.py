"""The receive path: verify, store, enqueue, answer; and every way a request can be bad."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from plugin.infra import db
from plugin.models import InboundEvent, Message
from tests.conftest import DemoPlatform, make_app, order_payload


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


def test_a_signed_delivery_is_stored_processed_and_answered(app: Flask,
                                                            demo: DemoPlatform) -> None:
    response = demo.post("orders/create", order_payload())
    assert response.status_code == 200
    assert response.json == {"ok": True, "duplicate": False}
    with app.app_context():
        event = db.session().scalars(select(InboundEvent)).one()
        assert event.state == "processed"
        assert json.loads(event.body)["id"] == "o-1"
        message = db.session().scalars(select(Message)).one()
        assert message.state == "sent"


def test_a_redelivery_is_answered_200_and_stores_nothing(app: Flask, demo: DemoPlatform) -> None:
    first = demo.post("orders/create", order_payload(), event_id="evt-1")
    again = demo.post("orders/create", order_payload(), event_id="evt-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json["duplicate"] is True
    assert _count(app, InboundEvent) == 1
    assert _count(app, Message) == 1


def test_without_an_event_id_the_body_hash_dedupes(app: Flask, demo: DemoPlatform) -> None:
    body = json.dumps(order_payload()).encode()
    for _ in range(2):
        headers = {"X-StoreChat-Topic": "orders/create",
                   "X-StoreChat-Hmac-Sha256": _sign(demo, body)}
        assert demo.client.post(f"/webhooks/demo/{demo.key}", data=body,
                                headers=headers).status_code == 200
    assert _count(app, InboundEvent) == 1


def _sign(demo: DemoPlatform, body: bytes) -> str:
    from webhooks.signatures import hmac_sha256_base64

    return hmac_sha256_base64(demo.secret, body)


def test_a_wrong_or_missing_signature_is_401_and_not_stored(app: Flask,
                                                            demo: DemoPlatform) -> None:
    assert demo.post("orders/create", order_payload(), signature="bm9wZQ==").status_code == 401
    assert demo.post("orders/create", order_payload(), signature="").status_code == 401
    assert _count(app, InboundEvent) == 0


def test_a_body_over_the_cap_is_413_and_not_stored(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", max_body_bytes=2048)
    demo = DemoPlatform(app, app.test_client())
    big = order_payload(note="x" * 4096)
    response = demo.post("orders/create", big)
    assert response.status_code == 413
    assert _count(app, InboundEvent) == 0


def test_malformed_json_is_400_and_not_stored(app: Flask, demo: DemoPlatform) -> None:
    assert demo.post("orders/create", None, body=b'{"id": 1,').status_code == 400
    assert demo.post("orders/create", None, body=b"[1, 2]").status_code == 400
    assert demo.post("orders/create", None, body=b"\xff\xfe").status_code == 400
    assert _count(app, InboundEvent) == 0


def test_a_missing_topic_is_400(app: Flask, demo: DemoPlatform) -> None:
    assert demo.post("", order_payload()).status_code == 400
    assert _count(app, InboundEvent) == 0


def test_unknown_paths_and_stores_are_404(app: Flask, demo: DemoPlatform) -> None:
    assert demo.client.post("/webhooks/nowhere", data=b"{}").status_code == 404
    assert demo.client.post("/webhooks/demo/not-a-store", data=b"{}",
                            headers={"X-StoreChat-Topic": "orders/create"}).status_code == 404
    assert demo.client.get("/no/such/page").status_code == 404


def test_an_unknown_topic_is_stored_and_ignored(app: Flask, demo: DemoPlatform) -> None:
    assert demo.post("products/update", {"id": 7}).status_code == 200
    with app.app_context():
        event = db.session().scalars(select(InboundEvent)).one()
        assert event.state == "ignored"
    assert _count(app, Message) == 0


def test_a_stopped_database_answers_503_never_200(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    app = make_app(instance)
    demo = DemoPlatform(app, app.test_client())
    # Stop the database: move its files away and drop pooled connections.
    shutil.move(str(instance), str(tmp_path / "gone"))
    app.extensions["storechat.engine"].dispose()
    response = demo.post("orders/create", order_payload())
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert demo.client.get("/healthz").status_code == 503
    shutil.move(str(tmp_path / "gone"), str(instance))
    assert _count(app, InboundEvent) == 0
    assert demo.client.get("/healthz").status_code == 200


def test_an_unreachable_postgresql_answers_503(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", migrate_db=False,
                   database_url="postgresql+psycopg://nobody:x@127.0.0.1:1/none")
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    response = client.post("/webhooks/demo/anything", data=b"{}",
                           headers={"X-StoreChat-Topic": "orders/create"})
    assert response.status_code == 503


def test_healthz_answers_200_when_the_database_does(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


# What an HTTP header line can carry (no control characters: they cannot be sent).
HEADER_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300), topic=st.text(HEADER_CHARS, max_size=40),
       signature=st.one_of(st.none(), st.text(HEADER_CHARS, max_size=60)), sign=st.booleans())
def test_nothing_a_client_sends_raises_a_500(app: Flask, demo: DemoPlatform, body: bytes,
                                             topic: str, signature: str | None,
                                             sign: bool) -> None:
    headers = {"X-StoreChat-Topic": topic}
    if sign:
        headers["X-StoreChat-Hmac-Sha256"] = _sign(demo, body)
    elif signature is not None:
        headers["X-StoreChat-Hmac-Sha256"] = signature
    response = demo.client.post(f"/webhooks/demo/{demo.key}", data=body, headers=headers)
    assert response.status_code in (200, 400, 401)
