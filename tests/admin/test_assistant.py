"""The shop assistant page: off by default with every intent offered, the owner's choice
saved and read back, a bad cancel choice refused, reachable from the nav, another store's
page 404."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import AssistantSettings
from tests.admin.test_customers import page_of
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner, csrf_token, sign_in


def test_the_owner_turns_the_assistant_on_with_two_intents(app: Flask,
                                                          owner: FlaskClient) -> None:
    store_id = make_store(app)
    url = f"/stores/{store_id}/automations/assistant"
    page = page_of(owner, url)
    assert 'name="enabled">' in page  # off until the owner turns it on
    assert 'name="intent_wismo" checked' in page and 'value="request" checked' in page
    assert f'href="{url}"' in page  # the nav names the page under Automations
    response = owner.post(url, data={"csrf_token": csrf_token(owner, url), "enabled": "on",
                                     "intent_wismo": "on", "intent_cancel": "on",
                                     "on_cancel": "cancel"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session().scalars(select(AssistantSettings)).one()
        assert (row.enabled, row.intents, row.on_cancel) == (True, ["wismo", "cancel"],
                                                             "cancel")
    page = page_of(owner, url)
    assert 'name="enabled" checked' in page and 'name="intent_browse">' in page
    assert 'value="cancel" checked' in page


def test_an_unknown_cancel_choice_is_refused(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    url = f"/stores/{store_id}/automations/assistant"
    owner.post(url, data={"csrf_token": csrf_token(owner, url), "enabled": "on",
                          "on_cancel": "refund"})
    with app.app_context():
        assert db.session().scalars(select(AssistantSettings)).all() == []


def test_another_stores_page_is_not_found(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "owner@example.com")
    create_owner(app, "other@example.com")
    theirs = make_store(app, email="other@example.com")
    sign_in(client, "owner@example.com")
    assert client.get(f"/stores/{theirs}/automations/assistant").status_code == 404
