"""Roles: which declaration wins, and what a page nobody declared asks for."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint

from plugin.auth import roles
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from tests.conftest import create_owner, make_app, sign_in
from tests.worlds.team import add_member, add_store


def test_the_most_specific_declaration_wins(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    with app.test_request_context():
        assert roles.required("customers_admin.page") is Role.AGENT  # its blueprint's
        assert roles.required("message_log.store_messages") is Role.ADMIN  # undeclared
        assert roles.required("message_log.customer_messages") is Role.AGENT  # endpoint's
        assert roles.required("api_v1.list_customers") is Role.AGENT  # its module's
        assert roles.required("api_v1.list_automations") is Role.ADMIN
        assert roles.required("team_admin.page") is Role.OWNER
        assert roles.required("auth.owners") is Role.OWNER
        assert roles.required(None) is roles.DEFAULT
    app.extensions["storechat.engine"].dispose()


def test_a_page_nobody_declared_opens_for_admins_and_not_for_agents(tmp_path: Path) -> None:
    """What another engineer adds tomorrow with a bare protect(...) is an admin page."""
    app = make_app(tmp_path / "instance")
    later = protect(Blueprint("later_admin", __name__))
    later.add_url_rule("/stores/<int:store_id>/later", "page", lambda store_id: "later")
    app.register_blueprint(later)
    store = add_store(app, create_owner(app, "o@example.com"), "Linen")
    add_member(app, store, "agent@example.com", "agent")
    add_member(app, store, "admin@example.com", "admin")
    for email, status in (("agent@example.com", 403), ("admin@example.com", 200),
                          ("o@example.com", 200)):
        client = app.test_client()
        sign_in(client, email)
        assert client.get(f"/stores/{store}/later").status_code == status, email
    app.extensions["storechat.engine"].dispose()


def test_a_refusal_names_the_role_and_what_it_may_do() -> None:
    assert roles.refusal(Role.AGENT, Role.ADMIN) == (
        "Only the store's admins and its owner may open this. Your role in this store is "
        "agent: the inbox and customers.")
    assert roles.refusal(Role.ADMIN, Role.OWNER).startswith("Only the store's owner")
    assert Role.member_role(" Admin ") is Role.ADMIN
    assert Role.member_role("owner") is None  # nobody is made an owner by invitation
