"""The catalog page: the connected catalog or the way to connect one, the sync's progress,
items counted and filtered by state, searched and paged without loading them all, reasons
in words, retry and sync-now writing their rows, throttling, tenancy and bad input."""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugin.admin.catalog import PAGE_SIZE
from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import (
    CatalogItem,
    CatalogSync,
    ItemState,
    Owner,
    SyncKind,
    SyncState,
    WhatsAppAccount,
)
from tests.admin.catalog_rows import (
    META_REFUSED,
    NO_IMAGE,
    WARNING,
    add_batch,
    add_items,
    add_sync,
    connect_catalog,
    item,
)
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner, csrf_token, make_app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """Jobs are queued, not run inline: this page's business is the rows it writes, and
    the catalog engine (tested on its own) must not move them under the assertions."""
    application = make_app(tmp_path / "instance", queue_immediate=False)
    yield application
    application.extensions["storechat.engine"].dispose()


@pytest.fixture
def store_id(app: Flask, owner: FlaskClient) -> int:
    return make_store(app)


def page_of(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:400])
    return html.unescape(response.get_data(as_text=True))


def rows_in(page: str) -> list[str]:
    """The item ids of the table's rows, in order."""
    return re.findall(r'<tr id="item-(\d+)"', page)


def test_a_store_without_a_number_or_catalog_is_told_where_to_connect_one(
        app: Flask, owner: FlaskClient, store_id: int) -> None:
    page = page_of(owner, f"/stores/{store_id}/catalog")
    assert 'id="no-catalog"' in page and "try a sandbox catalog first" in page
    assert f'href="/stores/{store_id}/whatsapp"' in page
    assert 'id="sync-now"' not in page  # nothing to sync to
    assert "No items yet" in page and "Connect a catalog first" in page
    # Nothing to count, filter or list yet: only what to do first.
    assert 'id="counts"' not in page and 'id="batches"' not in page
    assert 'role="search"' not in page
    # The nav lists the section now that its page exists, marked current.
    assert re.search(r'<a href="/stores/\d+/catalog" aria-current="page">Catalog</a>', page)

    connect_catalog(app, store_id, catalog_id=None)
    page = page_of(owner, f"/stores/{store_id}/catalog")
    assert "No catalog is connected to this store's WhatsApp number yet" in page
    assert "Connect a catalog in the WhatsApp settings" in page
    with app.app_context(), db.transaction() as session:
        account = session.scalars(select(WhatsAppAccount)).one()
        account.catalog_id, account.catalog_name = "cat-1", "Linen"
    page = page_of(owner, f"/stores/{store_id}/catalog")
    assert "No sync has run yet" in page and 'id="sync-now"' in page
    assert "Use “Sync now” to read the store's products" in page
    assert 'id="no-batches"' in page and 'id="counts"' not in page


def test_a_connected_catalog_shows_its_sync_counts_items_and_batches(
        app: Flask, owner: FlaskClient, store_id: int) -> None:
    connect_catalog(app, store_id)
    add_sync(app, store_id, SyncState.DONE)
    add_items(app, store_id, {ItemState.SYNCED: 4, ItemState.PENDING: 2, ItemState.SENDING: 1,
                              ItemState.KEPT_OUT: 2, ItemState.FAILED: 3})
    add_batch(app, store_id, error=None)
    page = page_of(owner, f"/stores/{store_id}/catalog")
    assert "Linen & Co catalog" in page and "(ID cat-991)" in page
    assert "Shown on your number's profile; shoppers can send a cart" in page
    assert "Last sync" in page and ">Finished<" in page and "Full sync" in page
    for field, value in (("products", 120), ("variants", 310), ("changed", 42),
                         ("kept_out", 3), ("deleted", 1)):
        assert f'data-sync-field="{field}">{value}<' in page
    assert "data-poll-url" not in page  # a finished sync is not polled
    counts = dict(re.findall(r'data-count="(\w+)">([\d,]+)<', page))
    assert counts == {"synced": "4", "pending": "3", "kept_out": "2", "failed": "3",
                      "deleted": "0"}
    assert "<strong>12</strong> All items" in page
    assert page.count(NO_IMAGE) == 2 and page.count(META_REFUSED) == 3
    assert page.count('name="item_id"') == 3  # a Retry per failed item only
    assert 'id="retry-all"' in page and "3 items were refused by Meta" in page
    assert "AcxBatchHandle01" in page and ">Checked<" in page


def test_a_running_sync_polls_its_progress_through_the_api(
        app: Flask, owner: FlaskClient, store_id: int) -> None:
    connect_catalog(app, store_id)
    add_sync(app, store_id, SyncState.DONE)
    running = add_sync(app, store_id, SyncState.READING, products=7, variants=19)
    page = page_of(owner, f"/stores/{store_id}/catalog")
    assert "Sync in progress" in page and ">Reading products<" in page
    assert f'data-poll-url="/api/v1/catalog?store={store_id}"' in page
    assert f'data-sync-id="{running}"' in page
    assert '<script src="/static/catalog.js">' in page
    status = owner.get(f"/api/v1/catalog?store={store_id}").json
    assert status["sync"]["id"] == running and status["sync"]["running"] is True
    assert (status["sync"]["products"], status["sync"]["variants"]) == (7, 19)


