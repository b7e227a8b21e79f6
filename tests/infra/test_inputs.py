"""A NUL character in a form, a query or a JSON body is a 400 for every route (PostgreSQL
cannot store it: it was a 500 there), while webhook bodies are still taken as sent."""
from __future__ import annotations

import io
import json

from flask import Flask
from flask.testing import FlaskClient

from tests.admin.api.world import ApiWorld, call
from tests.conftest import DemoPlatform, csrf_token, order_payload


def test_a_nul_in_a_form_or_a_query_is_a_400(client: FlaskClient) -> None:
    token = csrf_token(client)
    refused = client.post("/signin", data={"email": "a\x00@example.com", "password": "x",
                                           "csrf_token": token})
    assert refused.status_code == 400
    assert "NUL" in refused.get_data(as_text=True)
    assert client.get("/signin?next=%00").status_code == 400
    assert client.get("/signin?next=/").status_code == 200


def test_the_api_answers_a_nul_in_a_json_body_with_a_problem(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    url = f"/api/v1/customers/{world.ids_a['customer_id']}/consent"
    refused = call(client, "POST", url, world.write_a, {"granted": True, "text": "a\x00b"})
    assert refused.status_code == 400
    assert refused.mimetype == "application/problem+json"
    accepted = call(client, "POST", url, world.write_a, {"granted": True, "text": "a b"})
    assert accepted.status_code == 201


def test_webhook_bodies_are_still_taken_as_sent(demo: DemoPlatform) -> None:
    body = json.dumps(order_payload("nul-1", note="a\x00b")).encode()
    assert b"\\u0000" in body
    assert demo.post("orders/create", None, body=body).status_code == 200


def test_a_multipart_file_may_hold_nuls_but_its_fields_may_not(client: FlaskClient) -> None:
    token = csrf_token(client)
    # Any route will do: the check runs before it, and a file's bytes are its own.
    with_file = client.post("/signin", data={
        "email": "a@example.com", "password": "x", "csrf_token": token,
        "photo": (io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00"), "a.png")})
    assert with_file.status_code != 400 or "NUL" not in with_file.get_data(as_text=True)
    in_field = client.post("/signin", data={
        "email": "a\x00@example.com", "password": "x", "csrf_token": token,
        "photo": (io.BytesIO(b"ok"), "a.png")})
    assert in_field.status_code == 400 and "NUL" in in_field.get_data(as_text=True)
    in_name = client.post("/signin", data={
        "email": "a@example.com", "password": "x", "csrf_token": token,
        "photo": (io.BytesIO(b"ok"), "a\x00.png")})
    assert in_name.status_code == 400 and "NUL" in in_name.get_data(as_text=True)
