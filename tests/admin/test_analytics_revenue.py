"""The Analytics page's revenue parts: attributed revenue per flow and currency with links
to the orders behind each figure, the drill-down page and its CSV, the revenue, ads and lift
CSVs, the settings form (validated, each problem on its field), the same figures in the API;
another owner's store answers 404 everywhere."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html import unescape

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.auth import api_tokens
from plugin.auth.api_tokens import Scope
from plugin.infra import db
from plugin.models import OrderAttribution, Store
from plugin.pipeline import revenue_figures, rollups
from tests.admin.api.world import call
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner, csrf_token
from tests.worlds.attribution import attributed_order


def _orders(app: Flask, store_id: int) -> dict[str, int]:
    """Three attributed orders: two by cart recovery (EUR, USD), one by an order journey."""
    rollups.forget_zones()
    return {
        "recovery-eur": attributed_order(app, store_id, 1, cause="checkout:5:1",
                                         step="cart_recovery_1", total="398.00",
                                         name="Lucía"),
        "recovery-usd": attributed_order(app, store_id, 2, cause="checkout:6:1",
                                         step="cart_recovery_2", total="20.5",
                                         currency="USD", name="Ana"),
        "journey": attributed_order(app, store_id, 3, cause="order:77",
                                    step="order_shipped", total="12.00", name="Rui"),
    }


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", unescape(html)))


def test_the_page_shows_revenue_per_flow_and_currency_with_its_orders(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    _orders(app, store_id)
    page = unescape(owner.get(f"/stores/{store_id}/analytics?days=7").get_data(as_text=True))
    row = re.search(r'<tr data-flow="recovery" data-currency="EUR">(.*?)</tr>', page, re.S)
    assert row is not None
    assert "Cart recovery" in _text(row.group(1)) and "€398.00" in _text(row.group(1))
    assert (f'href="/stores/{store_id}/analytics/orders?days=7&flow=recovery&currency=EUR"'
            in row.group(1).replace("&amp;", "&"))
    assert 'data-flow="recovery" data-currency="USD"' in page
    assert 'data-flow="journey:order_shipped" data-currency="EUR"' in page
    totals = _text(re.search(r'id="revenue-totals">(.*?)</p>', page, re.S).group(1))  # type: ignore[union-attr]
    assert "€410.00 from 2 orders" in totals and "$20.50 from 1 order" in totals
    assert 'id="lift-empty"' in page and 'id="ads-empty"' in page
    assert 'name="click_days"' in page and 'value="5"' in page and 'value="12"' in page


def test_the_drill_down_lists_each_order_with_the_message_that_earned_it(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    ids = _orders(app, store_id)
    page = owner.get(f"/stores/{store_id}/analytics/orders?days=7&flow=recovery&currency=EUR")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = re.findall(r'<tr data-order="([^"]+)">(.*?)</tr>', html, re.S)
    assert [number for number, _ in rows] == ["2001"]
    cells = _text(rows[0][1])
    assert "€398.00" in cells and "Lucía" in cells and "Cart recovery" in cells
    assert f"#{ids['recovery-eur']}" in cells and "read" in cells
    everything = owner.get(f"/stores/{store_id}/analytics/orders?days=7").get_data(
        as_text=True)
    assert sorted(re.findall(r'<tr data-order="([^"]+)">', everything)) == [
        "2001", "2002", "2003"]
    response = owner.get(f"/stores/{store_id}/analytics/orders.csv?days=7&flow=recovery")
    assert response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(table[0]) == revenue_figures.ORDER_COLUMNS
    assert sorted((r[0], r[1], r[2], r[3], r[4], r[7]) for r in table[1:]) == [
        ("2001", "398.00", "EUR", "Lucía", "Cart recovery", "read"),
        ("2002", "20.5", "USD", "Ana", "Cart recovery", "read")]


def test_the_list_since_a_day_reaches_past_the_longest_period(
        app: Flask, owner: FlaskClient) -> None:
    """A campaign's page links to its orders since the day it started, however old: an
    order attributed 120 days ago is in the list since then and in none of the periods."""
    store_id = make_store(app)
    _orders(app, store_id)
    with app.app_context(), db.transaction() as session:
        old = session.scalars(select(OrderAttribution).where(
            OrderAttribution.store_id == store_id, OrderAttribution.flow == "recovery",
            OrderAttribution.currency == "USD")).one()
        old.day = old.day - timedelta(days=120)
        since = old.day.isoformat()
    base = f"/stores/{store_id}/analytics/orders"

    def listed(query: str) -> list[str]:
        html = owner.get(f"{base}?{query}").get_data(as_text=True)
        return sorted(re.findall(r'<tr data-order="([^"]+)">', html))

    assert listed("days=90&flow=recovery") == ["2001"]
    assert listed(f"since={since}&flow=recovery") == ["2001", "2002"]
    page = unescape(owner.get(f"{base}?since={since}&flow=recovery").get_data(as_text=True))
    assert f"the orders placed from {since} to" in page
    assert f"since={since}" in re.search(r'id="orders-csv" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    table = owner.get(f"{base}.csv?since={since}&flow=recovery").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(table)))) == 3  # the header and both orders
    refused = owner.get(f"{base}?since=last-spring")
    assert refused.status_code == 400
    assert "YYYY-MM-DD" in refused.get_data(as_text=True)


def test_the_revenue_csv_is_the_table(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    _orders(app, store_id)
    response = owner.get(f"/stores/{store_id}/analytics/revenue.csv?days=30")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == revenue_figures.COLUMNS
    assert sorted(map(tuple, rows[1:])) == [
        ("Cart recovery", "EUR", "1", "398.00"), ("Cart recovery", "USD", "1", "20.50"),
        ("Order journey: order shipped", "EUR", "1", "12.00")]
    for name in ("ads", "lift"):
        assert owner.get(f"/stores/{store_id}/analytics/{name}.csv").status_code == 200


def test_the_settings_are_checked_then_saved(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    token = csrf_token(owner, f"/stores/{store_id}/analytics")
    url = f"/stores/{store_id}/analytics/settings"
    refused = owner.post(url, data={"csrf_token": token, "click_days": "0",
                                    "read_hours": "abc", "holdout_percent": "60"})
    assert refused.status_code == 400
    html = unescape(refused.get_data(as_text=True))
    assert "Enter a whole number of days from 1 to 30." in html
    assert "Enter a whole number of hours from 1 to 72." in html
    assert "Enter a whole percentage from 0 to 50." in html
    assert 'value="abc"' in html  # what was typed stays in the form
    saved = owner.post(url, data={"csrf_token": token, "click_days": "7", "read_hours": "24",
                                  "holdout_percent": "10"})
    assert saved.status_code == 303
    with app.app_context():
        store = db.session().get_one(Store, store_id)
        assert (store.attribution_click_days, store.attribution_read_hours,
                store.recovery_holdout_percent) == (7, 24, 10)


def test_another_owners_revenue_answers_404(app: Flask, owner: FlaskClient) -> None:
    create_owner(app, "other@example.com")
    theirs = make_store(app, email="other@example.com", name="Other")
    _orders(app, theirs)
    for path in ("orders", "orders.csv", "revenue.csv", "ads.csv", "lift.csv"):
        assert owner.get(f"/stores/{theirs}/analytics/{path}").status_code == 404, path
    token = csrf_token(owner, "/")
    assert owner.post(f"/stores/{theirs}/analytics/settings", data={
        "csrf_token": token, "click_days": "1", "read_hours": "1",
        "holdout_percent": "0"}).status_code == 404


def test_the_api_gives_the_same_figures_and_orders(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "owner@example.com")
    create_owner(app, "other@example.com")
    ours = make_store(app)
    theirs = make_store(app, email="other@example.com", name="Other")
    ids = _orders(app, ours)
    with app.app_context(), db.transaction() as session:
        _row, token = api_tokens.issue(session, ours, "r", Scope.READ, "test")
    body = call(client, "GET", f"/api/v1/analytics/revenue?store={ours}&days=7", token).json
    assert body is not None and body["windows"] == {"click_days": 5, "read_hours": 12}
    assert sorted((f["flow"], f["currency"], f["orders"], f["revenue"])
                  for f in body["flows"]) == [
        ("journey:order_shipped", "EUR", 1, "12.00"), ("recovery", "EUR", 1, "398.00"),
        ("recovery", "USD", 1, "20.50")]
    assert body["totals"]["EUR"]["revenue"] == "410.00"
    listed = call(client, "GET", f"/api/v1/analytics/revenue/orders?store={ours}&days=7"
                                 "&flow=recovery&currency=EUR", token).json
    assert listed is not None and listed["total"] == 1
    [order] = listed["orders"]
    assert (order["number"], order["amount"], order["message_id"], order["touch"],
            order["customer"]) == ("2001", "398.00", ids["recovery-eur"], "read", "Lucía")
    for path in ("ads", "lift"):
        response = call(client, "GET", f"/api/v1/analytics/{path}?store={ours}", token)
        assert response.status_code == 200
    for path in ("revenue", "revenue/orders", "ads", "lift"):
        other = call(client, "GET", f"/api/v1/analytics/{path}?store={theirs}", token)
        assert other.status_code == 404, path
