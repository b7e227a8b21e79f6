"""The Analytics page, its CSV and the same figures in the API: per flow, from the rollups
the outbox kept; rates with their denominators; the CSV is the table; another owner's store
answers 404 on the page, the CSV and the API."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from html import unescape

from flask import Flask
from flask.testing import FlaskClient

from plugin.auth import api_tokens
from plugin.auth.api_tokens import Scope
from plugin.infra import db
from plugin.models import Customer, Store
from plugin.pipeline import message_figures, reactions, rollups
from tests.admin.api.world import call
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner
from tests.worlds.analytics import live


def _messages(app: Flask, store_id: int) -> None:
    """Three order confirmations (one read, one delivered, one failed with 131049), a cart
    recovery message skipped for consent, and a campaign message sent."""
    rollups.forget_zones()
    with app.app_context(), db.transaction() as session:
        step = "order_confirmation"
        live(session, store_id, 1, "order:1", step, "sent", [("read", None)])
        live(session, store_id, 2, "order:2", step, "sent",
             [("delivered", None), ("delivered", None)])
        live(session, store_id, 3, "order:3", step, "sent", [("failed", 131049)])
        live(session, store_id, 4, "checkout:9:1", "cart_recovery_1", "skipped_at_write", [])
        live(session, store_id, 5, "campaign:12", "c", "sent_batch", [])


def test_the_page_shows_each_flow_with_rates_and_their_denominators(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    _messages(app, store_id)
    page = unescape(owner.get(f"/stores/{store_id}/analytics?days=7").get_data(as_text=True))
    row = re.search(r'<tr data-flow="journey:order_confirmation">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))
    assert "Order journey: order confirmation" in cells
    assert "2 (66.7% of 3 sent)" in cells  # delivered: the read one and the delivered one
    assert "1 (50.0% of 2 delivered)" in cells
    assert "1 (33.3% of 3 attempted)" in cells and "131049: 1" in cells
    assert 'data-flow="recovery"' in page and "no consent: 1" in page
    assert 'data-flow="campaign:12"' in page and "Campaign #12" in page
    assert f'href="/stores/{store_id}/analytics/messages.csv?days=7"' in page


def test_the_csv_is_the_table(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    _messages(app, store_id)
    response = owner.get(f"/stores/{store_id}/analytics/messages.csv?days=30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == message_figures.COLUMNS
    with app.app_context():
        store = db.session().get(Store, store_id)
        _period, lines = message_figures.figures(db.session(), store, 30)
    assert rows[1:] == message_figures.table_rows(lines)
    by_flow = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    journey = by_flow["Order journey: order confirmation"]
    assert (journey["sent"], journey["delivered"], journey["read"], journey["failed"]) == (
        "3", "2", "1", "1")
    assert by_flow["Cart recovery"]["skipped_reasons"] == "no consent: 1"


def test_a_period_not_offered_is_refused(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    assert owner.get(f"/stores/{store_id}/analytics?days=8").status_code == 400


def test_another_owners_analytics_answer_404(app: Flask, owner: FlaskClient) -> None:
    create_owner(app, "other@example.com")
    theirs = make_store(app, email="other@example.com", name="Other")
    _messages(app, theirs)
    assert owner.get(f"/stores/{theirs}/analytics").status_code == 404
    assert owner.get(f"/stores/{theirs}/analytics/messages.csv").status_code == 404


def test_the_api_gives_the_same_figures_and_nothing_of_another_store(
        app: Flask, client: FlaskClient) -> None:
    create_owner(app, "owner@example.com")
    create_owner(app, "other@example.com")
    ours = make_store(app)
    theirs = make_store(app, email="other@example.com", name="Other")
    _messages(app, ours)
    with app.app_context(), db.transaction() as session:
        _row, token = api_tokens.issue(session, ours, "r", Scope.READ, "test")
    response = call(client, "GET", f"/api/v1/analytics/messages?store={ours}&days=7", token)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert body is not None and body["days"] == 7
    flows = {f["flow"]: f for f in body["flows"]}
    journey = flows["journey:order_confirmation"]
    assert (journey["sent"], journey["delivered"], journey["read"], journey["failed"]) == (
        3, 2, 1, 1)
    assert journey["delivery_rate"] == {"percent": 66.7, "part": 2, "whole": 3}
    assert journey["failed_reasons"] == {"131049": 1}
    assert flows["recovery"]["skipped_reasons"] == {"no consent": 1}
    other = call(client, "GET", f"/api/v1/analytics/messages?store={theirs}", token)
    assert other.status_code == 404


def _reactions(app: Flask, store_id: int) -> None:
    """Three order confirmations to one shopper (read, delivered, failed with 131049): the
    read one clicked, the delivered one (the last received) replied to and followed by a
    STOP."""
    rollups.forget_zones()
    sent = datetime(2026, 12, 1, 12)
    with app.app_context(), db.transaction() as session:
        customer = Customer(store_id=store_id, platform_id="c1", tags=[])
        session.add(customer)
        session.flush()
        step = "order_confirmation"
        first = live(session, store_id, 1, "order:1", step, "sent", [("read", None)],
                     customer_id=customer.id, sent=sent)
        live(session, store_id, 2, "order:2", step, "sent", [("delivered", None)],
             customer_id=customer.id, sent=sent + timedelta(hours=1))
        live(session, store_id, 3, "order:3", step, "sent", [("failed", 131049)],
             customer_id=customer.id, sent=sent + timedelta(hours=2))
        assert reactions.clicked(session, first, sent + timedelta(hours=3))
        assert reactions.replied(session, store_id, customer.id, sent + timedelta(hours=3))
        assert reactions.opted_out(session, store_id, customer.id, sent + timedelta(hours=4))


def test_clicked_replied_opted_out_and_limited_show_with_their_denominators(
        app: Flask, owner: FlaskClient, client: FlaskClient) -> None:
    store_id = make_store(app)
    _reactions(app, store_id)
    page = unescape(owner.get(f"/stores/{store_id}/analytics?days=7").get_data(as_text=True))
    row = re.search(r'<tr data-flow="journey:order_confirmation">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = {m.group(1): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(2))).strip()
             for m in re.finditer(r'data-figure="(\w+)"[^>]*>(.*?)</td>', row.group(1), re.S)}
    assert cells["limited"] == "1 (33.3% of 3 attempted)"
    assert cells["clicked"] == "1 (50.0% of 2 delivered)"
    assert cells["replied"] == "1 (50.0% of 2 delivered)"
    assert cells["opted_out"] == "1 (50.0% of 2 delivered)"
    assert 'id="reactions-rule"' in page and "within 24 hours" in page
    rows = list(csv.reader(io.StringIO(owner.get(
        f"/stores/{store_id}/analytics/messages.csv?days=7").get_data(as_text=True))))
    journey = dict(zip(rows[0], rows[1], strict=True))
    assert (journey["limited_by_meta"], journey["clicked"], journey["click_rate_percent"],
            journey["replied"], journey["opted_out"]) == ("1", "1", "50.0", "1", "1")
    with app.app_context(), db.transaction() as session:
        _row, token = api_tokens.issue(session, store_id, "r", Scope.READ, "test")
    body = call(client, "GET", f"/api/v1/analytics/messages?store={store_id}&days=7",
                token).json
    assert body is not None
    flow = body["flows"][0]
    assert (flow["limited"], flow["clicked"], flow["replied"], flow["opted_out"]) == (1, 1, 1, 1)
    assert flow["click_rate"] == {"percent": 50.0, "part": 1, "whole": 2}
    assert flow["limited_rate"] == {"percent": 33.3, "part": 1, "whole": 3}
