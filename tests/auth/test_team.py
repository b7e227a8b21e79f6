"""Team members: invitations (made, resent, withdrawn, expired, used once), joining with a
new or an existing account, roles enforced on pages, the API and the nav, and removal."""
from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.admin.nav import SECTIONS
from plugin.infra import db
from plugin.models import Customer, StoreInvite, StoreMember
from tests.admin.test_nav import read_nav
from tests.conftest import PASSWORD, create_owner, csrf_token, sign_in
from tests.worlds.team import (
    add_member,
    add_store,
    expire_invites,
    invite_token,
    member_id,
)

_LINK = re.compile(r'id="invite-link" type="text" readonly value="[^"]*/join/([^"]+)"')


@pytest.fixture
def shop(app: Flask) -> dict[str, int]:
    """Owner o@ with store Linen (one customer), owner x@ with store Cork."""
    owner = create_owner(app, "o@example.com")
    other = create_owner(app, "x@example.com")
    linen, cork = add_store(app, owner, "Linen"), add_store(app, other, "Cork")
    with app.app_context(), db.transaction() as session:
        customer = Customer(store_id=linen, platform_id="c-1", phone_e164="+351912345678",
                            first_name="Ines")
        session.add(customer)
        session.flush()
        customer_id = customer.id
    return {"owner": owner, "linen": linen, "cork": cork, "customer": customer_id}


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def _post(client: FlaskClient, url: str, **form: str):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **form})


def _invite(client: FlaskClient, store_id: int, email: str, role: str) -> str:
    """Invite through the Team page; the token of the link it shows."""
    response = _post(client, f"/stores/{store_id}/team/invite", email=email, role=role)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    match = _LINK.search(response.get_data(as_text=True))
    assert match
    return match.group(1)


def _join_new(app: Flask, token: str) -> FlaskClient:
    """Open the link anonymously and create the account; the signed-in client."""
    client = app.test_client()
    page = client.get(f"/join/{token}")
    assert page.status_code == 200 and "Create my account and join" in page.get_data(
        as_text=True)
    joined = client.post(f"/join/{token}", data={
        "password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": csrf_token(client, f"/join/{token}")})
    assert joined.status_code == 303, joined.get_data(as_text=True)
    return client


def test_an_owner_invites_an_agent_who_joins_and_works_with_customers_only(
        app: Flask, shop: dict[str, int]) -> None:
    owner = _signed_in(app, "o@example.com")
    token = _invite(owner, shop["linen"], "Agent@Example.com", "agent")
    agent = _join_new(app, token)
    linen = shop["linen"]
    assert agent.get(f"/stores/{linen}/customers").status_code == 200
    assert agent.get(f"/stores/{linen}/customers/{shop['customer']}").status_code == 200
    refused = agent.get(f"/stores/{linen}/settings/connection")
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "Only the store&#39;s owner may open this" in text
    assert "Your role in this store is agent: the inbox and customers." in text
    assert agent.get(f"/stores/{linen}/automations").status_code == 403
    assert agent.get(f"/stores/{linen}/team").status_code == 403
    # Another store's pages do not exist for them.
    assert agent.get(f"/stores/{shop['cork']}/customers").status_code == 404
    # The owner's Team page lists them, and the invitation is no longer pending.
    team = owner.get(f"/stores/{linen}/team").get_data(as_text=True)
    assert "agent@example.com" in team and 'id="no-pending"' in team


def test_the_nav_shows_only_what_the_role_opens(app: Flask, shop: dict[str, int]) -> None:
    linen = shop["linen"]
    add_member(app, linen, "agent@example.com", "agent")
    add_member(app, linen, "admin@example.com", "admin")
    every = {e.label for s in SECTIONS for e in (s, *s.children)}

    def labels(email: str) -> set[str]:
        html = _signed_in(app, email).get(f"/stores/{linen}/customers").get_data(as_text=True)
        return {label for label, _, _ in read_nav(html).links} & every

    assert labels("agent@example.com") == {"Home", "Inbox", "Quick replies", "Customers"}
    admin = labels("admin@example.com")
    assert {"Customers", "Automations", "Messages", "Catalog", "Widget"} <= admin
    assert not {"Team", "API tokens", "WhatsApp number", "Store connection",
                "Owner accounts"} & admin
    owner = labels("o@example.com")
    assert {"Team", "API tokens", "WhatsApp number", "Store connection"} <= owner
    # The customers page offers the agent no link they would only be refused at.
    page = _signed_in(app, "agent@example.com").get(f"/stores/{linen}/customers")
    assert "Tag rules" not in page.get_data(as_text=True)
    # Their home page offers no store connecting or demo: they work in someone's store.
    home = _signed_in(app, "agent@example.com").get("/").get_data(as_text=True)
    assert "Linen" in home and "Connect a WooCommerce store" not in home


