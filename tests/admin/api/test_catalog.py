"""The catalog in the API: its status with counts and the sync's progress, items filtered,
searched and paged by cursor, a sync started (or the running one returned), failed items
retried by id or all, and nothing of another store seen or changed."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.auth import api_tokens
from plugin.auth.api_tokens import Scope
from plugin.infra import db
from plugin.models import CatalogItem, CatalogSync, ItemState, SyncState
from tests.admin.api.world import call
from tests.admin.catalog_rows import META_REFUSED, add_items, add_sync, connect_catalog
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner, make_app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """Jobs queued, not run inline: the rows the API writes are what is checked here."""
    application = make_app(tmp_path / "instance", queue_immediate=False)
    yield application
    application.extensions["storechat.engine"].dispose()


class Shops:
    """Two owners' stores; A's read-write token."""

    def __init__(self, app: Flask) -> None:
        create_owner(app, "owner@example.com")
        create_owner(app, "other@example.com")
        self.a = make_store(app)
        self.b = make_store(app, email="other@example.com", name="Other shop")
        with app.app_context(), db.transaction() as session:
            _row, self.token = api_tokens.issue(session, self.a, "sync", Scope.WRITE, "test")


@pytest.fixture
def shops(app: Flask) -> Shops:
    return Shops(app)


def get(client: FlaskClient, shops: Shops, path: str) -> Any:
    response = call(client, "GET", path, shops.token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_the_status_counts_items_and_shows_the_running_sync(
        app: Flask, client: FlaskClient, shops: Shops) -> None:
    empty = get(client, shops, "/api/v1/catalog")
    assert empty["connected"] is False and empty["sync"] is None
    assert empty["counts"]["total"] == 0
    with app.app_context():
        soon = db.utcnow() + timedelta(minutes=5)
    connect_catalog(app, shops.a, catalog_throttled_until=soon)
    add_items(app, shops.a, {ItemState.SYNCED: 2, ItemState.SENDING: 1, ItemState.FAILED: 1})
    add_items(app, shops.b, {ItemState.FAILED: 5}, start=100)
    add_sync(app, shops.a, SyncState.DONE)
    running = add_sync(app, shops.a, SyncState.SENDING, changed=11)
    add_sync(app, shops.b, SyncState.READING)
    status = get(client, shops, "/api/v1/catalog")
    assert (status["connected"], status["catalog_id"], status["catalog_name"]) == (
        True, "cat-991", "Linen & Co catalog")
    assert status["counts"] == {"synced": 2, "pending": 1, "kept_out": 0, "failed": 1,
                                "deleted": 0, "total": 4}
    assert status["throttled_until"].startswith(soon.strftime("%Y-%m-%dT%H:%M"))
    assert status["sync"]["id"] == running and status["sync"]["running"] is True
    assert status["sync"]["state_words"] == "Sending the changes to Meta"
    assert get(client, shops, f"/api/v1/catalog/syncs/{running}")["changed"] == 11


def test_items_are_filtered_searched_and_walked_by_cursor(
        app: Flask, client: FlaskClient, shops: Shops) -> None:
    ids = add_items(app, shops.a, {ItemState.SYNCED: 5, ItemState.FAILED: 2,
                                   ItemState.KEPT_OUT: 1})
    add_items(app, shops.b, {ItemState.SYNCED: 3}, start=100)
    seen: list[int] = []
    cursor = ""
    while True:
        page = get(client, shops, f"/api/v1/catalog/items?limit=3{cursor}")
        seen += [i["id"] for i in page["data"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == list(reversed(ids))
    failed = get(client, shops, "/api/v1/catalog/items?state=failed")["data"]
    assert [i["reason"] for i in failed] == [META_REFUSED] * 2
    assert failed[0]["price"] == "49.90 EUR" and failed[0]["availability"] == "in stock"
    kept = get(client, shops, "/api/v1/catalog/items?state=kept_out")["data"]
    assert kept[0]["price"] is None and "no image" in kept[0]["reason"]
    found = get(client, shops, f"/api/v1/catalog/items?q=sc-{shops.a}-4")["data"]
    assert [i["id"] for i in found] == [ids[4]]
    assert get(client, shops, f"/api/v1/catalog/items?q=sc-{shops.b}-100")["data"] == []
    bad = call(client, "GET", "/api/v1/catalog/items?q=a%09b&state=lost", shops.token)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"state"}
    bad = call(client, "GET", "/api/v1/catalog/items?q=a%09b", shops.token)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "q"


def test_a_sync_needs_a_catalog_and_is_started_once(
        app: Flask, client: FlaskClient, shops: Shops) -> None:
    refused = call(client, "POST", "/api/v1/catalog/syncs", shops.token, {"kind": "full"})
    assert refused.status_code == 409 and refused.json["code"] == "catalog_not_connected"
    connect_catalog(app, shops.a)
    first = call(client, "POST", "/api/v1/catalog/syncs", shops.token, {"kind": "full"})
    again = call(client, "POST", "/api/v1/catalog/syncs", shops.token, {"kind": "full"})
    assert first.status_code == again.status_code == 202
    assert first.json["id"] == again.json["id"] and first.json["state"] == "queued"
    other = call(client, "POST", "/api/v1/catalog/syncs", shops.token, {"kind": "reconcile"})
    assert other.json["kind"] == "reconcile" and other.json["id"] != first.json["id"]
    with app.app_context():
        rows = db.session().scalars(select(CatalogSync.store_id)).all()
    assert rows == [shops.a, shops.a]


def test_retry_by_ids_or_all_touches_only_this_stores_failed_items(
        app: Flask, client: FlaskClient, shops: Shops) -> None:
    mine = add_items(app, shops.a, {ItemState.FAILED: 3, ItemState.SYNCED: 1})
    theirs = add_items(app, shops.b, {ItemState.FAILED: 1}, start=100)
    retried = call(client, "POST", "/api/v1/catalog/items/retry", shops.token,
                   {"item_ids": [mine[0], mine[3], theirs[0]]})
    assert retried.status_code == 200 and retried.json == {"retried": 1}
    assert call(client, "POST", "/api/v1/catalog/items/retry", shops.token,
                {"all": True}).json == {"retried": 2}
    neither = call(client, "POST", "/api/v1/catalog/items/retry", shops.token, {})
    assert neither.status_code == 422
    both = call(client, "POST", "/api/v1/catalog/items/retry", shops.token,
                {"all": True, "item_ids": [1]})
    assert both.status_code == 422
    with app.app_context():
        states = dict(db.session().execute(select(CatalogItem.id, CatalogItem.state)).all())
    assert [states[i] for i in mine] == [ItemState.PENDING] * 3 + [ItemState.SYNCED]
    assert states[theirs[0]] == ItemState.FAILED
