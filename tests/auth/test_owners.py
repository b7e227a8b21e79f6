"""More than one owner: invitation links (single-use, expiring, signed, withdrawable), the
Team page, the invited owner's empty tenancy, and open sign-up (closed unless configured)."""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select, update
from werkzeug.test import TestResponse

from plugin.auth import invites
from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import OneTimeToken, Owner, Store
from tests.conftest import PASSWORD, create_owner, csrf_token, make_app, sign_in

NEW_PASSWORD = "a brand new password"
_LINK = re.compile(r'id="invite-link"[^>]*value="([^"]+)"')


def invite(client: FlaskClient, email: str) -> str:
    """Invite `email` from the Team page; returns the link the page showed (once)."""
    response = client.post("/settings/owners/invite", data={
        "email": email, "csrf_token": csrf_token(client, "/settings/owners")})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/settings/owners")
    page = client.get("/settings/owners").get_data(as_text=True)
    found = _LINK.search(page)
    assert found, page
    return html.unescape(found.group(1))


def path_of(link: str) -> str:
    """The path of an absolute link."""
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def accept(client: FlaskClient, link: str, password: str = NEW_PASSWORD) -> TestResponse:
    # The session's CSRF token, from a page that has a form whatever the link is worth.
    return client.post(path_of(link), data={"password": password, "confirm": password,
                                            "csrf_token": csrf_token(client)})


def owner_row(app: Flask, email: str) -> Owner | None:
    with app.app_context():
        return db.session().scalars(select(Owner).where(Owner.email == email)).first()


def count_owners(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Owner)) or 0


def test_an_invitation_link_works_once_and_makes_a_separate_owner(
        app: Flask, owner: FlaskClient) -> None:
    link = invite(owner, " New.Owner@Example.com ")
    assert link.startswith("http://localhost/invite/")
    # Shown once: a reload of the Team page shows the invitation as pending, not the link.
    again = owner.get("/settings/owners").get_data(as_text=True)
    assert 'id="invite-link"' not in again and path_of(link).split("/")[-1] not in again
    assert "new.owner@example.com" in again and "Withdraw" in again

    invitee = app.test_client()
    form = invitee.get(path_of(link))
    assert form.status_code == 200
    assert 'value="new.owner@example.com"' in form.get_data(as_text=True)
    response = accept(invitee, link)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = invitee.get("/").get_data(as_text=True)
    assert "new.owner@example.com" in home  # signed in as the new owner
    created = owner_row(app, "new.owner@example.com")
    inviter = owner_row(app, "owner@example.com")
    assert created is not None and inviter is not None
    assert created.invited_by_id == inviter.id
    assert created.password_hash != inviter.password_hash

    # Spent: the link refuses a second use, even for another browser.
    third = app.test_client()
    used = third.get(path_of(link))
    assert used.status_code == 404 and "already been used" in used.get_data(as_text=True)
    assert accept(third, link, "yet another password").status_code == 404
    assert count_owners(app) == 2
    # The inviter's Team page lists the new owner, and no longer the invitation.
    team = owner.get("/settings/owners").get_data(as_text=True)
    assert "new.owner@example.com" in team and "invited by you" in team
    assert 'id="no-pending"' in team


def test_an_expired_invitation_is_refused(app: Flask, owner: FlaskClient) -> None:
    link = invite(owner, "late@example.com")
    with app.app_context(), db.transaction() as session:
        session.execute(update(OneTimeToken).values(
            expires_at=db.utcnow() - timedelta(seconds=1)))
    invitee = app.test_client()
    response = invitee.get(path_of(link))
    assert response.status_code == 404
    assert "expired" in response.get_data(as_text=True)
    assert accept(invitee, link).status_code == 404
    assert owner_row(app, "late@example.com") is None
    assert "Expired" in owner.get("/settings/owners").get_data(as_text=True)


def test_a_tampered_or_forged_invitation_is_refused(app: Flask, owner: FlaskClient) -> None:
    link = invite(owner, "target@example.com")
    token = path_of(link).rsplit("/", 1)[1]
    payload, signature = token.rsplit(".", 1)
    # The first character: the last one of unpadded base64 carries unused bits, so changing
    # it can leave the decoded signature as it was (and the test passing by luck).
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    with app.app_context():
        # A well-formed link signed with another key, and one signed right around a guess.
        foreign = URLSafeSerializer("not-our-secret", salt="storechat-owner-invite").dumps("x")
        guessed = URLSafeSerializer(app.config["SECRET_KEY"],
                                    salt="storechat-owner-invite").dumps("guess")
    invitee = app.test_client()
    for bad in (f"{payload}.{flipped}", f"{payload}x.{signature}", foreign, "junk"):
        response = invitee.get(f"/invite/{bad}")
        assert response.status_code == 404
        assert "not valid" in response.get_data(as_text=True), bad
        assert accept(invitee, f"http://x/invite/{bad}").status_code == 404
    assert invitee.get(f"/invite/{guessed}").status_code == 404
    assert owner_row(app, "target@example.com") is None
    # The genuine link still works.
    assert accept(invitee, link).status_code == 302


