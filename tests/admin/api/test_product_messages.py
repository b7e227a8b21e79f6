"""POST /api/v1/customers/{customer_id}/product-messages: the message it
writes (sent by the demo store's sandbox), the refusals in plain words, idempotency, and
that another store's ids and a read token change nothing."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugin.infra import db
from plugin.models import Message
from tests.admin.api.world import ApiWorld, call


def _url(world: ApiWorld, store: str = "a") -> str:
    ids = world.ids_a if store == "a" else world.ids_b
    return f"/api/v1/customers/{ids['customer_id']}/product-messages"


def _count(app: Flask) -> int:
    with app.app_context():
        return int(db.session().scalar(select(func.count(Message.id)).where(
            Message.step == "product_message")) or 0)


def _post(client: FlaskClient, world: ApiWorld, body: dict[str, Any], token: str = "",
          url: str = "") -> Any:
    return call(client, "POST", url or _url(world), token or world.write_a, body)


def test_a_product_message_is_written_and_sent(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    answer = _post(client, world, {"retailer_ids": ["shirt-1"], "body": "Your shirt",
                                   "footer": "Demo"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    message = answer.json
    assert (message["step"], message["state"], message["template"], message["text"]) == (
        "product_message", "sent", "interactive", "Your shirt")
    assert message["customer_id"] == world.ids_a["customer_id"]
    with app.app_context():
        row = db.session().get(Message, message["id"])
        assert row.payload["interactive"]["action"] == {
            "catalog_id": "cat-Alice", "product_retailer_id": "shirt-1"}
        assert row.transport == "sandbox"


def test_refusals_are_422_in_plain_words(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    too_many = _post(client, world, {"retailer_ids": [f"shirt-{n}" for n in range(31)],
                                     "header": "All", "body": "Everything"})
    assert too_many.status_code == 422
    assert too_many.json["code"] == "validation_failed"
    assert too_many.json["detail"] == ("A product message offers at most 30 products; "
                                       "31 were given.")
    assert too_many.json["errors"] == [{"field": "retailer_ids", "location": "body",
                                        "message": too_many.json["detail"]}]
    sections = [{"title": f"Part {n}", "retailer_ids": ["shirt-1"]} for n in range(11)]
    eleven = _post(client, world, {"sections": sections, "header": "x", "body": "x"})
    assert eleven.status_code == 422
    assert eleven.json["errors"][0]["field"] == "sections"
    assert "at most 10 sections; 11 were given" in eleven.json["detail"]
    unknown = _post(client, world, {"retailer_ids": ["shirt-1", "hat-9"], "header": "x",
                                    "body": "x"})
    assert unknown.status_code == 422
    assert unknown.json["detail"] == ("These products cannot be offered: hat-9 (not in this "
                                      "store's catalog).")
    neither = _post(client, world, {"body": "x"})
    assert neither.status_code == 422
    assert "give retailer_ids or sections" in neither.json["errors"][0]["message"]
    assert _count(app) == 0


def test_the_same_idempotency_key_sends_once(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    body = {"retailer_ids": ["shirt-1"], "idempotency_key": "campaign-7:alice"}
    first = _post(client, world, body)
    again = _post(client, world, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"] and _count(app) == 1


def test_another_stores_path_and_a_read_token_change_nothing(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    body = {"retailer_ids": ["shirt-1"]}
    theirs = _post(client, world, body, url=_url(world, "b"))
    assert theirs.status_code == 404 and theirs.json["code"] == "not_found"
    read_only = _post(client, world, body, token=world.read_a)
    assert read_only.status_code == 403 and read_only.json["code"] == "forbidden_scope"
    assert _count(app) == 0
