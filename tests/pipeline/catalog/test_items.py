"""Webhook changes into catalog rows: each change one entry, bursts debounced, deletes final."""
from __future__ import annotations

import json
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from plugin.domain.catalog_batches import Method
from plugin.domain.events import EventKind, ProductEvent, StockEvent
from plugin.infra import db
from plugin.models import CatalogItem, ItemState, Store, WhatsAppAccount
from plugin.pipeline.catalog import batches, items
from plugin.pipeline.inbound import record_event
from tests.fakes.catalog_gateway import MetaLikeCatalog
from tests.pipeline.catalog.conftest import Shop, later, product

DUE = items.DEBOUNCE_SECONDS + 1


def _apply(app: Flask, shop: Shop, event: ProductEvent | StockEvent) -> None:
    with app.app_context(), db.transaction() as session:
        store = session.get(Store, shop.id)
        if isinstance(event, StockEvent):
            items.apply_stock_event(session, store, event)
        else:
            items.apply_product_event(session, store, event)


def _send(app: Flask, shop: Shop, seconds: float = DUE) -> None:
    """Send what is due `seconds` from now and apply Meta's verdict."""
    with app.app_context():
        batches.send_due(shop.id, later(seconds))
        with db.transaction() as session:
            ids = set(session.scalars(select(CatalogItem.batch_id)
                                      .where(CatalogItem.batch_id.is_not(None))))
        for batch_id in ids:
            batches.check_batch(batch_id)


def _listed(app: Flask, shop: Shop, meta: MetaLikeCatalog, *events: ProductEvent) -> int:
    for event in events:
        _apply(app, shop, event)
    _send(app, shop)
    return len(meta.batches)