def test_the_inviter_withdraws_an_invitation_and_nobody_else_can(
        app: Flask, owner: FlaskClient) -> None:
    link = invite(owner, "maybe@example.com")
    with app.app_context():
        invite_id = db.session().scalars(select(OneTimeToken.id).where(
            OneTimeToken.purpose == invites.PURPOSE)).one()
    create_owner(app, "stranger@example.com")
    stranger = app.test_client()
    sign_in(stranger, "stranger@example.com")
    page = stranger.get("/settings/owners").get_data(as_text=True)
    assert "maybe@example.com" not in page and "owner@example.com" not in page
    refused = stranger.post(f"/settings/owners/invites/{invite_id}/revoke",
                            data={"csrf_token": csrf_token(stranger, "/settings/owners")})
    assert refused.status_code == 404
    assert app.test_client().get(path_of(link)).status_code == 200  # still usable

    assert owner.post(f"/settings/owners/invites/{invite_id}/revoke").status_code == 400  # CSRF
    done = owner.post(f"/settings/owners/invites/{invite_id}/revoke",
                      data={"csrf_token": csrf_token(owner, "/settings/owners")})
    assert done.status_code == 303
    gone = app.test_client().get(path_of(link))
    assert gone.status_code == 404 and "withdrawn" in gone.get_data(as_text=True)


def test_the_invited_owner_sees_none_of_the_inviters_stores(
        app: Flask, owner: FlaskClient) -> None:
    with app.app_context():
        inviter_id = db.session().scalars(select(Owner.id)).one()
        with db.transaction() as session:
            store = demo_store.get_or_create(session, inviter_id)
        store_id, key = store.id, store.key
    invitee = app.test_client()
    accept(invitee, invite(owner, "second@example.com"))
    home = invitee.get("/").get_data(as_text=True)
    assert "second@example.com" in home
    assert f"/stores/{store_id}/" not in home and key not in home
    for path in (f"/stores/{store_id}/widget", f"/stores/{store_id}/customers",
                 f"/stores/{store_id}/messages"):
        assert invitee.get(path).status_code == 404, path
        assert owner.get(path).status_code == 200, path
    with app.app_context():
        second = owner_row(app, "second@example.com")
        assert second is not None
        owned = db.session().scalar(select(func.count()).select_from(Store).where(
            Store.owner_id == second.id))
        assert owned == 0


def test_inviting_needs_a_signed_in_owner_and_a_usable_email(
        app: Flask, client: FlaskClient) -> None:
    anonymous = client.get("/settings/owners")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/signin")
    token = csrf_token(client)
    refused = client.post("/settings/owners/invite", data={"email": "x@example.com",
                                                           "csrf_token": token})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/signin")
    create_owner(app, "owner@example.com")
    sign_in(client, "owner@example.com")
    no_csrf = client.post("/settings/owners/invite", data={"email": "x@example.com"})
    assert no_csrf.status_code == 400
    for email, message in (("not an email", "Enter an email address"),
                           ("Owner@Example.com", "already has an owner account")):
        response = client.post("/settings/owners/invite", data={
            "email": email, "csrf_token": csrf_token(client, "/settings/owners")})
        assert response.status_code == 400
        assert message in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(OneTimeToken)) == 0


def test_the_team_page_is_a_settings_page(owner: FlaskClient) -> None:
    page = owner.get("/settings/owners")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<h1>Owner accounts</h1>" in text and "owner@example.com" in text
    assert "/static/owners.css" in text and "/static/owners.js" in text
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) is None, "inline script"


def test_an_invitation_password_follows_the_rules(app: Flask, owner: FlaskClient) -> None:
    link = invite(owner, "short@example.com")
    invitee = app.test_client()
    response = accept(invitee, link, "short")
    assert response.status_code == 400
    assert "at least 10" in response.get_data(as_text=True)
    path = path_of(link)
    mismatch = invitee.post(path, data={"password": NEW_PASSWORD, "confirm": "something else",
                                        "csrf_token": csrf_token(invitee, path)})
    assert mismatch.status_code == 400
    assert invitee.post(path, data={"password": NEW_PASSWORD,
                                    "confirm": NEW_PASSWORD}).status_code == 400  # no CSRF
    assert owner_row(app, "short@example.com") is None
    assert accept(invitee, link).status_code == 302


