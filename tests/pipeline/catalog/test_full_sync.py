"""A full sync streams the store's products into rows and sends only what changed."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from plugin.domain.catalog_batches import Method
from plugin.infra import db
from plugin.models import (
    CatalogItem,
    CatalogSync,
    ItemState,
    SandboxCatalogItem,
    Store,
    SyncKind,
    SyncState,
)
from plugin.pipeline.catalog import batches, full_sync, items, runner, sources
from plugin.pipeline.catalog.requests import request_sync
from tests.fakes.catalog_gateway import MetaLikeCatalog
from tests.pipeline.catalog.conftest import Shop, WorkerKilled, later, product


def _sync(app: Flask, shop: Shop) -> CatalogSync:
    """Request a full sync (it runs inline: the test queue is immediate) and return it."""
    with app.app_context():
        with db.transaction() as session:
            sync_id = request_sync(session, session.get(Store, shop.id)).id
        with db.transaction() as session:
            sync = session.get(CatalogSync, sync_id)
            session.expunge(sync)
    return sync


def _check_all(app: Flask) -> None:
    with app.app_context(), db.transaction() as session:
        ids = list(session.scalars(select(CatalogItem.batch_id).distinct()
                                   .where(CatalogItem.batch_id.is_not(None))))
    with app.app_context():
        for batch_id in ids:
            batches.check_batch(batch_id)


def test_full_sync_lists_simple_and_variable_products_in_the_sandbox(app: Flask,
                                                                     shop: Shop) -> None:
    shop.source.products_list = [product("p1"), product("p2", variants=3),
                                 product("p3", image=False)]
    sync = _sync(app, shop)
    assert sync.state == SyncState.DONE
    assert (sync.products, sync.variants, sync.changed, sync.kept_out) == (3, 5, 4, 1)
    _check_all(app)
    states = {r.variant_id: r.state for r in shop.rows()}
    assert states == {"p1-v1": "synced", "p2-v1": "synced", "p2-v2": "synced",
                      "p2-v3": "synced", "p3-v1": "kept_out"}
    assert "no image" in shop.row("p3-v1").reason
    with app.app_context(), db.transaction() as session:
        held = {i.retailer_id: i.data for i in session.scalars(select(SandboxCatalogItem))}
    assert set(held) == {f"{shop.id}-p1-v1", f"{shop.id}-p2-v1", f"{shop.id}-p2-v2",
                         f"{shop.id}-p2-v3"}
    # Variants of one product are one group in the catalog, not separate products.
    assert {held[f"{shop.id}-p2-v{n}"]["item_group_id"] for n in (1, 2, 3)} == {"p2"}
    assert held[f"{shop.id}-p1-v1"]["price"] == "12.50 EUR"


def test_a_second_full_sync_with_nothing_changed_sends_nothing(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    cloud_shop.source.products_list = [product(f"p{n}", variants=2) for n in range(30)]
    _sync(app, cloud_shop)
    _check_all(app)
    calls = len(meta.calls)
    second = _sync(app, cloud_shop)
    assert second.state == SyncState.DONE and second.changed == 0 and second.variants == 60
    assert meta.calls[calls:] == []  # not one call to Meta
    assert len(cloud_shop.rows()) == 60
    assert len({r.retailer_id for r in cloud_shop.rows()}) == 60


def test_a_sync_killed_midway_runs_again_without_duplicates(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    cloud_shop.source.products_list = [product(f"p{n}", variants=2) for n in range(500)]
    cloud_shop.source.stop_after = 450  # past two progress commits
    with app.app_context():
        with db.transaction() as session:
            sync = CatalogSync(store_id=cloud_shop.id, kind=SyncKind.FULL)
            session.add(sync)
        with pytest.raises(WorkerKilled):
            runner.run_sync(sync.id)
        with db.transaction() as session:
            half = session.get(CatalogSync, sync.id)
            assert half.state == SyncState.READING and half.products == 400
        cloud_shop.source.stop_after = None
        # Another worker takes the sync over once its lease has run out.
        assert full_sync.claim(sync.id, db.utcnow()) is None
        assert full_sync.claim(sync.id, later(full_sync.SYNC_LEASE_SECONDS + 1)) == "full"
        full_sync.run(sync.id)
    _check_all(app)
    rows = cloud_shop.rows()
    assert len(rows) == 1000 == len({r.variant_id for r in rows})
    assert {r.state for r in rows} == {ItemState.SYNCED}
    # Meta got every item once: the rows written before the kill were sent after it.
    updates = [r.retailer_id for r in meta.sent() if r.method == Method.UPDATE]
    assert len(updates) == 1000 == len(set(updates))


def test_rows_the_store_no_longer_has_are_deleted(app: Flask, cloud_shop: Shop,
                                                  meta: MetaLikeCatalog) -> None:
    cloud_shop.source.products_list = [product("p1"), product("p2", variants=2)]
    _sync(app, cloud_shop)
    _check_all(app)
    cloud_shop.source.products_list = [product("p2", variants=1)]
    sync = _sync(app, cloud_shop)
    assert sync.deleted == 2
    _check_all(app)
    assert cloud_shop.row("p1-v1").state == ItemState.DELETED
    assert cloud_shop.row("p2-v2").state == ItemState.DELETED
    assert set(meta.items) == {f"{cloud_shop.id}-p2-v1"}


def test_a_product_deleted_while_the_sync_runs_stays_deleted(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cloud_shop.source.products_list = [product("p1"), product("p2")]
    _sync(app, cloud_shop)
    _check_all(app)

    class DeletedMidway:
        """The store deletes p1 (webhook) after the export was taken, before it is read."""

        def products(self, export_id: str | None):  # type: ignore[no-untyped-def]
            with db.transaction() as session:
                items.apply_product_event(session, session.get(Store, cloud_shop.id),
                                          product("p1", deleted=True))
            yield product("p1", price="99.00")  # the stale export still has it
            yield product("p2")

    monkeypatch.setitem(sources.SOURCES, "shopify", lambda session, store: DeletedMidway())
    _sync(app, cloud_shop)
    with app.app_context():  # the webhook's delete goes out after its debounce
        batches.send_due(cloud_shop.id, later(items.DEBOUNCE_SECONDS + 1))
    _check_all(app)
    row = cloud_shop.row("p1-v1")
    assert row.state == ItemState.DELETED and row.deleted_at is not None
    assert f"{cloud_shop.id}-p1-v1" not in meta.items
    assert [r.method for r in meta.sent() if r.retailer_id.endswith("p1-v1")] == \
        [Method.UPDATE, Method.DELETE]


def test_250_variants_of_one_product_become_250_items_of_one_group(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    cloud_shop.source.products_list = [product("big", variants=250)]
    sync = _sync(app, cloud_shop)
    assert sync.variants == 250
    _check_all(app)
    assert len(meta.items) == 250
    assert {i.item_group_id for i in meta.items.values()} == {"big"}


def test_an_export_first_source_waits_for_the_export(app: Flask, shop: Shop,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    class BulkExport:
        started: list[str] = []

        def start_export(self) -> str:
            self.started.append("gid://shopify/BulkOperation/1")
            return self.started[-1]

        def products(self, export_id: str | None):  # type: ignore[no-untyped-def]
            assert export_id == "gid://shopify/BulkOperation/1"
            yield product("p1")

    monkeypatch.setitem(sources.SOURCES, "shopify", lambda session, store: BulkExport())
    sync = _sync(app, shop)
    assert sync.state == SyncState.EXPORTING and sync.export_id == BulkExport.started[0]
    assert shop.rows() == []
    with app.app_context():
        with db.transaction() as session:
            store = session.get(Store, shop.id)
            assert full_sync.export_finished(session, store, "gid://other") is None
            assert full_sync.export_finished(session, store, sync.export_id) is not None
        with db.transaction() as session:
            assert session.get(CatalogSync, sync.id).state == SyncState.DONE
            assert session.scalar(select(func.count(CatalogItem.id))) == 1


def test_a_webhook_fresher_than_the_sync_read_is_not_overwritten(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cloud_shop.source.products_list = [product("p1")]
    _sync(app, cloud_shop)
    _check_all(app)

    class StaleExport:
        """The price changes in the store (webhook) after the read began."""

        def products(self, export_id: str | None):  # type: ignore[no-untyped-def]
            with db.transaction() as session:
                items.apply_product_event(session, session.get(Store, cloud_shop.id),
                                          product("p1", price="20.00"))
            yield product("p1", price="12.50")  # as the store was when the read began

    monkeypatch.setitem(sources.SOURCES, "shopify", lambda session, store: StaleExport())
    sync = _sync(app, cloud_shop)
    assert sync.variants == 1 and sync.deleted == 0
    assert cloud_shop.row("p1-v1").data["price"] == "20.00 EUR"
