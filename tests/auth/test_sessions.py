"""Sessions: anonymous visitors leave no row; a row exists only for a signed-in owner."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from plugin.auth.sessions import COOKIE_NAME
from plugin.infra import db
from plugin.models import WebSession
from plugin.pipeline.sweep import sweep
from tests.conftest import PASSWORD, create_owner, csrf_token, sign_in


def _rows(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(WebSession)) or 0


def test_a_hundred_anonymous_signin_pages_store_no_session(app: Flask) -> None:
    for _ in range(100):
        visitor = app.test_client()  # no cookie, as a crawler or an attacker would come
        assert visitor.get("/signin").status_code == 200
    one = app.test_client()
    for _ in range(3):
        csrf_token(one, "/signin")
        csrf_token(one, "/reset")
    assert _rows(app) == 0


def test_sign_in_works_with_the_anonymous_token_and_stores_one_row(
        app: Flask, client: FlaskClient) -> None:
    create_owner(app, "a@example.com")
    assert sign_in(client, "a@example.com").status_code == 302
    assert client.get("/").status_code == 200
    assert _rows(app) == 1


def test_a_sign_in_post_without_a_valid_token_is_refused(app: Flask) -> None:
    create_owner(app, "a@example.com")
    form = {"email": "a@example.com", "password": PASSWORD}
    attacker, victim = app.test_client(), app.test_client()
    assert victim.post("/signin", data=form).status_code == 400
    assert victim.post("/signin", data={**form, "csrf_token": "forged"}).status_code == 400
    # A token is bound to the visitor it was given to: an attacker's own token, posted from
    # the victim's browser (login CSRF), is refused.
    stolen = csrf_token(attacker)
    csrf_token(victim)
    assert victim.post("/signin", data={**form, "csrf_token": stolen}).status_code == 400
    # A tampered visitor cookie is worth nothing.
    cookie = victim.get_cookie(COOKIE_NAME)
    assert cookie is not None
    victim.set_cookie(COOKIE_NAME, cookie.value[:-3] + "AAA")
    assert victim.post("/signin", data={**form, "csrf_token": stolen}).status_code == 400
    assert _rows(app) == 0
    assert victim.get("/").status_code == 302


def test_a_signed_out_owner_is_told_so_and_leaves_no_row(app: Flask,
                                                          client: FlaskClient) -> None:
    create_owner(app, "a@example.com")
    sign_in(client, "a@example.com")
    response = client.post("/signout", data={"csrf_token": csrf_token(client, "/")},
                           follow_redirects=True)
    assert "You are signed out." in response.get_data(as_text=True)
    assert _rows(app) == 0
    assert sign_in(client, "a@example.com").status_code == 302  # and can sign in again


def test_expired_sessions_are_purged_and_stop_working(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "a@example.com")
    sign_in(client, "a@example.com")
    other = app.test_client()
    sign_in(other, "a@example.com")
    with app.app_context(), db.transaction() as tx:
        first = tx.scalars(select(WebSession.id).order_by(WebSession.id)).first()
        tx.execute(update(WebSession).where(WebSession.id == first)
                   .values(expires_at=db.utcnow() - timedelta(seconds=1)))
    with app.app_context():
        sweep()
    assert _rows(app) == 1
    assert client.get("/").status_code == 302
    assert other.get("/").status_code == 200
