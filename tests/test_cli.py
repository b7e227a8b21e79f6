"""The storechat command's store commands."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from plugin.demo import store
from plugin.infra import db
from plugin.models import Owner, WhatsAppAccount


def test_stores_list_and_connect_whatsapp(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert "no stores yet" in runner.invoke(args=["stores", "list"]).output
    with app.app_context(), db.transaction() as session:
        key = store.get_or_create(session).key
    listed = runner.invoke(args=["stores", "list"]).output
    assert key in listed and "sandbox" in listed
    result = runner.invoke(args=["stores", "connect-whatsapp", key, "--phone-number-id", "555",
                                 "--waba-id", "777"], input="EAAG-token\n")
    assert result.exit_code == 0, result.output
    assert "EAAG-token" not in result.output
    with app.app_context():
        account = db.session().scalars(select(WhatsAppAccount)).one()
        assert (account.phone_number_id, account.access_token) == ("555", "EAAG-token")
    assert "555" in runner.invoke(args=["stores", "list"]).output


def test_connect_whatsapp_to_an_unknown_store_fails_clearly(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["stores", "connect-whatsapp", "nope",
                                                "--phone-number-id", "1", "--waba-id", "2",
                                                "--token", "t"])
    assert result.exit_code != 0
    assert "no store has the key" in result.output


def test_sweep_command_reports(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0
    assert "re-enqueued 0 events and 0 messages" in result.output


def test_owners_invite_link_prints_a_working_one_time_link(app: Flask) -> None:
    from tests.conftest import csrf_token

    runner = app.test_cli_runner()
    result = runner.invoke(args=["owners", "invite-link", "--email", "Second@Example.com",
                                 "--base-url", "https://chat.example.com/"])
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    assert link.startswith("https://chat.example.com/invite/"), link
    assert "second@example.com" in result.stderr and "once" in result.stderr
    client = app.test_client()
    path = link.removeprefix("https://chat.example.com")
    form = {"password": "long enough password", "confirm": "long enough password"}
    assert client.post(path, data={**form, "csrf_token": csrf_token(client)}).status_code == 302
    with app.app_context():
        owner = db.session().scalars(select(Owner).where(
            Owner.email == "second@example.com")).one()
        assert owner.invited_by_id is None  # the operator, not an owner, invited them
    assert app.test_client().get(path).status_code == 404  # used once


def test_owners_invite_link_refuses_a_taken_or_bad_email(app: Flask) -> None:
    from tests.conftest import create_owner

    create_owner(app, "taken@example.com")
    runner = app.test_cli_runner()
    for email, message in (("taken@example.com", "already has an owner account"),
                           ("nope", "Enter an email address")):
        result = runner.invoke(args=["owners", "invite-link", "--email", email])
        assert result.exit_code != 0 and message in result.output


def test_link_commands_point_at_the_running_serve(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`make run PORT=8799`, then `storechat owners invite-link` in another terminal: with
    no STORECHAT_PUBLIC_URL, the link names the port serve listens on, not 8000."""
    from pathlib import Path

    from plugin.infra.serve import SERVING_URL_FILE, public_url

    for var in ("STORECHAT_PUBLIC_URL", "STORECHAT_PORT"):
        monkeypatch.delenv(var, raising=False)
    serving = Path(app.instance_path) / SERVING_URL_FILE
    serving.write_text(public_url({"STORECHAT_PORT": "8799"}) + "\n")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["owners", "invite-link", "--email", "third@example.com"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("http://127.0.0.1:8799/invite/"), result.stdout
    # An explicit public URL (a proxy, a tunnel) still wins over where serve listens.
    monkeypatch.setenv("STORECHAT_PUBLIC_URL", "https://chat.example.com")
    assert public_url({"STORECHAT_PUBLIC_URL": "https://chat.example.com",
                       "STORECHAT_PORT": "8799"}) == "https://chat.example.com"
    serving.unlink()
    result = runner.invoke(args=["owners", "invite-link", "--email", "fourth@example.com"])
    assert result.stdout.startswith(app.config["STORECHAT"].public_url.rstrip("/") + "/invite/")
