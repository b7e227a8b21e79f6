"""The OpenAPI document is valid OpenAPI 3.1, and every operation it lists is called here:
with a write token (answers as documented, bodies matching their schemas), a read token
(reads, never writes), a revoked token, no token, another store's ids, and bad input.

The operations come from the served document, so an operation added to the API is walked
the day it lands; one that takes a body must say here what a good and a bad body are.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from plugin.infra import db
from plugin.models import Automation, ConsentEntry
from tests.admin.api.world import ApiWorld, call

# A body each write operation accepts, and one it must refuse naming these fields.
# Operations that take a multipart file instead of a JSON body.
MULTIPART_OPERATIONS = {"sendConversationAttachment"}
GOOD_BODIES: dict[str, Any] = {
    "updateAutomation": {"enabled": False, "delay_seconds": 600},
    "recordConsent": {"purpose": "marketing", "granted": False, "text": "STOP, said on the phone"},
    "sendProductMessage": {"retailer_ids": ["shirt-1"], "body": "The shirt you asked about"},
    "startCatalogSync": {"kind": "reconcile"},
    "retryCatalogItems": {"all": True},
    "updateRecovery": {"enabled": True, "attribution_days": 14},
    "createSegment": {"name": "Lapsed regulars", "definition": {
        "match": "all", "tags_include": ["frequent"], "last_order_before_days": 60}},
    "updateSending": {"weekly_cap": 3, "quiet_start_hour": 22},
    "createCampaign": {"name": "Sale", "template": "back_in_stock", "language": "en",
                       "variables": [{"source": "field", "value": "first_name",
                                      "fallback": "there"},
                                     {"source": "text", "value": "our summer range"},
                                     {"source": "text", "value": "https://shop.example/sale"}]},
    "actOnCampaign": {"action": "cancel"},
    "sendConversationMessage": {"type": "text", "text": "Your parcel left this morning."},
    "assignConversation": {"assignee_id": None},
    "setConversationStatus": {"status": "resolved"},
    "saveQuickReply": {"shortcut": "thanks", "body": "Thank you, {{customer_name}}!"},
}
BAD_BODIES: dict[str, tuple[Any, set[str]]] = {
    "updateAutomation": ({"enabled": "yes", "delay_seconds": -1, "colour": "red"},
                         {"enabled", "delay_seconds", "colour"}),
    "recordConsent": ({"purpose": "spam", "granted": 1}, {"purpose", "granted", "text"}),
    "sendProductMessage": ({"retailer_ids": "shirt-1", "body": 5, "colour": "red"},
                           {"retailer_ids", "body", "colour"}),
    "startCatalogSync": ({"kind": "everything", "when": "now"}, {"kind", "when"}),
    "retryCatalogItems": ({"item_ids": ["7"], "all": "yes", "also": 1},
                          {"item_ids.0", "all", "also"}),
    "updateRecovery": ({"enabled": "on", "attribution_days": 31, "colour": "red"},
                       {"enabled", "attribution_days", "colour"}),
    "createSegment": ({"name": "", "definition": {"match": "some", "orders_min": "1"},
                       "colour": "red"},
                      {"name", "definition.match", "definition.orders_min", "colour"}),
    "updateSending": ({"weekly_cap": "2", "quiet_end_hour": 1.5, "colour": "red"},
                      {"weekly_cap", "quiet_end_hour", "colour"}),
    "createCampaign": ({"name": "", "template": "t", "language": "en", "segment_id": "1",
                        "colour": "red"}, {"name", "segment_id", "colour"}),
    "actOnCampaign": ({"action": "explode", "colour": "red"}, {"action", "colour"}),
    "sendConversationMessage": ({"type": "fax", "text": 5}, {"type", "text"}),
    "assignConversation": ({"assignee_id": "me"}, {"assignee_id"}),
    "setConversationStatus": ({"status": "gone", "colour": 1}, {"status", "colour"}),
    "saveQuickReply": ({"shortcut": "", "body": 1}, {"shortcut", "body"}),
}
PUBLIC = {"getOpenApi", "listProblems"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture
def world(app: Flask) -> ApiWorld:
    return ApiWorld(app)


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation the document lists."""
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def url(path: str, ids: dict[str, int]) -> str:
    return PLACEHOLDER.sub(lambda m: str(ids[m.group(1)]), path)