# ---- open sign-up ----------------------------------------------------------------------

def test_sign_up_is_closed_by_default(app: Flask, client: FlaskClient) -> None:
    page = client.get("/signup")
    assert page.status_code == 404
    assert "Sign-up is closed" in page.get_data(as_text=True)
    assert "/signup" not in client.get("/signin").get_data(as_text=True)
    posted = client.post("/signup", data={"email": "x@example.com", "password": PASSWORD,
                                          "confirm": PASSWORD, "csrf_token": csrf_token(client)})
    assert posted.status_code == 404
    assert count_owners(app) == 0


@pytest.fixture
def open_app(tmp_path: Path) -> Iterator[Flask]:
    application = make_app(tmp_path / "instance", open_signup=True)
    yield application
    application.extensions["storechat.engine"].dispose()


def signup(client: FlaskClient, email: str, password: str = PASSWORD,
           confirm: str | None = None) -> TestResponse:
    return client.post("/signup", data={"email": email, "password": password,
                                        "confirm": password if confirm is None else confirm,
                                        "csrf_token": csrf_token(client, "/signup")})


def test_open_sign_up_makes_an_owner_with_no_store(open_app: Flask) -> None:
    with open_app.app_context(), db.transaction() as session:
        demo_store.get_or_create(session, None)
    client = open_app.test_client()
    assert 'href="/signup"' in client.get("/signin").get_data(as_text=True)
    assert client.get("/signup").status_code == 200
    response = signup(client, "Shop@Example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "shop@example.com" in client.get("/").get_data(as_text=True)
    created = owner_row(open_app, "shop@example.com")
    assert created is not None and created.invited_by_id is None
    with open_app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Store).where(
            Store.owner_id == created.id)) == 0
    # Same email again: refused, nothing made.
    again = signup(open_app.test_client(), "shop@example.com")
    assert again.status_code == 400
    assert count_owners(open_app) == 1


@pytest.mark.parametrize(("email", "password", "confirm", "message"), [
    ("a@example.com", "short", "short", "at least 10"),
    ("a@example.com", PASSWORD, "different password", "not the same"),
    ("not an email", PASSWORD, PASSWORD, "Enter an email address"),
])
def test_open_sign_up_checks_what_was_typed(open_app: Flask, email: str, password: str,
                                            confirm: str, message: str) -> None:
    response = signup(open_app.test_client(), email, password, confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_owners(open_app) == 0


def test_open_sign_up_needs_csrf_and_is_rate_limited(open_app: Flask) -> None:
    from plugin.auth.owners import SIGNUPS_PER_HOUR

    client = open_app.test_client()
    assert client.post("/signup", data={"email": "a@example.com", "password": PASSWORD,
                                        "confirm": PASSWORD}).status_code == 400
    codes = [signup(client, f"user{i}@example.com", "short").status_code
             for i in range(SIGNUPS_PER_HOUR + 1)]
    assert codes == [400] * SIGNUPS_PER_HOUR + [429]
    assert signup(client, "good@example.com").status_code == 429
    other = open_app.test_client()
    response = other.post("/signup", environ_overrides={"REMOTE_ADDR": "10.0.0.2"}, data={
        "email": "good@example.com", "password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": csrf_token(other, "/signup")})
    assert response.status_code == 302
    assert count_owners(open_app) == 1


def test_an_account_made_for_the_same_email_meanwhile_is_refused_not_a_500(
        app: Flask, owner: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """An invitation accepted while a sign-up (or another invitation) for the same email
    commits: each checks the email is free, then the unique email refuses the second."""
    link = invite(owner, "race@example.com")
    create_owner(app, "race@example.com")  # committed after the check below ran
    monkeypatch.setattr(invites, "email_taken", lambda _session, _email: False)
    response = accept(app.test_client(), link)
    assert response.status_code == 404
    assert "already has an owner account" in response.get_data(as_text=True)
    assert count_owners(app) == 2


def test_a_sign_up_racing_another_for_the_same_email_is_a_400(
        open_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    create_owner(open_app, "race@example.com")
    monkeypatch.setattr(invites, "email_taken", lambda _session, _email: False)
    response = signup(open_app.test_client(), "race@example.com")
    assert response.status_code == 400
    assert "already has an account" in response.get_data(as_text=True)
    assert count_owners(open_app) == 1
