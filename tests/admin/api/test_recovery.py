"""Cart recovery in the API: the sequence, figures per step and revenue per currency as exact
decimal strings, reasons; switched on and off and the attribution window set with a write
token only; the carts paged by cursor with their step states; nothing of another store."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.auth import api_tokens
from plugin.auth.api_tokens import Scope
from plugin.infra import db
from plugin.models import Automation, Store
from tests.admin.api.world import call
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner
from tests.worlds import recovery_figures
from tests.worlds.recovery_figures import EXPECTED


class Shops:
    """Two owners' stores, A's with the hand-made recovery rows; A's read and write tokens."""

    def __init__(self, app: Flask) -> None:
        create_owner(app, "owner@example.com")
        create_owner(app, "other@example.com")
        self.a = make_store(app)
        self.b = make_store(app, email="other@example.com", name="Other shop")
        recovery_figures.install(app, self.a)
        recovery_figures.build(app, self.a, self.b)
        with app.app_context(), db.transaction() as session:
            _row, self.write = api_tokens.issue(session, self.a, "w", Scope.WRITE, "test")
            _row, self.read = api_tokens.issue(session, self.a, "r", Scope.READ, "test")


@pytest.fixture
def shops(app: Flask) -> Shops:
    return Shops(app)


def get(client: FlaskClient, token: str, path: str) -> Any:
    response = call(client, "GET", path, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_recovery_shows_steps_figures_and_exact_revenue(client: FlaskClient,
                                                        shops: Shops) -> None:
    body = get(client, shops.read, "/api/v1/recovery")
    assert body["enabled"] is True and body["attribution_days"] == 7
    assert [(s["step"], s["delay_minutes"], s["discount_percent"]) for s in body["steps"]] == [
        (1, 60, 0), (2, 1440, 0), (3, 4320, 10)]
    figures = body["figures"]
    assert (figures["carts_seen"], figures["reachable"]) == (7, 6)
    for row in figures["steps"]:
        expected = EXPECTED[row["step"]]
        assert {k: row[k] for k in ("sent", "delivered", "read", "clicked", "recovered")} == {
            k: expected[k] for k in ("sent", "delivered", "read", "clicked", "recovered")}
        assert {m["currency"]: m["amount"] for m in row["revenue"]} == expected["revenue"]
    assert figures["total"]["revenue"] == [{"currency": "JPY", "amount": "12800"},
                                           {"currency": "KWD", "amount": "20.000"}]
    assert [(r["reason"], r["count"]) for r in figures["reasons"]] == [
        tuple(pair) for pair in EXPECTED["reasons"]]
    assert "99999" not in str(body)  # the other store's recovered cart


def test_the_period_is_chosen_in_days(client: FlaskClient, shops: Shops) -> None:
    wide = get(client, shops.read, "/api/v1/recovery?days=90")["figures"]
    assert {"currency": "EUR", "amount": "99.00"} in wide["total"]["revenue"]
    bad = call(client, "GET", "/api/v1/recovery?days=0", shops.read)
    assert bad.status_code == 422


def test_a_write_token_switches_recovery_and_sets_the_window(
        app: Flask, client: FlaskClient, shops: Shops) -> None:
    response = call(client, "PATCH", "/api/v1/recovery", shops.write,
                    {"enabled": False, "attribution_days": 3})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["enabled"] is False and response.json["attribution_days"] == 3
    with app.app_context():
        assert db.session().get(Store, shops.a).recovery_attribution_days == 3  # type: ignore[union-attr]
        assert not any(db.session().scalars(select(Automation.enabled).where(
            Automation.store_id == shops.a, Automation.journey.startswith("cart_recovery_"))))
    on = call(client, "PATCH", "/api/v1/recovery", shops.write, {"enabled": True})
    assert on.json["enabled"] is True and on.json["attribution_days"] == 3


@pytest.mark.parametrize("body", [{}, {"attribution_days": 0}, {"attribution_days": 31},
                                  {"enabled": "yes"}])
def test_bad_changes_are_refused(client: FlaskClient, shops: Shops, body: Any) -> None:
    assert call(client, "PATCH", "/api/v1/recovery", shops.write, body).status_code == 422


def test_a_read_token_cannot_switch_recovery(app: Flask, client: FlaskClient,
                                             shops: Shops) -> None:
    response = call(client, "PATCH", "/api/v1/recovery", shops.read, {"enabled": False})
    assert response.status_code == 403
    assert get(client, shops.read, "/api/v1/recovery")["enabled"] is True


def test_checkouts_are_paged_with_their_step_states(client: FlaskClient, shops: Shops) -> None:
    first = get(client, shops.read, "/api/v1/checkouts?limit=3")
    assert [c["first_name"] for c in first["data"]] == ["Olga", "Bea", "Nuno"]
    second = get(client, shops.read, f"/api/v1/checkouts?limit=10&cursor={first['next_cursor']}")
    names = [c["first_name"] for c in second["data"]]
    assert names == ["Rui", "Ana", "Leonor", "Yousef", "Marta"]
    assert second["next_cursor"] is None
    marta = second["data"][-1]
    assert marta["recovered"] == {"currency": "JPY", "amount": "12800"}
    assert marta["recovered_step"] == 1 and marta["recovered_clicked"] is True
    assert [(s["step"], s["state"], s["message_state"], s["clicked"]) for s in marta["steps"]] \
        == [(1, "sent", "read", True), (2, "skipped", None, False), (3, "skipped", None, False)]
    assert marta["steps"][1]["words"] == "skipped: recovered before step 2"
    yousef = second["data"][-2]
    assert yousef["total"] == {"currency": "KWD", "amount": "12.345"}
    assert yousef["phone"] == "+965 •••••002"
    nuno = first["data"][2]
    assert nuno["steps"] == [] and nuno["recovered"] is None
    assert "Bartholomew" not in str(first) + str(second)