def test_filters_and_search_find_items_by_state_title_and_retailer_id(
        app: Flask, owner: FlaskClient, store_id: int) -> None:
    connect_catalog(app, store_id)
    ids = add_items(app, store_id, {ItemState.SYNCED: 3, ItemState.KEPT_OUT: 1,
                                    ItemState.FAILED: 2, ItemState.DELETING: 1})
    with app.app_context(), db.transaction() as session:
        session.add(item(store_id, 50, ItemState.FAILED, title="Café 100% lin_bleu",
                         warnings=[WARNING, {"message": "Brand is missing."}]))
    url = f"/stores/{store_id}/catalog"
    failed = page_of(owner, f"{url}?state=failed")
    assert len(rows_in(failed)) == 3 and "Items: Refused by Meta" in failed
    assert WARNING in failed and "Brand is missing." in failed
    assert len(rows_in(page_of(owner, f"{url}?state=pending"))) == 1  # deleting counts
    kept = page_of(owner, f"{url}?state=kept_out")
    assert rows_in(kept) == [str(ids[3])] and NO_IMAGE in kept
    # Title words, any case; LIKE's own wildcards are plain characters.
    assert len(rows_in(page_of(owner, f"{url}?q=café"))) == 1
    assert len(rows_in(page_of(owner, f"{url}?q=100%25"))) == 1
    assert len(rows_in(page_of(owner, f"{url}?q=n_b"))) == 1
    assert len(rows_in(page_of(owner, f"{url}?q=%25"))) == 1
    # An exact retailer id, combined with a state.
    assert rows_in(page_of(owner, f"{url}?q=sc-{store_id}-1")) == [str(ids[1])]
    assert rows_in(page_of(owner, f"{url}?q=sc-{store_id}-1&state=failed")) == []
    nothing = page_of(owner, f"{url}?q=velvet")
    assert 'id="no-items"' in nothing and "No item matches “velvet”" in nothing


def test_items_are_paged_newest_first_without_gaps_or_repeats(
        app: Flask, owner: FlaskClient, store_id: int) -> None:
    connect_catalog(app, store_id)
    ids = add_items(app, store_id, {ItemState.SYNCED: PAGE_SIZE * 2 + 7})
    seen: list[str] = []
    url = f"/stores/{store_id}/catalog"
    pages = 0
    while url:
        page = page_of(owner, url)
        rows = rows_in(page)
        assert len(rows) <= PAGE_SIZE
        seen += rows
        pages += 1
        found = re.search(r'href="([^"]+)" rel="next"', page)
        url = found.group(1) if found else ""
    assert pages == 3
    assert seen == [str(i) for i in reversed(ids)]
    # A page beyond the last, by a cursor below every id, is simply empty.
    assert 'id="no-items"' in page_of(owner, f"/stores/{store_id}/catalog?after=1")


@pytest.mark.parametrize("query, words", [
    ("after=99999999999999999999", "This page of the list does not exist"),
    ("after=-3", "This page of the list does not exist"),
    ("after=²", "This page of the list does not exist"),
    ("state=everything", "no such item state"),
    ("q=" + "x" * 151, "at most 150 characters"),
    ("q=shirt%00", "NUL character"),
    ("q=shirt%07bell", "control character"),
])
def test_bad_input_is_a_clear_400(owner: FlaskClient, store_id: int, query: str,
                                  words: str) -> None:
    page = page_of(owner, f"/stores/{store_id}/catalog?{query}", status=400)
    assert words in page


