"""Owner accounts: first run, sign-in, sessions, CSRF, throttling, reset, WordPress links."""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from plugin.auth import accounts, wordpress
from plugin.auth.sessions import COOKIE_NAME
from plugin.infra import db
from plugin.models import Owner, Store, WebSession
from plugin.platforms.stores import set_credentials
from tests.conftest import PASSWORD, create_owner, csrf_token, make_app, sign_in


def _cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(COOKIE_NAME)
    return cookie.value if cookie else None


def _setup_link(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["owners", "setup-link"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_first_run_setup_link_creates_the_owner_once(app: Flask, client: FlaskClient) -> None:
    assert "no owner account yet" in client.get("/signin").get_data(as_text=True)
    link = _setup_link(app)
    token = link.split("token=")[1]
    page = client.get(f"/setup?token={token}")
    assert page.status_code == 200
    response = client.post("/setup", data={
        "token": token, "email": " Owner@Example.com ", "password": PASSWORD,
        "confirm": PASSWORD, "csrf_token": csrf_token(client, f"/setup?token={token}")})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # signed in
    with app.app_context():
        owner = db.session().scalars(select(Owner)).one()
        assert owner.email == "owner@example.com"
        assert PASSWORD not in owner.password_hash
        assert owner.password_hash.startswith("scrypt:")
    # The link is spent, and no second "first owner" can be made.
    assert client.get(f"/setup?token={token}").status_code == 302
    assert app.test_cli_runner().invoke(args=["owners", "setup-link"]).exit_code != 0


def test_a_forged_or_missing_setup_token_is_refused(client: FlaskClient) -> None:
    assert client.get("/setup?token=forged").status_code == 404
    assert client.get("/setup").status_code == 404


def test_setup_rejects_a_short_password(app: Flask, client: FlaskClient) -> None:
    token = _setup_link(app).split("token=")[1]
    response = client.post("/setup", data={
        "token": token, "email": "a@example.com", "password": "short", "confirm": "short",
        "csrf_token": csrf_token(client, f"/setup?token={token}")})
    assert response.status_code == 400
    assert "at least 10" in response.get_data(as_text=True)


def test_sign_in_rotates_the_session_and_sign_out_kills_it(app: Flask,
                                                           client: FlaskClient) -> None:
    create_owner(app, "a@example.com")
    before = csrf_token(client) and _cookie(client)
    assert before  # an anonymous session exists (it holds the CSRF token)
    assert sign_in(client, "a@example.com").status_code == 302
    after = _cookie(client)
    assert after and after != before
    with app.app_context():
        stored = db.session().scalars(select(WebSession.token_hash)).all()
    assert after not in stored  # only its hash is kept
    assert client.get("/").status_code == 200
    client.post("/signout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/").status_code == 302
    # A copy of the old cookie is dead too.
    client.set_cookie(COOKIE_NAME, after)
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_email_look_the_same(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "a@example.com")
    wrong = sign_in(client, "a@example.com", "not the password")
    unknown = sign_in(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match" in wrong.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "a@example.com")
    response = client.post("/signin", data={"email": "a@example.com", "password": PASSWORD})
    assert response.status_code == 400
    sign_in(client, "a@example.com")
    assert client.post("/demo/start").status_code == 400
    assert client.post("/demo/start", data={"csrf_token": "forged"}).status_code == 400
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Store)) == 0


def test_next_only_redirects_within_the_site(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "a@example.com")
    response = client.post("/signin", data={"email": "a@example.com", "password": PASSWORD,
                                            "next": "//evil.example/",
                                            "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_twenty_wrong_passwords_are_throttled_then_the_window_passes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A window far longer than twenty password checks on a busy machine; the clock is then
    # moved past it rather than slept through.
    app = make_app(tmp_path / "instance", login_window_seconds=120)
    client = app.test_client()
    create_owner(app, "a@example.com")
    statuses = [sign_in(client, "a@example.com", f"wrong {i}").status_code for i in range(20)]
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}
    throttled = sign_in(client, "a@example.com")
    assert throttled.status_code == 429  # even the right password waits
    assert "Too many failed sign-ins" in throttled.get_data(as_text=True)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 121)
    assert sign_in(client, "a@example.com").status_code == 302


def test_reset_link_is_logged_works_once_and_ends_other_sessions(
        app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    create_owner(app, "a@example.com")
    other = app.test_client()
    sign_in(other, "a@example.com")
    caplog.set_level("WARNING")
    client.post("/reset", data={"email": "A@example.com",
                                "csrf_token": csrf_token(client, "/reset")})
    [link] = re.findall(r"http://\S+/reset/\S+", caplog.text)
    path = link.split("localhost", 1)[1]
    new = "a brand new passphrase"
    response = client.post(path, data={"password": new, "confirm": new,
                                       "csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    assert other.get("/").status_code == 302  # the other session was signed out
    again = client.post(path, data={"password": "x" * 12, "confirm": "x" * 12,
                                    "csrf_token": csrf_token(client, "/signin")})
    assert again.status_code == 302 and "/reset" in again.headers["Location"]
    fresh = app.test_client()
    assert sign_in(fresh, "a@example.com", PASSWORD).status_code == 401
    assert sign_in(fresh, "a@example.com", new).status_code == 302


def test_reset_for_an_unknown_email_says_the_same_and_logs_nothing(
        client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING")
    response = client.post("/reset", data={"email": "ghost@example.com",
                                           "csrf_token": csrf_token(client, "/reset")},
                           follow_redirects=True)
    assert "If that email has an account" in response.get_data(as_text=True)
    assert "/reset/" not in caplog.text


def test_expired_and_forged_reset_links_are_refused(app: Flask, client: FlaskClient) -> None:
    owner_id = create_owner(app, "a@example.com")
    with app.test_request_context(), db.transaction() as session:
        token = accounts.reset_token(session.get(Owner, owner_id))
    forged = client.get(f"/reset/{token[:-2]}xx")
    assert forged.status_code == 302
    original = accounts.RESET_LINK_SECONDS
    accounts.RESET_LINK_SECONDS = -1
    try:
        assert client.get(f"/reset/{token}").status_code == 302
    finally:
        accounts.RESET_LINK_SECONDS = original
    assert client.get(f"/reset/{token}").status_code == 200


def _wordpress_store(app: Flask, owner_id: int | None) -> tuple[str, str]:
    secret = secrets.token_urlsafe(24)
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="shop.example.com", owner_id=owner_id)
        set_credentials(store, {"connection_secret": secret})
        session.add(store)
        session.flush()
        return store.key, secret


def _link(key: str, secret: str, ts: int | None = None, nonce: str | None = None) -> str:
    ts = int(time.time()) if ts is None else ts
    nonce = nonce or secrets.token_hex(8)
    signature = wordpress.sign(secret, key, ts, nonce)
    return f"/auth/wordpress?store={key}&ts={ts}&nonce={nonce}&signature={signature}"


def test_a_wordpress_link_signs_in_once(app: Flask, client: FlaskClient) -> None:
    owner_id = create_owner(app, "wp@example.com")
    key, secret = _wordpress_store(app, owner_id)
    link = _link(key, secret)
    assert client.get(link).status_code == 302
    assert client.get("/").status_code == 200
    reused = app.test_client().get(link)
    assert reused.status_code == 403
    assert "already used" in reused.get_data(as_text=True)


@pytest.mark.parametrize("case", ["expired", "future", "forged", "other_secret", "no_owner",
                                  "unknown_store"])
def test_bad_wordpress_links_are_refused(app: Flask, client: FlaskClient, case: str) -> None:
    owner_id = None if case == "no_owner" else create_owner(app, "wp@example.com")
    key, secret = _wordpress_store(app, owner_id)
    now = int(time.time())
    link = {
        "expired": _link(key, secret, ts=now - 301),
        "future": _link(key, secret, ts=now + 120),
        "forged": _link(key, secret)[:-4] + "0000",
        "other_secret": _link(key, "not-the-secret"),
        "no_owner": _link(key, secret),
        "unknown_store": _link("nope", secret),
    }[case]
    assert client.get(link).status_code == 403
    assert client.get("/").status_code == 302


def test_session_cookie_flags(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "a@example.com")
    client.get("/signin")
    response = sign_in(client, "a@example.com")
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # local development over http


def test_cookies_are_secure_behind_https(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", public_url="https://chat.example.com")
    client = app.test_client()
    create_owner(app, "a@example.com")
    header = sign_in(client, "a@example.com").headers["Set-Cookie"]
    assert "Secure" in header


def test_raw_session_rows_hold_no_token(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "a@example.com")
    sign_in(client, "a@example.com")
    cookie = _cookie(client)
    with app.app_context(), db.engine().connect() as connection:
        dump = str(connection.execute(text("SELECT * FROM web_sessions")).fetchall())
    assert cookie not in dump
