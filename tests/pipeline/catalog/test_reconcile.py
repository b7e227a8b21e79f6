"""Reconciliation deletes what only Meta has and re-sends what drifted; the housekeeping
asks for it once a day per catalog."""
from __future__ import annotations

from dataclasses import replace

from flask import Flask
from sqlalchemy import select

from plugin.domain.catalog_batches import Method
from plugin.infra import db
from plugin.models import CatalogItem, CatalogSync, ItemState, Store, SyncKind, SyncState
from plugin.pipeline import sweep
from plugin.pipeline.catalog import batches, runner, upkeep
from plugin.pipeline.catalog.requests import request_sync
from tests.fakes.catalog_gateway import MetaLikeCatalog
from tests.pipeline.catalog.conftest import Shop, later, product


def _run(app: Flask, shop: Shop, kind: str) -> CatalogSync:
    with app.app_context():
        with db.transaction() as session:
            sync_id = request_sync(session, session.get(Store, shop.id), kind=kind).id
        with db.transaction() as session:
            ids = set(session.scalars(select(CatalogItem.batch_id)
                                      .where(CatalogItem.batch_id.is_not(None))))
        for batch_id in ids:
            batches.check_batch(batch_id)
        with db.transaction() as session:
            sync = session.get(CatalogSync, sync_id)
            session.expunge(sync)
    return sync


def test_reconciliation_deletes_orphans_and_resends_drift(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    cloud_shop.source.products_list = [product(f"p{n}") for n in range(40)]
    _run(app, cloud_shop, SyncKind.FULL)
    drifted = f"{cloud_shop.id}-p7-v1"
    meta.items[drifted] = replace(meta.items[drifted], price="1.00 EUR")  # edited in Meta
    meta.items["old-plugin-123"] = replace(meta.items[drifted], retailer_id="old-plugin-123")
    sent = len(meta.sent())
    sync = _run(app, cloud_shop, SyncKind.RECONCILE)
    assert sync.state == SyncState.DONE
    assert (sync.variants, sync.deleted, sync.changed) == (41, 1, 1)
    assert meta.calls.count("list_items") == 2  # paged: 25 + 16
    assert sorted((r.method, r.retailer_id) for r in meta.sent()[sent:]) == \
        [(Method.DELETE, "old-plugin-123"), (Method.UPDATE, drifted)]
    assert "old-plugin-123" not in meta.items
    assert meta.items[drifted].price == "12.50 EUR"
    orphan = cloud_shop.row("orphan:old-plugin-123")
    assert orphan.state == ItemState.DELETED
    # Nothing left to fix: a second reconciliation sends nothing.
    sent = len(meta.sent())
    again = _run(app, cloud_shop, SyncKind.RECONCILE)
    assert (again.deleted, again.changed) == (0, 0) and len(meta.sent()) == sent


def test_an_item_meta_still_lists_after_we_deleted_it_is_deleted_again(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    cloud_shop.source.products_list = [product("p1"), product("p2")]
    _run(app, cloud_shop, SyncKind.FULL)
    cloud_shop.source.products_list = [product("p2")]
    _run(app, cloud_shop, SyncKind.FULL)
    gone = f"{cloud_shop.id}-p1-v1"
    assert gone not in meta.items
    # Meta kept (or restored) it.
    meta.items[gone] = replace(meta.items[f"{cloud_shop.id}-p2-v1"], retailer_id=gone)
    sync = _run(app, cloud_shop, SyncKind.RECONCILE)
    assert sync.deleted == 1 and gone not in meta.items


def test_a_throttled_reconciliation_goes_on_from_its_cursor(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    cloud_shop.source.products_list = [product(f"p{n}") for n in range(30)]
    _run(app, cloud_shop, SyncKind.FULL)
    calls = len(meta.calls)
    meta.throttle["list_items"] = 60
    sync = _run(app, cloud_shop, SyncKind.RECONCILE)
    assert sync.state == SyncState.QUEUED and sync.cursor is None
    with app.app_context():
        runner.run_sync(sync.id)
        with db.transaction() as session:
            done = session.get(CatalogSync, sync.id)
            assert done.state == SyncState.DONE and done.variants == 30
    assert meta.calls[calls:] == ["list_items", "list_items", "list_items"]


def test_the_housekeeping_requests_one_reconciliation_per_catalog_per_day(
        app: Flask, shop: Shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    requested: list[tuple[int, str, str]] = []
    monkeypatch.setattr(upkeep, "request_sync", lambda session, store, kind, trigger:
                        requested.append((store.id, kind, trigger)))
    with app.app_context():
        with db.transaction() as session:  # a store with no catalog is left alone
            session.add(Store(platform="shopify", domain="none.myshopify.com"))
        sweep.housekeep()
    # A catalog that never had a full sync gets one, and its daily reconciliation.
    assert requested == [(shop.id, SyncKind.FULL, "connect"),
                         (shop.id, SyncKind.RECONCILE, "schedule")]
    monkeypatch.undo()
    with app.app_context():
        assert upkeep.request_reconciles(db.utcnow()) == 1
        assert upkeep.request_reconciles(db.utcnow()) == 0  # once a day
        assert upkeep.request_reconciles(later(25 * 3600)) == 1
        with db.transaction() as session:
            syncs = session.scalars(select(CatalogSync)).all()
            assert {(s.kind, s.trigger) for s in syncs} == {(SyncKind.RECONCILE, "schedule")}


def test_an_item_meta_lost_is_sent_again(app: Flask, cloud_shop: Shop,
                                         meta: MetaLikeCatalog) -> None:
    cloud_shop.source.products_list = [product(f"p{n}") for n in range(30)]
    _run(app, cloud_shop, SyncKind.FULL)
    lost = f"{cloud_shop.id}-p3-v1"
    del meta.items[lost]  # removed by hand in Commerce Manager
    sent = len(meta.sent())
    sync = _run(app, cloud_shop, SyncKind.RECONCILE)
    assert (sync.deleted, sync.changed) == (0, 1)
    assert [(r.method, r.retailer_id) for r in meta.sent()[sent:]] == [(Method.UPDATE, lost)]
    assert lost in meta.items and cloud_shop.row("p3-v1").state == ItemState.SYNCED


def test_a_catalog_connected_today_is_first_reconciled_a_day_later(app: Flask,
                                                                    shop: Shop) -> None:
    """Its first full sync has just sent everything: a check against Meta at once would
    only read it all back (and show the owner a "nightly" check minutes after connecting)."""
    with app.app_context():
        with db.transaction() as session:
            # Asked by the owner or by connecting: either way the catalog's first.
            request_sync(session, session.get(Store, shop.id), SyncKind.FULL, "owner")
        assert upkeep.request_reconciles(db.utcnow()) == 0
        assert upkeep.request_reconciles(later(25 * 3600)) == 1