def check_documented(document: dict[str, Any], operation: dict[str, Any],
                     response: TestResponse) -> None:
    """The status is one the operation documents, and the body matches its schema."""
    status = str(response.status_code)
    assert status in operation["responses"], (operation["operationId"], status,
                                               response.get_data(as_text=True))
    content = operation["responses"][status].get("content")
    if not content:
        return
    media = "application/problem+json" if response.status_code >= 400 else "application/json"
    assert response.mimetype == media
    schema = dict(content[media]["schema"], components=document["components"])
    OAS31Validator(schema).validate(response.json)


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "sc_live_…",
        "description": "A store's API token from Settings → API tokens."}
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids)) >= 18
    for _method, _path, operation in operations(document):
        if operation["operationId"] not in PUBLIC:
            assert "security" not in operation  # the document's own: bearer
            assert operation["responses"]["401"]["content"]["application/problem+json"]
            assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_a_write_token_gets_every_operation_as_documented(
        client: FlaskClient, world: ApiWorld, document: dict[str, Any]) -> None:
    called = set()
    for method, path, operation in operations(document):
        op_id = operation["operationId"]
        if op_id in MULTIPART_OPERATIONS:
            # A file goes out only through a connected WhatsApp number (the demo store has
            # the sandbox): here the documented refusal; the 201 in test_inbox_sends.
            response = client.post(url(path, world.ids_a), data={"file": (
                io.BytesIO(b"%PDF-1.4"), "a.pdf", "application/pdf")},
                headers={"Authorization": f"Bearer {world.write_a}"},
                content_type="multipart/form-data")
            assert response.status_code == 422, (op_id, response.get_data(as_text=True))
            check_documented(document, operation, response)
            called.add(op_id)
            continue
        body = GOOD_BODIES.get(op_id) if "requestBody" in operation else None
        assert ("requestBody" in operation) == (body is not None), f"give {op_id} a body"
        response = call(client, method, url(path, world.ids_a), world.write_a, body)
        assert 200 <= response.status_code < 300, (op_id, response.get_data(as_text=True))
        check_documented(document, operation, response)
        for marker in world.markers():
            assert marker not in response.get_data(as_text=True), (op_id, marker)
        called.add(op_id)
    assert called == {op["operationId"] for _, _, op in operations(document)}
    with world.app.app_context():
        automation = db.session().get(Automation, world.ids_a["automation_id"])
        assert (automation.enabled, automation.delay_seconds) == (False, 600)


def test_a_read_token_reads_everything_and_changes_nothing(
        client: FlaskClient, world: ApiWorld, document: dict[str, Any]) -> None:
    writes = 0
    for method, path, operation in operations(document):
        body = GOOD_BODIES.get(operation["operationId"])
        response = call(client, method, url(path, world.ids_a), world.read_a, body)
        check_documented(document, operation, response)
        if method == "GET":
            assert response.status_code == 200, operation["operationId"]
        else:
            assert response.status_code == 403
            assert response.json["code"] == "forbidden_scope"
            writes += 1
    assert writes == len(GOOD_BODIES) + len(MULTIPART_OPERATIONS)
    with world.app.app_context():
        automation = db.session().get(Automation, world.ids_a["automation_id"])
        assert (automation.enabled, automation.delay_seconds) == (True, 0)
        assert db.session().scalar(select(func.count(ConsentEntry.id)).where(
            ConsentEntry.source == "api")) == 0


@pytest.mark.parametrize("who", ["revoked", "none", "unknown", "tampered"])
def test_without_a_live_token_every_operation_but_the_public_ones_is_refused(
        client: FlaskClient, world: ApiWorld, document: dict[str, Any], who: str) -> None:
    token = {"revoked": world.revoked_a, "none": None,
             "unknown": "sc_live_0123456789ab_" + "x" * 43,
             "tampered": world.write_a[:-4] + "AAAA"}[who]
    for method, path, operation in operations(document):
        body = GOOD_BODIES.get(operation["operationId"])
        response = call(client, method, url(path, world.ids_a), token, body)
        check_documented(document, operation, response)
        if operation["operationId"] in PUBLIC:
            assert response.status_code == 200
            continue
        assert response.status_code == 401, (operation["operationId"], who)
        assert response.json["code"] == ("token_revoked" if who == "revoked"
                                          else "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_another_stores_ids_are_not_found(client: FlaskClient, world: ApiWorld,
                                          document: dict[str, Any]) -> None:
    checked = 0
    for method, path, operation in operations(document):
        if operation["operationId"] in PUBLIC or operation["operationId"] == "listStores":
            continue
        body = GOOD_BODIES.get(operation["operationId"])
        # B's ids in the path, and B's store named in the query: both are A's token's 404.
        target = url(path, world.ids_b) if "{" in path else f"{path}?store={world.store_b}"
        response = call(client, method, target, world.write_a, body)
        assert response.status_code == 404, (operation["operationId"], response.status_code)
        assert response.json["code"] == "not_found"
        check_documented(document, operation, response)
        for marker in world.markers():
            assert marker not in response.get_data(as_text=True)
        checked += 1
    assert checked >= 15
    with world.app.app_context():
        automation = db.session().get(Automation, world.ids_b["automation_id"])
        assert (automation.enabled, automation.delay_seconds) == (True, 0)


def test_bad_input_is_a_problem_naming_each_field(client: FlaskClient, world: ApiWorld,
                                                  document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        op_id = operation["operationId"]
        queries = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        cases: list[tuple[str, Any, set[tuple[str, str]]]] = []
        if "limit" in queries:
            cases.append(("?limit=0&cursor=abc", None, {("limit", "query"),
                                                        ("cursor", "query")}))
        if "store" in queries:
            cases.append(("?store=first", None, {("store", "query")}))
        if op_id in BAD_BODIES:
            bad, fields = BAD_BODIES[op_id]
            cases.append(("", bad, {(f, "body") for f in fields}))
        for query, body, expected in cases:
            response = call(client, method, url(path, world.ids_a) + query, world.write_a,
                            body)
            assert response.status_code == 422, (op_id, query, body)
            assert response.json["code"] == "validation_failed"
            named = {(e["field"], e["location"]) for e in response.json["errors"]}
            assert named == expected, op_id
            check_documented(document, operation, response)
