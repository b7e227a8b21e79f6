"""The greeting and away page: defaults shown, bad input refused with the field named,
saved settings read back, the store's hours explained, another store's page 404."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import AnswerSettings, WidgetSettings
from plugin.pipeline import rollups
from tests.admin.test_customers import page_of
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner, csrf_token, sign_in


def form(csrf: str, **changes: str) -> dict[str, str]:
    values = {"csrf_token": csrf, "greeting_enabled": "on", "greeting_after_days": "14",
              "greeting_en": "Hi {name}, welcome to {store}!", "greeting_es": "¡Hola {name}!",
              "away_en": "Back {back}."}
    return {**values, **changes}


def test_the_owner_turns_on_the_greeting_in_two_languages(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    url = f"/stores/{store_id}/automations/answers"
    page = page_of(owner, url)
    assert "Thanks for writing to {store}" in page  # the defaults, ready to edit
    assert "counts as always open" in page
    assert owner.post(url, data=form(csrf_token(owner, url))).status_code == 302
    with app.app_context():
        row = db.session().scalars(select(AnswerSettings)).one()
        assert (row.greeting_enabled, row.away_enabled, row.greeting_after_days) == \
            (True, False, 14)
        assert row.greetings == {"en": "Hi {name}, welcome to {store}!", "es": "¡Hola {name}!"}
        assert row.aways == {"en": "Back {back}."}
    page = page_of(owner, url)
    assert "welcome to {store}!" in page and "Thanks for writing" not in page


def test_bad_input_is_refused_and_nothing_saved(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    url = f"/stores/{store_id}/automations/answers"
    csrf = csrf_token(owner, url)
    for changes, words in (
            ({"greeting_after_days": "0"}, "A whole number of days from 1 to 365."),
            ({"greeting_es": "Hola {nombre}"}, "Use only {name}, {store} and {back} in braces."),
            ({"greeting_en": "x" * 1001}, "At most 1000 characters"),
            ({"greeting_en": "Back {back}"}, "{back} belongs in the away message"),
            ({"greeting_en": "", "greeting_es": ""}, "Write the greeting in at least one"),
            ({"away_enabled": "on", "away_en": ""}, "Write the away message in at least one")):
        response = owner.post(url, data=form(csrf, **changes))
        assert response.status_code == 422, changes
        assert words in response.get_data(as_text=True), changes
    with app.app_context():
        assert db.session().scalars(select(AnswerSettings)).all() == []


def test_the_page_says_whether_the_store_is_closed_now(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    with app.app_context(), db.transaction() as session:
        today = rollups.store_today("Europe/Lisbon").isoformat()  # make_store's timezone
        session.add(WidgetSettings(store_id=store_id, settings={"holidays": [today]}))
    assert "Closed now; next opening" in page_of(owner, f"/stores/{store_id}/automations/answers")


def test_another_stores_page_is_not_found(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "owner@example.com")
    create_owner(app, "other@example.com")
    theirs = make_store(app, email="other@example.com")
    sign_in(client, "owner@example.com")
    assert client.get(f"/stores/{theirs}/automations/answers").status_code == 404
