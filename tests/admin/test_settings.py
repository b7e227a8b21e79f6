"""The Store connection page (plugin/admin/settings.py): what the store is, whether it is
connected, when StoreChat last heard from it, and how to reconnect it, per platform."""
from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import InboundEvent, Owner, Store
from tests.conftest import create_owner, make_app, sign_in


def owner_id(app: Flask) -> int:
    """The id of the `owner` fixture's account."""
    with app.app_context():
        return db.session().scalars(select(Owner.id)).one()


def add_store(app: Flask, owner_id: int, **columns: object) -> int:
    with app.app_context(), db.transaction() as session:
        store = Store(owner_id=owner_id, **columns)
        session.add(store)
        session.flush()
        return store.id


def test_a_woocommerce_store_that_needs_reconnecting_says_why_and_how(
        app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app, owner_id(app), platform="woocommerce", domain="https://shop.example",
                         name="Linen & Co", status="reconnect-needed",
                         credentials=json.dumps({"problem": "Its address now redirects."}))
    page = owner.get(f"/stores/{store_id}/settings/connection")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Store connection</h1>" in html
    assert "WooCommerce" in html and "https://shop.example" in html
    assert "Needs reconnecting: nothing is sent until it is" in html
    assert "StoreChat stopped calling the store: Its address now redirects." in html
    assert 'action="/woocommerce/connect"' in html
    assert 'name="store_url" value="https://shop.example"' in html
    assert f'href="/woocommerce/stores/{store_id}"' in html  # the companion plugin's key
    assert "none yet" in html  # no event from the store so far


def test_the_last_event_from_the_store_is_shown(app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app, owner_id(app), platform="shopify", domain="acme.myshopify.com",
                         name="Acme")
    with app.app_context(), db.transaction() as session:
        session.add(InboundEvent(source="shopify", dedupe_key="e-1", store_id=store_id,
                                 topic="orders/create", body=b"{}"))
    html = owner.get(f"/stores/{store_id}/settings/connection").get_data(as_text=True)
    assert "Connected: StoreChat receives its events and sends its messages" in html
    assert "none yet" not in html and "Last event from the store" in html
    assert "Apps › StoreChat" in html


def test_the_demo_store_has_nothing_to_connect(app: Flask, owner: FlaskClient) -> None:
    with app.app_context(), db.transaction() as session:
        store_id = demo_store.get_or_create(session, owner_id(app)).id
    html = owner.get(f"/stores/{store_id}/settings/connection").get_data(as_text=True)
    assert "Demo store" in html and "Nothing to connect" in html
    assert 'href="/demo"' in html
    assert "Reconnect" not in html


def test_another_owners_store_connection_is_not_found(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    create_owner(app, "a@example.com")
    b = create_owner(app, "b@example.com")
    store_id = add_store(app, b, platform="woocommerce", domain="https://b.example", name="Bee")
    client = app.test_client()
    sign_in(client, "a@example.com")
    response = client.get(f"/stores/{store_id}/settings/connection")
    assert response.status_code == 404
    assert "Bee" not in response.get_data(as_text=True)
    app.extensions["storechat.engine"].dispose()
