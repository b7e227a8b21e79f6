"""Ids in URLs and query strings that no row can have are 404s (or a named 422), never a 500:
beyond a 64-bit integer the database itself refuses them, and '²' passes str.isdigit."""
from __future__ import annotations

from flask import Flask

from plugin.infra.ids import MAX_ROW_ID, parse_row_id
from tests.admin.api.world import ApiWorld, call
from tests.conftest import csrf_token, sign_in

HUGE = str(10**23)


def test_parse_row_id_takes_only_ascii_digits_within_the_range() -> None:
    assert parse_row_id("42") == 42
    assert parse_row_id(str(MAX_ROW_ID)) == MAX_ROW_ID
    for raw in (None, "", "0", "-1", "²", "١", "4 2", str(MAX_ROW_ID + 1), HUGE):
        assert parse_row_id(raw) is None, raw


def test_an_id_beyond_any_row_is_a_404_on_admin_pages(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    sign_in(client, "a@example.com")
    token = csrf_token(client, f"/stores/{world.store_a}/templates/new")
    for path in (f"/stores/{HUGE}/templates", f"/stores/{world.store_a}/templates/{HUGE}",
                 f"/stores/{HUGE}/settings/api-tokens", f"/api/exports/{HUGE}"):
        assert client.get(path).status_code == 404, path
    for path in (f"/stores/{world.store_a}/settings/api-tokens/{HUGE}/revoke",
                 f"/settings/owners/invites/{HUGE}/revoke", f"/demo/messages/{HUGE}/send-now",
                 f"/demo/orders/{HUGE}/pay"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path


def test_a_template_to_copy_named_oddly_opens_an_empty_editor(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    sign_in(client, "a@example.com")
    for source in ("%C2%B2", HUGE, "abc"):
        page = client.get(f"/stores/{world.store_a}/templates/new?from={source}")
        assert page.status_code == 200, source
        assert 'name="name"' in page.get_data(as_text=True)


def test_an_expiry_typed_in_other_digits_is_a_field_error(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    sign_in(client, "a@example.com")
    token = csrf_token(client, f"/stores/{world.store_a}/templates/new")
    answer = client.post(f"/stores/{world.store_a}/templates/check", data={
        "csrf_token": token, "name": "code", "language": "en",
        "category": "AUTHENTICATION", "code_expiry_minutes": "²"})
    assert answer.status_code == 200
    assert "code_expiry_minutes" in answer.json["errors"]


def test_the_api_answers_odd_ids_with_problems(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    missing = call(client, "GET", f"/api/v1/customers/{HUGE}", world.write_a)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert missing.json["code"] == "not_found"
    odd = call(client, "GET", "/api/v1/orders?store=%C2%B2", world.write_a)
    assert odd.status_code == 422 and odd.json["code"] == "validation_failed"
    beyond = call(client, "GET", f"/api/v1/orders?store={HUGE}", world.write_a)
    assert beyond.status_code == 404 and beyond.json["code"] == "not_found"
    # The token's own store by id still answers.
    mine = call(client, "GET", f"/api/v1/orders?store={world.store_a}", world.write_a)
    assert mine.status_code == 200


def test_ids_past_the_id_columns_range_never_reach_the_database(app: Flask) -> None:
    """PostgreSQL's INTEGER ends at 2**31 - 1: one more was 'integer out of range', a 500."""
    world = ApiWorld(app)
    client = app.test_client()
    past = str(MAX_ROW_ID + 1)
    assert parse_row_id(past) is None and MAX_ROW_ID == 2**31 - 1
    assert call(client, "GET", f"/api/v1/orders/{past}", world.write_a).status_code == 404
    wrong = call(client, "GET", f"/api/v1/messages?customer_id={past}", world.write_a)
    assert wrong.status_code == 422 and wrong.json["code"] == "validation_failed"
    # A cursor beyond every id bounds nothing: the first page.
    first = call(client, "GET", "/api/v1/messages", world.write_a).json
    for path in ("/api/v1/messages", "/api/v1/orders"):
        beyond = call(client, "GET", f"{path}?cursor={10**17}", world.write_a)
        assert beyond.status_code == 200 and beyond.json["data"], path
    assert call(client, "GET", f"/api/v1/messages?cursor={10**17}",
                world.write_a).json == first