def test_an_existing_account_joins_with_itself(app: Flask, shop: dict[str, int]) -> None:
    token = invite_token(app, shop["linen"], "x@example.com", "admin")
    anonymous = app.test_client().get(f"/join/{token}").get_data(as_text=True)
    assert "Sign in to join" in anonymous and "Create my account" not in anonymous
    # Signing in from there comes back to the link.
    x = app.test_client()
    back = x.post("/signin", data={"email": "x@example.com", "password": PASSWORD,
                                   "next": f"/join/{token}", "csrf_token": csrf_token(x)})
    assert back.status_code == 302 and back.headers["Location"] == f"/join/{token}"
    assert "Join Linen" in x.get(f"/join/{token}").get_data(as_text=True)
    joined = x.post(f"/join/{token}", data={"csrf_token": csrf_token(x, f"/join/{token}")})
    assert joined.status_code == 303
    # Admin of Linen now, owner of Cork still.
    assert x.get(f"/stores/{shop['linen']}/automations").status_code == 200
    assert x.get(f"/stores/{shop['linen']}/team").status_code == 403
    assert x.get(f"/stores/{shop['cork']}/team").status_code == 200


def test_a_link_for_another_email_is_refused_to_a_signed_in_account(
        app: Flask, shop: dict[str, int]) -> None:
    token = invite_token(app, shop["linen"], "someone@example.com")
    x = _signed_in(app, "x@example.com")
    assert "This invitation is for someone@example.com" in x.get(
        f"/join/{token}").get_data(as_text=True)
    refused = x.post(f"/join/{token}", data={"csrf_token": csrf_token(x, f"/join/{token}")})
    assert refused.status_code == 400
    assert member_id(app, shop["linen"], "x@example.com") is None


def test_an_invitation_works_once(app: Flask, shop: dict[str, int]) -> None:
    token = invite_token(app, shop["linen"], "once@example.com")
    _join_new(app, token)
    again = app.test_client().get(f"/join/{token}")
    assert again.status_code == 404
    assert "already been used" in again.get_data(as_text=True)


def test_an_expired_invitation_is_refused_and_resending_gives_a_new_link(
        app: Flask, shop: dict[str, int]) -> None:
    owner = _signed_in(app, "o@example.com")
    old = _invite(owner, shop["linen"], "late@example.com", "agent")
    expire_invites(app, shop["linen"])
    expired = app.test_client().get(f"/join/{old}")
    assert expired.status_code == 404 and "expired" in expired.get_data(as_text=True)
    assert "Expired" in owner.get(f"/stores/{shop['linen']}/team").get_data(as_text=True)
    with app.app_context():
        invite_id = db.session().query(StoreInvite.id).scalar()
    resent = _post(owner, f"/stores/{shop['linen']}/team/invites/{invite_id}/resend")
    new = _LINK.search(resent.get_data(as_text=True))
    assert resent.status_code == 200 and new and new.group(1) != old
    assert "withdrawn or sent again" in app.test_client().get(f"/join/{old}").get_data(
        as_text=True)
    _join_new(app, new.group(1))
    assert member_id(app, shop["linen"], "late@example.com") is not None


def test_a_withdrawn_or_forged_link_does_not_work(app: Flask, shop: dict[str, int]) -> None:
    owner = _signed_in(app, "o@example.com")
    token = _invite(owner, shop["linen"], "gone@example.com", "agent")
    with app.app_context():
        invite_id = db.session().query(StoreInvite.id).scalar()
    assert _post(owner, f"/stores/{shop['linen']}/team/invites/{invite_id}/withdraw"
                 ).status_code == 303
    assert app.test_client().get(f"/join/{token}").status_code == 404
    assert "not valid" in app.test_client().get(f"/join/{token}x").get_data(as_text=True)