def test_retry_one_and_retry_all_make_failed_items_pending_again(
        app: Flask, owner: FlaskClient, store_id: int) -> None:
    connect_catalog(app, store_id)
    ids = add_items(app, store_id, {ItemState.FAILED: 3, ItemState.SYNCED: 1})
    token = csrf_token(owner, f"/stores/{store_id}/catalog")
    url = f"/stores/{store_id}/catalog/retry"
    response = owner.post(url, data={"csrf_token": token, "item_id": ids[0],
                                     "back_state": "failed"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/catalog?state=failed")
    assert "1 item will be sent to Meta again" in page_of(owner, f"/stores/{store_id}/catalog")
    assert states(app) == [ItemState.PENDING, ItemState.FAILED, ItemState.FAILED,
                           ItemState.SYNCED]
    # A synced item is not "retried".
    owner.post(url, data={"csrf_token": token, "item_id": ids[3]})
    assert "Nothing to retry" in page_of(owner, f"/stores/{store_id}/catalog")
    owner.post(url, data={"csrf_token": token})
    assert "2 items will be sent to Meta again" in page_of(owner, f"/stores/{store_id}/catalog")
    assert states(app) == [ItemState.PENDING] * 3 + [ItemState.SYNCED]
    assert owner.post(url, data={"csrf_token": token, "item_id": "abc"}).status_code == 400
    # Without the CSRF token, nothing happens.
    assert owner.post(url, data={}).status_code == 400


def states(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session().scalars(select(CatalogItem.state).order_by(CatalogItem.id)))


def test_sync_now_and_check_against_meta_write_one_sync_each(
        app: Flask, owner: FlaskClient, store_id: int) -> None:
    token = csrf_token(owner, f"/stores/{store_id}/catalog")
    url = f"/stores/{store_id}/catalog/sync"
    owner.post(url, data={"csrf_token": token, "kind": "full"})
    assert "Connect a catalog in the WhatsApp settings first" in page_of(
        owner, f"/stores/{store_id}/catalog")
    assert syncs(app) == []

    connect_catalog(app, store_id)
    assert owner.post(url, data={"csrf_token": token, "kind": "full"}).status_code == 303
    assert "Full sync started" in page_of(owner, f"/stores/{store_id}/catalog")
    owner.post(url, data={"csrf_token": token, "kind": "full"})  # asked twice: the same
    assert "Full sync is already under way" in page_of(owner, f"/stores/{store_id}/catalog")
    owner.post(url, data={"csrf_token": token, "kind": "reconcile"})
    assert "Check against Meta started" in page_of(owner, f"/stores/{store_id}/catalog")
    assert syncs(app) == [(SyncKind.FULL, SyncState.QUEUED, "owner"),
                          (SyncKind.RECONCILE, SyncState.QUEUED, "owner")]
    assert owner.post(url, data={"csrf_token": token, "kind": "all"}).status_code == 400


def syncs(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [tuple(r) for r in db.session().execute(  # type: ignore[misc]
            select(CatalogSync.kind, CatalogSync.state, CatalogSync.trigger)
            .order_by(CatalogSync.id))]


def test_meta_throttling_is_shown_only_while_it_lasts(
        app: Flask, owner: FlaskClient, store_id: int) -> None:
    with app.app_context():
        now = db.utcnow()
    account = connect_catalog(app, store_id, catalog_throttled_until=now + timedelta(minutes=9))
    page = page_of(owner, f"/stores/{store_id}/catalog")
    assert 'id="throttled"' in page and "Meta asked StoreChat to slow down" in page
    assert "(in 9 min)" in page
    with app.app_context(), db.transaction() as session:
        row = session.get(WhatsAppAccount, account)
        assert row is not None
        row.catalog_throttled_until = now - timedelta(minutes=1)
    assert 'id="throttled"' not in page_of(owner, f"/stores/{store_id}/catalog")


def test_another_owners_catalog_answers_404_and_is_never_changed(
        app: Flask, owner: FlaskClient, store_id: int) -> None:
    create_owner(app, "other@example.com")
    other = make_store(app, email="other@example.com", name="Other shop")
    connect_catalog(app, other, name="Secret catalog")
    add_items(app, other, {ItemState.FAILED: 2}, start=900)
    body = page_of(owner, f"/stores/{other}/catalog", status=404)
    assert "Secret catalog" not in body
    token = csrf_token(owner, f"/stores/{store_id}/catalog")
    assert owner.post(f"/stores/{other}/catalog/retry",
                      data={"csrf_token": token}).status_code == 404
    assert owner.post(f"/stores/{other}/catalog/sync",
                      data={"csrf_token": token, "kind": "full"}).status_code == 404
    assert states(app) == [ItemState.FAILED] * 2
    with app.app_context():
        assert db.session().scalar(select(func.count(CatalogSync.id))) == 0
    # Nor does retrying in one's own store touch another store's item by its id.
    other_ids = add_items(app, other, {ItemState.FAILED: 1}, start=950)
    owner.post(f"/stores/{store_id}/catalog/retry",
               data={"csrf_token": token, "item_id": other_ids[0]})
    assert states(app) == [ItemState.FAILED] * 3


def test_the_demo_store_shows_its_built_in_sandbox_catalog(app: Flask,
                                                          owner: FlaskClient) -> None:
    """The demo store syncs to a sandbox catalog without any number: the page says so and
    offers the sync, instead of asking for a number first."""
    with app.app_context(), db.transaction() as session:
        owner_id = session.scalars(select(Owner.id)).one()
        demo_id = demo_store.get_or_create(session, owner_id).id
    page = page_of(owner, f"/stores/{demo_id}/catalog")
    assert 'id="sandbox-catalog"' in page and f"(ID sandbox-{demo_id})" in page
    assert 'id="no-catalog"' not in page and 'id="sync-now"' in page
    status = owner.get(f"/api/v1/catalog?store={demo_id}").get_json()
    assert (status["connected"], status["sandbox"], status["catalog_id"]) == (
        True, True, f"sandbox-{demo_id}")


def test_the_demo_stores_whatsapp_page_shows_its_catalog_instead_of_offering_one(
        app: Flask, owner: FlaskClient) -> None:
    with app.app_context(), db.transaction() as session:
        owner_id = session.scalars(select(Owner.id)).one()
        demo_id = demo_store.get_or_create(session, owner_id).id
    page = page_of(owner, f"/stores/{demo_id}/whatsapp")
    assert 'id="catalog-builtin"' in page and f"sandbox-{demo_id}" in page
    assert 'id="catalog-sandbox-offer"' not in page
