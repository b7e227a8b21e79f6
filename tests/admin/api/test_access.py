"""Who may call /api/v1 and how often; every error is a problem with a stable code."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from plugin.infra import db
from plugin.models import Store
from tests.admin.api.world import ApiWorld, call
from tests.conftest import csrf_token, make_app, sign_in


def _problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert problem["code"] == code and problem["status"] == status
    assert problem["type"].endswith(f"/api/v1/problems#{code}")
    return problem  # type: ignore[no-any-return]


def test_the_rate_limit_is_per_token_and_says_when_to_retry(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", api_rate_limit_per_minute=3)
    world = ApiWorld(app)
    client = app.test_client()
    statuses = [call(client, "GET", "/api/v1/orders", world.write_a).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = call(client, "GET", "/api/v1/store", world.write_a)
    _problem(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Another token of the same store counts on its own.
    assert call(client, "GET", "/api/v1/orders", world.read_a).status_code == 200
    # Public operations are not counted.
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_errors_flask_raises_under_the_prefix_are_problems(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", max_body_bytes=2048)
    world = ApiWorld(app)
    client = app.test_client()
    automation = f"/api/v1/automations/{world.ids_a['automation_id']}"
    _problem(call(client, "GET", "/api/v1/no-such-thing", world.write_a), 404, "not_found")
    _problem(client.get("/api/v1"), 404, "not_found")
    wrong = _problem(call(client, "DELETE", "/api/v1/orders", world.write_a), 405,
                     "method_not_allowed")
    assert wrong["status"] == 405
    assert "GET" in call(client, "DELETE", "/api/v1/orders").headers["Allow"]
    headers = {"Authorization": f"Bearer {world.write_a}"}
    big = client.patch(automation, headers=headers, content_type="application/json",
                       data=b'{"enabled": true, "pad": "' + b"x" * 4096 + b'"}')
    _problem(big, 413, "payload_too_large")
    _problem(client.patch(automation, headers=headers, data="enabled=1",
                          content_type="application/x-www-form-urlencoded"),
             415, "unsupported_media_type")
    _problem(client.patch(automation, headers=headers, data="{not json",
                          content_type="application/json"), 400, "malformed_json")
    deep = client.patch(automation, headers=headers, content_type="application/json",
                        data=b"[" * 1000 + b"]" * 1000)
    _problem(deep, 400, "malformed_json")
    deeper = client.patch(automation, headers=headers, content_type="application/json",
                          data=b"[" * 1800)
    _problem(deeper, 400, "malformed_json")
    # Pages of the admin outside the prefix keep their own error pages.
    assert client.get("/no-such-page").mimetype == "text/html"


def test_the_problem_list_explains_every_code(client: FlaskClient) -> None:
    listed = client.get("/api/v1/problems").json["problems"]
    codes = {p["code"]: p for p in listed}
    assert {"unauthorized", "token_revoked", "forbidden_scope", "not_found",
            "validation_failed", "rate_limited"} <= set(codes)
    assert codes["forbidden_scope"]["status"] == 403
    assert all(p["description"] for p in listed)


def test_a_signed_in_owner_uses_the_api_with_their_session(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    assert sign_in(client, "a@example.com").status_code == 302
    orders = client.get("/api/v1/orders").json["data"]
    assert [o["number"] for o in orders] == ["1001"]
    automation = f"/api/v1/automations/{world.ids_a['automation_id']}"
    _problem(client.patch(automation, json={"enabled": False}), 400, "csrf_failed")
    token = csrf_token(client, "/")
    changed = client.patch(automation, json={"enabled": False},
                           headers={"X-CSRFToken": token})
    assert changed.status_code == 200 and changed.json["enabled"] is False
    # Another owner's store, named or through its ids, is not found.
    _problem(client.get(f"/api/v1/orders?store={world.store_b}"), 404, "not_found")
    _problem(client.get(f"/api/v1/orders/{world.ids_b['order_id']}"), 404, "not_found")


def test_an_owner_of_several_stores_names_the_store(app: Flask) -> None:
    world = ApiWorld(app)
    with app.app_context():
        with db.transaction() as session:
            owner = session.get(Store, world.store_a).owner_id
            second = Store(platform="woocommerce", domain="second.example", name="Second",
                           owner_id=owner)
            session.add(second)
            session.flush()
            second_id = second.id
    client = app.test_client()
    sign_in(client, "a@example.com")
    _problem(client.get("/api/v1/orders"), 400, "store_required")
    assert client.get(f"/api/v1/orders?store={world.store_a}").json["data"]
    assert client.get(f"/api/v1/orders?store={second_id}").json["data"] == []
    stores = client.get("/api/v1/stores").json["data"]
    assert [s["id"] for s in stores] == [world.store_a, second_id]
    # A token is one store's, whatever the query says.
    stores = call(client, "GET", "/api/v1/stores", world.write_a).json["data"]
    assert [s["id"] for s in stores] == [world.store_a]


def test_an_owner_without_a_store_is_told_so(app: Flask) -> None:
    from tests.conftest import create_owner

    create_owner(app, "new@example.com")
    client = app.test_client()
    sign_in(client, "new@example.com")
    _problem(client.get("/api/v1/store"), 404, "not_found")
    assert client.get("/api/v1/stores").json == {"data": []}


def test_answers_are_not_cached(app: Flask) -> None:
    world = ApiWorld(app)
    response = call(app.test_client(), "GET", "/api/v1/customers", world.read_a)
    assert response.headers["Cache-Control"] == "private, no-store"



def test_inside_shopify_the_app_bridge_token_works_and_a_bad_one_is_a_problem(
        tmp_path: Path) -> None:
    from tests.auth.test_tenancy import API_KEY, API_SECRET, _id_token, _shop_store

    app = make_app(tmp_path / "instance", shopify_api_key=API_KEY,
                   shopify_api_secret=API_SECRET)
    _shop_store(app, "shop-a", "5001")
    client = app.test_client()
    good = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {_id_token('shop-a')}"})
    assert [o["number"] for o in good.json["data"]] == ["5001"]
    stale = client.get("/api/v1/orders", headers={
        "Authorization": f"Bearer {_id_token('shop-a', expires_in=-60)}"})
    _problem(stale, 401, "unauthorized")
    assert stale.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    stranger = client.get("/api/v1/store", headers={
        "Authorization": f"Bearer {_id_token('shop-z')}"})
    _problem(stranger, 403, "forbidden")
    assert "5001" not in stranger.get_data(as_text=True)


def test_a_database_failure_is_a_503_problem_to_retry(app: Flask) -> None:
    world = ApiWorld(app)
    with app.app_context(), db.engine().begin() as connection:
        connection.exec_driver_sql("DROP TABLE data_exports")  # as if the database failed
    response = call(app.test_client(), "GET", "/api/v1/exports", world.read_a)
    _problem(response, 503, "unavailable")
    assert response.headers["Retry-After"] == "5"
