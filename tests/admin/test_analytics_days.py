"""Messages per day on the Analytics page: the chart's table holds every day of the period
with the figures of the messages written on it; the chart markup carries no inline script or
style (the CSP forbids them); its CSV and the API give the same rows; another owner's store
answers 404."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from plugin.auth import api_tokens
from plugin.auth.api_tokens import Scope
from plugin.infra import db
from plugin.models import Store
from plugin.pipeline import message_days, message_figures, rollups
from tests.admin.api.world import call
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner
from tests.worlds.analytics import live


def _history(app: Flask, store_id: int) -> None:
    """Today: one read and one failed (131049); two days ago: one delivered."""
    rollups.forget_zones()
    now = db.utcnow()
    with app.app_context(), db.transaction() as session:
        live(session, store_id, 1, "order:1", "order_confirmation", "sent", [("read", None)],
             created=now)
        live(session, store_id, 2, "order:2", "order_confirmation", "sent",
             [("failed", 131049)], created=now)
        live(session, store_id, 3, "checkout:9:1", "cart_recovery_1", "sent",
             [("delivered", None)], created=now - timedelta(days=2))


def _rows(page: str) -> list[list[str]]:
    figure = re.search(r'<figure class="chart" id="messages-per-day".*?</figure>', page, re.S)
    assert figure is not None
    return [re.findall(r'>([^<>]*)</t[hd]>', row)
            for row in re.findall(r"<tr>(.*?)</tr>", figure.group(0), re.S)]


def test_the_chart_table_has_every_day_with_its_figures(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    _history(app, store_id)
    page = owner.get(f"/stores/{store_id}/analytics?days=7").get_data(as_text=True)
    rows = _rows(page)
    assert rows[0] == ["Day", "Sent", "Delivered", "Read", "Failed"]
    with app.app_context():
        span = message_figures.period(db.session().get(Store, store_id), 7)
    days = [(span.first + timedelta(days=i)).isoformat() for i in range(7)]
    assert [r[0] for r in rows[1:]] == days
    by_day = {r[0]: r[1:] for r in rows[1:]}
    assert by_day[days[-1]] == ["2", "1", "1", "1"]  # both sent; the read one delivered
    assert by_day[days[-3]] == ["1", "1", "0", "0"]
    assert by_day[days[0]] == ["0", "0", "0", "0"]
    # The chart is drawn by the static module from this table: no inline script or style.
    assert 'data-chart="line"' in page and "/static/charts.js" in page
    assert "/static/vendor/chart.js-4.6.1/chart.umd.min.js" in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    assert " style=" not in page and "<style" not in page


def test_the_days_csv_is_the_chart_table(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    _history(app, store_id)
    page = owner.get(f"/stores/{store_id}/analytics?days=30").get_data(as_text=True)
    assert f'href="/stores/{store_id}/analytics/days.csv?days=30"' in page
    response = owner.get(f"/stores/{store_id}/analytics/days.csv?days=30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == message_days.COLUMNS
    assert rows[1:] == [[c.replace(",", "") for c in r] for r in _rows(page)[1:]]
    assert len(rows) == 31 and rows[-1][1:] == ["2", "1", "1", "1"]


def test_another_owners_days_answer_404(app: Flask, owner: FlaskClient) -> None:
    create_owner(app, "other@example.com")
    theirs = make_store(app, email="other@example.com", name="Other")
    assert owner.get(f"/stores/{theirs}/analytics/days.csv").status_code == 404


def test_the_api_gives_the_same_days(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "owner@example.com")
    ours = make_store(app)
    _history(app, ours)
    with app.app_context(), db.transaction() as session:
        _row, token = api_tokens.issue(session, ours, "r", Scope.READ, "test")
    response = call(client, "GET", f"/api/v1/analytics/messages/days?store={ours}&days=7",
                    token)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert body is not None and body["days"] == 7 and len(body["per_day"]) == 7
    last = body["per_day"][-1]
    assert last["day"] == body["last_day"]
    assert (last["sent"], last["delivered"], last["read"], last["failed"]) == (2, 1, 1, 1)
    assert sum(d["sent"] for d in body["per_day"]) == 3