@pytest.mark.parametrize(("email", "role", "reason"), [
    ("not-an-email", "agent", "Enter an email address"),
    ("new@example.com", "owner", "Choose a role"),
    ("o@example.com", "agent", "owns this store already"),
    ("member@example.com", "admin", "is in the team already"),
])
def test_an_invitation_that_cannot_be_sent_says_why(app: Flask, shop: dict[str, int],
                                                    email: str, role: str, reason: str) -> None:
    add_member(app, shop["linen"], "member@example.com")
    owner = _signed_in(app, "o@example.com")
    response = _post(owner, f"/stores/{shop['linen']}/team/invite", email=email, role=role)
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().query(StoreInvite).count() == 0


def test_a_role_change_and_a_removal_apply_at_the_next_request(
        app: Flask, shop: dict[str, int]) -> None:
    linen = shop["linen"]
    add_member(app, linen, "m@example.com", "agent")
    member = _signed_in(app, "m@example.com")
    owner = _signed_in(app, "o@example.com")
    row = member_id(app, linen, "m@example.com")
    assert member.get(f"/stores/{linen}/automations").status_code == 403
    assert _post(owner, f"/stores/{linen}/team/members/{row}/role", role="admin"
                 ).status_code == 303
    assert member.get(f"/stores/{linen}/automations").status_code == 200
    assert _post(owner, f"/stores/{linen}/team/members/{row}/role", role="owner"
                 ).status_code == 400
    assert _post(owner, f"/stores/{linen}/team/members/{row}/remove").status_code == 303
    # Same session, next request: the store is gone for them.
    assert member.get(f"/stores/{linen}/customers").status_code == 404
    assert "Linen" not in member.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session().query(StoreMember).count() == 0


def test_another_stores_team_ids_are_404(app: Flask, shop: dict[str, int]) -> None:
    add_member(app, shop["cork"], "theirs@example.com")
    row = member_id(app, shop["cork"], "theirs@example.com")
    owner = _signed_in(app, "o@example.com")
    # Cork's member through Linen's URL: no such member here.
    assert _post(owner, f"/stores/{shop['linen']}/team/members/{row}/remove"
                 ).status_code == 404
    assert member_id(app, shop["cork"], "theirs@example.com") == row


def test_the_api_checks_the_role_too(app: Flask, shop: dict[str, int]) -> None:
    linen = shop["linen"]
    add_member(app, linen, "agent@example.com", "agent")
    agent = _signed_in(app, "agent@example.com")
    customers = agent.get(f"/api/v1/customers?store={linen}")
    assert customers.status_code == 200 and len(customers.json["data"]) == 1
    refused = agent.get(f"/api/v1/automations?store={linen}")
    assert refused.status_code == 403
    assert refused.json["code"] == "forbidden_role"
    assert "agent" in refused.json["detail"]
    assert agent.get(f"/api/v1/customers?store={shop['cork']}").status_code == 404
    assert [s["id"] for s in agent.get("/api/v1/stores").json["data"]] == [linen]


def test_an_agent_reading_a_customers_messages_gets_no_admin_links(
        app: Flask, shop: dict[str, int]) -> None:
    linen = shop["linen"]
    add_member(app, linen, "agent@example.com", "agent")
    page = _signed_in(app, "agent@example.com").get(
        f"/stores/{linen}/customers/{shop['customer']}/messages")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/stores/{linen}/messages" not in html and "/automations" not in html
    owner_view = _signed_in(app, "o@example.com").get(
        f"/stores/{linen}/customers/{shop['customer']}/messages").get_data(as_text=True)
    assert f'href="/stores/{linen}/messages"' in owner_view


def test_the_command_line_prints_a_link_that_joins(app: Flask, shop: dict[str, int]) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["team", "invite-link", "--store", str(shop["linen"]),
                                 "--email", "Cli@Example.com", "--role", "admin",
                                 "--base-url", "https://chat.example.com/"])
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    assert link.startswith("https://chat.example.com/join/"), link
    assert "cli@example.com as admin" in result.stderr
    _join_new(app, link.rsplit("/", 1)[1])
    assert member_id(app, shop["linen"], "cli@example.com") is not None
    refused = runner.invoke(args=["team", "invite-link", "--store", "999999",
                                  "--email", "x@example.com"])
    assert refused.exit_code != 0 and "no store 999999" in refused.output
