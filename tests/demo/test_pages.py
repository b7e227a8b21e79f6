"""The landing page and the demo store's pages."""
from __future__ import annotations

import html
import json
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import ConsentEntry, Message, Order, Store
from plugin.pipeline.inbound import record_event
from tests.conftest import csrf_token


def _post(client: FlaskClient, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client, "/")}, **kwargs)


def _start(client: FlaskClient) -> str:
    response = _post(client, "/demo/start")
    assert response.status_code == 302
    return client.get("/demo").get_data(as_text=True)


def test_the_landing_page_offers_three_ways_in(owner: FlaskClient) -> None:
    client = owner
    html = client.get("/").get_data(as_text=True)
    for text in ("Connect a Shopify store", "Connect a WooCommerce store", "Try the demo store"):
        assert text in html
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_demo_store_is_created_once_with_consent(app: Flask, owner: FlaskClient) -> None:
    client = owner
    _start(client)
    _start(client)
    with app.app_context():
        session = db.session()
        assert session.scalar(select(func.count()).select_from(Store)) == 1
        consent = session.scalars(select(ConsentEntry)).one()
        assert consent.granted and consent.source == "demo"
    assert "Open the demo store" in client.get("/").get_data(as_text=True)


def test_the_demo_journey_from_the_buttons(app: Flask, owner: FlaskClient) -> None:
    client = owner
    _start(client)
    _post(client, "/demo/orders")
    for action in ("pay", "ship", "deliver"):
        html = client.get("/demo").get_data(as_text=True)
        [url] = [u for u in re.findall(r'action="(/demo/orders/\d+/\w+)"', html)
                 if u.endswith("/" + action)]
        assert _post(client, url).status_code == 302
    feed = client.get("/demo/feed").get_data(as_text=True)
    bubbles = re.findall(r'class="bubble[^"]*"[^>]*>\s*<p>(.*?)</p>', feed, re.S)
    # Paying sends nothing (the confirmation said thank you); shipping and delivery do.
    assert len(bubbles) == 3
    assert "thank you for your order" in bubbles[0].lower()
    assert "has been delivered" in bubbles[2]
    with app.app_context():
        assert db.session().scalars(select(Order)).one().status == "delivered"
        assert {m.state for m in db.session().scalars(select(Message))} == {"sent"}


def test_an_action_out_of_order_is_refused_with_a_message(app: Flask,
                                                          owner: FlaskClient) -> None:
    client = owner
    _start(client)
    _post(client, "/demo/orders")
    with app.app_context():
        order_id = db.session().scalars(select(Order.id)).one()
    response = _post(client, f"/demo/orders/{order_id}/deliver", follow_redirects=True)
    assert "“Deliver” is not possible for order #" in html.unescape(
        response.get_data(as_text=True))
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Message)) == 1


def test_demo_pages_before_the_demo_exists(owner: FlaskClient) -> None:
    client = owner
    assert client.get("/demo").status_code == 302
    assert client.get("/demo/feed").status_code == 404
    assert _post(client, "/demo/orders").status_code == 404
    assert _post(client, "/demo/orders/1/pay").status_code == 404


def test_product_names_are_escaped_in_the_preview(app: Flask, owner: FlaskClient) -> None:
    client = owner
    _start(client)
    with app.app_context():
        store = demo_store.find(db.session(), owner_id=1)
        name = 'Tom & Jerry #1 — 50% "off" 🎉 <b>mug</b>'
        order = {"id": "x1", "number": "7", "status": "placed", "currency": "EUR",
                 "total": "1.00", "customer": dict(demo_store.DEMO_CUSTOMER, first_name=name)}
        record_event(source="demo", dedupe_key="x1", topic="orders/create",
                     body=json.dumps(order).encode(), store_id=store.id)
    html = client.get("/demo/feed").get_data(as_text=True)
    assert "&lt;b&gt;mug&lt;/b&gt;" in html
    assert "<b>mug</b>" not in html


def test_a_store_that_must_reconnect_says_how(app: Flask, owner: FlaskClient) -> None:
    with app.app_context(), db.transaction() as session:
        session.add(Store(platform="shopify", domain="acme.myshopify.com", name="Acme",
                          owner_id=1, status="reconnect-needed"))
    html = owner.get("/").get_data(as_text=True)
    assert "Acme" in html and "to reconnect" in html


def test_the_shopify_card_says_what_to_configure(owner: FlaskClient) -> None:
    html = owner.get("/").get_data(as_text=True)
    assert "SHOPIFY_API_KEY" in html
    assert 'action="/shopify/install"' not in html
