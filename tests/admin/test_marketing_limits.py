"""Settings → Marketing limits, and GET/PATCH /api/v1/sending: the same store settings,
checked by the same rules; bad input names its field and saves nothing; another store's
limits are out of reach; the nav leads there."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.auth import api_tokens
from plugin.auth.api_tokens import Scope
from plugin.infra import db
from plugin.models import Store
from tests.admin.api.world import call
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner, csrf_token


def _limits(app: Flask, store_id: int) -> tuple[int, int, int, int, int]:
    with app.app_context():
        s = db.session().get(Store, store_id)
        assert s is not None
        return (s.marketing_weekly_cap, s.at_risk_cap, s.at_risk_cap_days, s.quiet_start_hour,
                s.quiet_end_hour)


def _form(client: FlaskClient, path: str, **values: str) -> dict[str, str]:
    form = {"weekly_cap": "2", "at_risk_cap": "1", "at_risk_cap_days": "10",
            "quiet_start_hour": "21", "quiet_end_hour": "9"}
    return {**form, **values, "csrf_token": csrf_token(client, path)}


def test_the_page_shows_the_defaults_and_saves_new_limits(app: Flask,
                                                          owner: FlaskClient) -> None:
    store = make_store(app)
    path = f"/stores/{store}/settings/marketing-limits"
    page = owner.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Marketing limits</h1>" in html
    assert "Now: 21:00 to 09:00" in html and "Order updates" in html
    assert f'href="{path}"' in html  # in the nav, under Settings
    saved = owner.post(path, data=_form(owner, path, weekly_cap="3", quiet_start_hour="22",
                                        quiet_end_hour="8"))
    assert saved.status_code == 302
    assert _limits(app, store) == (3, 1, 10, 22, 8)
    assert "Now: 22:00 to 08:00" in owner.get(path).get_data(as_text=True)


def test_bad_input_names_the_field_and_saves_nothing(app: Flask, owner: FlaskClient) -> None:
    store = make_store(app)
    path = f"/stores/{store}/settings/marketing-limits"
    for values, field in [({"weekly_cap": "-1"}, "weekly_cap"),
                          ({"weekly_cap": "99"}, "weekly_cap"),
                          ({"at_risk_cap_days": "0"}, "at_risk_cap_days"),
                          ({"quiet_end_hour": "24"}, "quiet_end_hour"),
                          ({"at_risk_cap": "3"}, "at_risk_cap")]:  # looser than 2 a week
        answer = owner.post(path, data=_form(owner, path, **values))
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422, values
        assert f'id="error-{field}" data-error-for="{field}">' in html
        assert "Nothing was saved" in html
    assert _limits(app, store) == (2, 1, 10, 21, 9)


def test_another_owners_store_is_not_found(app: Flask, owner: FlaskClient) -> None:
    create_owner(app, "other@example.com")
    theirs = make_store(app, email="other@example.com", name="Other shop")
    path = f"/stores/{theirs}/settings/marketing-limits"
    assert owner.get(path).status_code == 404
    assert owner.post(path, data=_form(owner, f"/stores/{make_store(app)}/settings/"
                                       "marketing-limits")).status_code == 404
    assert _limits(app, theirs) == (2, 1, 10, 21, 9)


def test_the_api_reads_and_changes_the_limits(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "owner@example.com")
    store = make_store(app)
    with app.app_context(), db.transaction() as session:
        _row, write = api_tokens.issue(session, store, "w", Scope.WRITE, "test")
        _row, read = api_tokens.issue(session, store, "r", Scope.READ, "test")
    got = call(client, "GET", "/api/v1/sending", read)
    assert got.status_code == 200
    assert got.json == {"weekly_cap": 2, "at_risk_cap": 1, "at_risk_cap_days": 10,
                        "quiet_start_hour": 21, "quiet_end_hour": 9,
                        "timezone": "Europe/Lisbon"}
    assert call(client, "PATCH", "/api/v1/sending", read, {"weekly_cap": 3}).status_code == 403
    changed = call(client, "PATCH", "/api/v1/sending", write,
                   {"weekly_cap": 4, "quiet_end_hour": 8})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert (changed.json["weekly_cap"], changed.json["quiet_end_hour"]) == (4, 8)
    assert _limits(app, store) == (4, 1, 10, 21, 8)


def test_the_api_answers_bad_limits_with_a_problem(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "owner@example.com")
    store = make_store(app)
    with app.app_context(), db.transaction() as session:
        _row, write = api_tokens.issue(session, store, "w", Scope.WRITE, "test")
    for body, field in [({"at_risk_cap": 5}, "at_risk_cap"),
                        ({"quiet_start_hour": 24}, "quiet_start_hour"),
                        ({"weekly_cap": "2"}, "weekly_cap"),  # a string: strict types
                        ({}, None), ({"surprise": 1}, "surprise")]:
        answer = call(client, "PATCH", "/api/v1/sending", write, body)
        assert answer.status_code in (400, 422), body
        assert answer.mimetype == "application/problem+json"
        problem = answer.json
        assert problem["code"] in ("validation_failed", "bad_request")
        if field is not None:
            assert field in str(problem.get("errors")), problem
    assert _limits(app, store) == (2, 1, 10, 21, 9)
    with app.app_context():
        assert db.session().scalars(select(Store.marketing_weekly_cap)).all() == [2]