def test_an_update_a_stock_change_and_a_delete_are_one_entry_each(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _listed(app, cloud_shop, meta, product("p1", variants=2), product("p2"))
    sent = len(meta.sent())
    _apply(app, cloud_shop, product("p1", variants=2, price="15.00"))
    _send(app, cloud_shop)
    assert [(r.method, r.item and r.item.price) for r in meta.sent()[sent:]] == \
        [(Method.UPDATE, "15.00 EUR")] * 2  # both variants changed price: one entry each
    sent = len(meta.sent())
    _apply(app, cloud_shop, StockEvent(kind=EventKind.STOCK_CHANGED, inventory_item_id="p2-i1",
                                       location_id="loc-1", available=0))
    _send(app, cloud_shop)
    assert [(r.method, r.retailer_id, r.item and r.item.availability)
            for r in meta.sent()[sent:]] == [(Method.UPDATE, f"{cloud_shop.id}-p2-v1",
                                              "out of stock")]
    sent = len(meta.sent())
    _apply(app, cloud_shop, product("p2", deleted=True, variants=0))
    _send(app, cloud_shop)
    assert [(r.method, r.retailer_id) for r in meta.sent()[sent:]] == \
        [(Method.DELETE, f"{cloud_shop.id}-p2-v1")]
    assert cloud_shop.row("p2-v1").state == ItemState.DELETED


def test_a_burst_of_20_updates_is_one_entry_sent_within_a_minute(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _listed(app, cloud_shop, meta, product("p1"))
    sent = len(meta.sent())
    start = db.utcnow()
    for n in range(20):
        _apply(app, cloud_shop, product("p1", price=f"{20 + n}.00"))
    due = cloud_shop.row("p1-v1").due_at
    assert due is not None and due - start < timedelta(minutes=1)
    _send(app, cloud_shop, seconds=0)  # inside the window: nothing goes yet
    assert len(meta.sent()) == sent
    _send(app, cloud_shop)
    assert [r.item and r.item.price for r in meta.sent()[sent:]] == ["39.00 EUR"]


def test_a_late_update_never_revives_a_deleted_product(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _listed(app, cloud_shop, meta, product("p1"))
    _apply(app, cloud_shop, product("p1", deleted=True, variants=0))
    _apply(app, cloud_shop, product("p1", price="1.00"))  # delivered out of order
    _send(app, cloud_shop)
    row = cloud_shop.row("p1-v1")
    assert row.state == ItemState.DELETED and row.deleted_at is not None
    assert meta.sent()[-1].method == Method.DELETE and not meta.items
    _apply(app, cloud_shop, product("p1", price="2.00"))
    assert cloud_shop.row("p1-v1").state == ItemState.DELETED


def test_a_listed_item_that_can_no_longer_be_listed_is_deleted_and_kept_out(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _listed(app, cloud_shop, meta, product("p1"))
    _apply(app, cloud_shop, product("p1", price="0"))
    _send(app, cloud_shop)
    row = cloud_shop.row("p1-v1")
    assert row.state == ItemState.KEPT_OUT and "price" in (row.reason or "")
    assert meta.sent()[-1].method == Method.DELETE and not meta.items
    _apply(app, cloud_shop, product("p1", price="3.00"))  # fixed in the store: listed again
    _send(app, cloud_shop)
    assert cloud_shop.row("p1-v1").state == ItemState.SYNCED
    assert meta.items[f"{cloud_shop.id}-p1-v1"].price == "3.00 EUR"


def test_a_variant_removed_from_its_product_is_deleted(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _listed(app, cloud_shop, meta, product("p1", variants=3))
    _apply(app, cloud_shop, product("p1", variants=2))
    _send(app, cloud_shop)
    assert cloud_shop.row("p1-v3").state == ItemState.DELETED
    assert sorted(meta.items) == [f"{cloud_shop.id}-p1-v1", f"{cloud_shop.id}-p1-v2"]


def test_the_retailer_id_is_assigned_once(app: Flask, cloud_shop: Shop,
                                          meta: MetaLikeCatalog) -> None:
    _listed(app, cloud_shop, meta, product("p1"))
    first = cloud_shop.row("p1-v1").retailer_id
    with app.app_context(), db.transaction() as session:  # however ids are made later
        session.get(CatalogItem, cloud_shop.row("p1-v1").id).retailer_id = "legacy-77"
    _apply(app, cloud_shop, product("p1", price="8.00"))
    _send(app, cloud_shop)
    assert first == f"{cloud_shop.id}-p1-v1"
    assert meta.sent()[-1].retailer_id == "legacy-77"


def test_a_store_without_a_catalog_keeps_rows_and_sends_nothing(app: Flask) -> None:
    with app.app_context(), db.transaction() as session:
        store = Store(platform="shopify", domain="b.myshopify.com", currency="USD")
        session.add(store)
        session.flush()
        items.apply_product_event(session, store, product("p1"))
        store_id = store.id
    with app.app_context():
        assert batches.send_due(store_id, later(DUE)) == 0
        with db.transaction() as session:
            row = session.scalars(select(CatalogItem)).one()
            assert row.state == ItemState.PENDING and row.data["price"] == "12.50 EUR"


def test_a_stock_webhook_goes_through_the_process_job(app: Flask, cloud_shop: Shop,
                                                      meta: MetaLikeCatalog) -> None:
    _listed(app, cloud_shop, meta, product("p1"))
    body = json.dumps({"inventory_item_id": "p1-i1", "location_id": 9, "available": 0})
    with app.app_context():
        record_event(source="shopify", dedupe_key="stock-1", topic="inventory_levels/update",
                     body=body.encode(), store_id=cloud_shop.id)
    row = cloud_shop.row("p1-v1")
    assert row.state == ItemState.PENDING and row.data["availability"] == "out of stock"
    assert row.stock_levels == {"9": 0}
    _apply(app, cloud_shop, StockEvent(kind=EventKind.STOCK_CHANGED, inventory_item_id="p1-i1",
                                       location_id="8", available=3))
    assert cloud_shop.row("p1-v1").data["availability"] == "in stock"


def test_a_delete_that_arrives_before_the_create_keeps_the_product_out(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _apply(app, cloud_shop, product("p9", deleted=True, variants=0))
    _apply(app, cloud_shop, product("p9"))  # the create, delivered late
    _send(app, cloud_shop)
    assert [r.variant_id for r in cloud_shop.rows()] == ["tombstone:p9"]
    assert cloud_shop.rows()[0].state == ItemState.DELETED
    assert meta.calls == []


def test_a_product_restored_from_the_trash_is_listed_again(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _listed(app, cloud_shop, meta, product("p1"))
    _apply(app, cloud_shop, product("p1", deleted=True, variants=0))
    _send(app, cloud_shop)
    with app.app_context(), db.transaction() as session:
        items.restore_product(session, session.get(Store, cloud_shop.id), product("p1"))
    _send(app, cloud_shop)
    assert cloud_shop.row("p1-v1").state == ItemState.SYNCED
    assert [r.method for r in meta.sent()] == [Method.UPDATE, Method.DELETE, Method.UPDATE]


def test_a_read_of_the_store_revives_a_deleted_product_only_when_begun_after_the_delete(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _listed(app, cloud_shop, meta, product("p1"))
    before_delete = db.utcnow()
    _apply(app, cloud_shop, product("p1", deleted=True, variants=0))
    _send(app, cloud_shop)
    with app.app_context(), db.transaction() as session:
        store = session.get(Store, cloud_shop.id)
        stale = items.upsert_product(session, store, product("p1"), db.utcnow(),
                                     read_at=before_delete)
    assert stale.changed == 0 and cloud_shop.row("p1-v1").state == ItemState.DELETED
    with app.app_context(), db.transaction() as session:
        store = session.get(Store, cloud_shop.id)
        fresh = items.upsert_product(session, store, product("p1"), db.utcnow(),
                                     read_at=db.utcnow())
    assert fresh.changed == 1
    _send(app, cloud_shop)
    row = cloud_shop.row("p1-v1")
    assert (row.state, row.deleted_at) == (ItemState.SYNCED, None)
    assert [r.method for r in meta.sent()] == [Method.UPDATE, Method.DELETE, Method.UPDATE]


def test_a_product_webhook_is_applied_while_the_cloud_catalog_is_not_wired(app: Flask) -> None:
    with app.app_context(), db.transaction() as session:
        store = Store(platform="shopify", domain="c.myshopify.com", currency="EUR")
        session.add(store)
        session.flush()
        session.add(WhatsAppAccount(store_id=store.id, phone_number_id="pn-c",
                                    access_token="EAAtoken", catalog_id="cat-9"))
        session.flush()
        items.apply_product_event(session, store, product("p1"))
        store_id = store.id
    with app.app_context():
        assert batches.send_due(store_id, later(DUE)) == 0  # nothing lost: it waits
        with db.transaction() as session:
            assert session.scalars(select(CatalogItem.state)).one() == ItemState.PENDING


def test_a_new_catalog_gets_every_listable_item_again(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _listed(app, cloud_shop, meta, product("p1"), product("p2"), product("p3", image=False))
    _apply(app, cloud_shop, product("p2", deleted=True, variants=0))  # a DELETE waits
    with app.app_context(), db.transaction() as session:
        assert items.catalog_changed(session, session.get(Store, cloud_shop.id)) == 1
    states = {r.variant_id: (r.state, r.sent_hash) for r in cloud_shop.rows()}
    assert states == {"p1-v1": (ItemState.PENDING, None), "p2-v1": (ItemState.DELETED, None),
                      "p3-v1": (ItemState.KEPT_OUT, None)}
