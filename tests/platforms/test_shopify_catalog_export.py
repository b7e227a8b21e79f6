"""plugin/platforms/shopify/catalog_export.py against the fake Shopify: start a bulk export,
follow it to its end, stream its file, and hear `bulk_operations/finish`."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from adapters.shopify.webhooks import parse_event
from plugin.domain.events import ExportFinished
from plugin.infra import db
from plugin.models import InboundEvent, Store
from plugin.platforms.shopify.catalog_export import (
    ExportFileError,
    ExportRefused,
    export_state,
    read_export,
    start_export,
)
from tests.fakes.server import LoopbackServer
from tests.fakes.shopify import FakeShopify
from tests.fakes.shopify_webhooks import WebhookSender
from tests.worlds.shopify import API_SECRET, SHOP, id_token


def _install(app: Flask) -> int:
    response = app.test_client().get(f"/shopify/app?shop={SHOP}&id_token={id_token()}")
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        return db.session().scalars(select(Store.id).where(Store.domain == SHOP)).one()


def _store(store_id: int) -> Store:
    store = db.session().get(Store, store_id, populate_existing=True)
    assert store is not None
    return store


def _run_to_the_end(store: Store, export_id: str) -> str:
    """Poll as the sync would without the webhook; the file's URL."""
    for _ in range(5):
        state = export_state(db.session(), store, export_id)
        if state.finished:
            assert state.status == "completed" and state.url, state
            return state.url
    raise AssertionError("the export never finished")


def test_a_store_is_exported_and_read_whole(shop_app: Flask,
                                            fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    store_id = _install(shop_app)
    shopify.bulk.add_product(SHOP, 1, title="Shirt")
    shopify.bulk.add_product(SHOP, 2, variants=3, title="Boots")
    shopify.bulk.add_product(SHOP, 3, variants=250, title="Socks")
    shopify.bulk.add_product(SHOP, 4, status="DRAFT", onlineStoreUrl=None)
    with shop_app.app_context():
        store = _store(store_id)
        export_id = start_export(db.session(), store)
        assert export_id.startswith("gid://shopify/BulkOperation/")
        first = export_state(db.session(), store, export_id)
        assert (first.status, first.url) == ("running", None)
        url = _run_to_the_end(store, export_id)
        done = export_state(db.session(), store, export_id)
        assert (done.root_object_count, done.object_count) == (4, 4 + 255 + 4)
        events = list(read_export(store, url))
    assert [(e.product_id, len(e.variants), e.status) for e in events] == \
        [("1", 1, "active"), ("2", 3, "active"), ("3", 250, "active"), ("4", 1, "draft")]
    assert {e.currency for e in events} == {"EUR"}  # the shop's, from shop info
    [operation] = shopify.bulk.operations.values()
    assert operation.group_objects  # grouping asked for: the reader depends on it


def test_a_second_export_while_one_runs_is_refused_as_shopify_does(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    store_id = _install(shop_app)
    shopify.bulk.add_product(SHOP, 1)
    with shop_app.app_context():
        store = _store(store_id)
        running = start_export(db.session(), store)
        with pytest.raises(ExportRefused) as refused:
            start_export(db.session(), store)
        assert refused.value.code == "OPERATION_IN_PROGRESS"
        assert refused.value.running_id == running
        assert "already in progress" in str(refused.value)
        _run_to_the_end(store, running)
        assert start_export(db.session(), store) != running  # finished: a new one may start


def test_a_product_deleted_while_the_export_runs_is_not_in_the_file(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, base = fake
    store_id = _install(shop_app)
    for n in (1, 2, 3):
        shopify.bulk.add_product(SHOP, n, variants=2)
    with shop_app.app_context():
        store = _store(store_id)
        export_id = start_export(db.session(), store)
        assert export_state(db.session(), store, export_id).status == "running"
        shopify.bulk.hold(SHOP)
        assert export_state(db.session(), store, export_id).status == "running"
        shopify.bulk.delete_product(SHOP, 2)
        shopify.bulk.complete(SHOP, base)
        url = _run_to_the_end(store, export_id)
        events = list(read_export(store, url))
    assert [e.product_id for e in events] == ["1", "3"]
    assert all(len(e.variants) == 2 for e in events)


def test_an_unknown_currency_goes_on_every_product(shop_app: Flask,
                                                   fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    store_id = _install(shop_app)
    shopify.bulk.add_product(SHOP, 1)
    with shop_app.app_context(), db.transaction() as tx:
        tx.get(Store, store_id).currency = "XXX"
    with shop_app.app_context():
        store = _store(store_id)
        url = _run_to_the_end(store, start_export(db.session(), store))
        assert [e.currency for e in read_export(store, url)] == ["XXX"]


def test_a_file_that_is_gone_or_not_https_is_a_file_error(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    _, base = fake
    store_id = _install(shop_app)
    with shop_app.app_context():
        store = _store(store_id)
        with pytest.raises(ExportFileError, match="HTTP 404"):
            list(read_export(store, f"{base}/{SHOP}/bulk-results/1.jsonl"))
        with pytest.raises(ExportFileError, match="https"):
            list(read_export(store, "http://storage.example/file.jsonl"))


def test_the_finish_webhook_reaches_the_app_signed(shop_app: Flask,
                                                   fake: tuple[FakeShopify, str]) -> None:
    shopify, base = fake
    store_id = _install(shop_app)
    shopify.bulk.add_product(SHOP, 1)
    with LoopbackServer(shop_app) as app_server:
        sender = WebhookSender(url=f"{app_server.url}/webhooks/shopify", secret=API_SECRET,
                               shop=SHOP)
        shopify.bulk.deliver_to(SHOP, sender.send)
        with shop_app.app_context():
            store = _store(store_id)
            export_id = start_export(db.session(), store)
            export_state(db.session(), store, export_id)  # CREATED → RUNNING
        shopify.bulk.complete(SHOP, base)
    assert sender.statuses == [200]
    with shop_app.app_context():
        [row] = db.session().scalars(select(InboundEvent).where(
            InboundEvent.topic == "bulk_operations/finish"))
        event = parse_event(row.topic, row.body)
    assert event == ExportFinished(export_id=export_id, status="completed", error_code="")
    assert event.completed and row.store_id == store_id


def test_a_failed_export_says_why(shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    store_id = _install(shop_app)
    shopify.bulk.add_product(SHOP, 1)
    with shop_app.app_context():
        store = _store(store_id)
        export_id = start_export(db.session(), store)
        shopify.bulk.fail(SHOP, "TIMEOUT")
        state = export_state(db.session(), store, export_id)
    assert (state.status, state.error, state.url, state.finished) == \
        ("failed", "timeout", None, True)


def test_a_large_generated_catalog_streams_through(shop_app: Flask,
                                                   fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    store_id = _install(shop_app)
    shopify.bulk.generated(SHOP, products=200, variants_each=25)
    with shop_app.app_context():
        store = _store(store_id)
        export_id = start_export(db.session(), store)
        url = _run_to_the_end(store, export_id)
        state = export_state(db.session(), store, export_id)
        variants = sum(len(e.variants) for e in read_export(store, url))
    assert variants == 5000
    assert (state.root_object_count, state.object_count) == (200, 200 * 27)
