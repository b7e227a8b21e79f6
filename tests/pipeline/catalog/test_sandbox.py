"""The sandbox catalog keeps what it is sent and refuses what Meta would, with a reason."""
from __future__ import annotations

from dataclasses import replace

from flask import Flask

from plugin.domain.catalog_batches import ItemRequest, Method
from plugin.domain.catalog_items import map_product
from plugin.pipeline.catalog import sandbox
from plugin.pipeline.catalog.sandbox import SandboxCatalog
from tests.pipeline.catalog.conftest import product


def _items(count: int):  # type: ignore[no-untyped-def]
    event = product("p1", variants=count)
    ids = {v.variant_id: f"r-{v.variant_id}" for v in event.variants}
    return map_product(event, store_base_url="https://acme.example", retailer_ids=ids)


def test_it_keeps_valid_items_and_refuses_bad_ones_with_metas_words(app: Flask) -> None:
    good, bad = _items(2)
    bad = replace(bad, price="12,50 EUR", image_link="cdn/p.jpg")
    catalog = SandboxCatalog("sandbox-1")
    with app.app_context():
        handle = catalog.items_batch("sandbox-1", [ItemRequest(Method.UPDATE, good.retailer_id,
                                                               good),
                                                   ItemRequest(Method.UPDATE, bad.retailer_id,
                                                               bad)]).handle
        status = catalog.batch_status("sandbox-1", handle)
        listed, cursor = catalog.list_items("sandbox-1", None)
    assert status.finished
    assert sorted(p.message for p in status.problems) == [
        "image_link: Invalid image URL.", "price: Invalid price format '12,50 EUR'."]
    assert {p.retailer_id for p in status.problems} == {bad.retailer_id}
    assert [i.retailer_id for i in listed] == [good.retailer_id] and cursor is None
    assert listed[0].price == "12.50 EUR"


def test_it_pages_its_items_and_forgets_deleted_ones(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sandbox, "LIST_PAGE_SIZE", 3)
    items = _items(7)
    catalog = SandboxCatalog("sandbox-2")
    with app.app_context():
        catalog.items_batch("sandbox-2", [ItemRequest(Method.UPDATE, i.retailer_id, i)
                                          for i in items])
        catalog.items_batch("sandbox-2", [ItemRequest(Method.DELETE, items[0].retailer_id)])
        seen, cursor, pages = [], None, 0
        while True:
            page, cursor = catalog.list_items("sandbox-2", cursor)
            seen += [i.retailer_id for i in page]
            pages += 1
            if cursor is None:
                break
        # Another store's sandbox catalog is its own.
        assert SandboxCatalog("sandbox-3").list_items("sandbox-3", None) == ([], None)
    assert seen == [i.retailer_id for i in items[1:]] and pages == 2
