"""The storechat command's store commands."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from plugin.demo import store
from plugin.infra import db
from plugin.models import WhatsAppAccount


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
