"""Settings → API tokens: the store's owner makes, sees once and revokes tokens; nobody else."""
from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select, text

from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import ApiToken
from tests.conftest import create_owner, csrf_token, sign_in

TOKEN = re.compile(r"sc_live_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}")


def _owner_store(app: Flask, email: str) -> int:
    owner = create_owner(app, email)
    with app.app_context(), db.transaction() as session:
        return demo_store.get_or_create(session, owner).id


def test_a_token_is_shown_once_and_works_until_revoked(app: Flask) -> None:
    store_id = _owner_store(app, "owner@example.com")
    client = app.test_client()
    sign_in(client, "owner@example.com")
    page = f"/stores/{store_id}/settings/api-tokens"
    csrf = csrf_token(client, page)
    made = client.post(page, data={"csrf_token": csrf, "name": "Warehouse sync",
                                   "scope": "write"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    token = TOKEN.search(made.get_data(as_text=True)).group(0)
    again = client.get(page).get_data(as_text=True)
    assert "Warehouse sync" in again and token not in again
    assert token[:20] in again  # recognisable by its visible part
    with app.app_context():  # nowhere at rest: not in the token row, not in the session
        dump = " ".join(str(r) for table in ("api_tokens", "web_sessions")
                        for r in db.session().execute(text(f"SELECT * FROM {table}")))
        assert token not in dump
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/store", headers=headers).json["id"] == store_id
    with app.app_context():
        token_id = db.session().scalars(select(ApiToken.id)).one()
    revoked = client.post(f"{page}/{token_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert client.get("/api/v1/store", headers=headers).json["code"] == "token_revoked"
    assert "revoked" in client.get(page).get_data(as_text=True)


def test_a_token_without_a_name_or_scope_is_not_made(app: Flask) -> None:
    store_id = _owner_store(app, "owner@example.com")
    client = app.test_client()
    sign_in(client, "owner@example.com")
    page = f"/stores/{store_id}/settings/api-tokens"
    csrf = csrf_token(client, page)
    for data in ({"name": " ", "scope": "read"}, {"name": "x", "scope": "admin"}):
        response = client.post(page, data={"csrf_token": csrf, **data})
        assert response.status_code == 400
        assert 'id="token-error"' in response.get_data(as_text=True)
    assert client.post(page, data={"name": "x", "scope": "read"}).status_code == 400  # CSRF
    with app.app_context():
        assert db.session().scalars(select(ApiToken)).all() == []


def test_another_owner_can_neither_see_nor_revoke_a_token(app: Flask) -> None:
    store_a = _owner_store(app, "a@example.com")
    store_b = _owner_store(app, "b@example.com")
    owner_b = app.test_client()
    sign_in(owner_b, "b@example.com")
    page_b = f"/stores/{store_b}/settings/api-tokens"
    csrf = csrf_token(owner_b, page_b)
    owner_b.post(page_b, data={"csrf_token": csrf, "name": "B's sync", "scope": "read"})
    with app.app_context():
        token_id = db.session().scalars(select(ApiToken.id)).one()
    owner_a = app.test_client()
    sign_in(owner_a, "a@example.com")
    csrf_a = csrf_token(owner_a, f"/stores/{store_a}/settings/api-tokens")
    assert owner_a.get(page_b).status_code == 404
    for path in (f"{page_b}/{token_id}/revoke",
                 f"/stores/{store_a}/settings/api-tokens/{token_id}/revoke"):
        assert owner_a.post(path, data={"csrf_token": csrf_a}).status_code == 404
    with app.app_context():
        assert db.session().scalars(select(ApiToken.revoked_at)).one() is None
    assert app.test_client().get(page_b).status_code == 302  # anonymous: to sign in
