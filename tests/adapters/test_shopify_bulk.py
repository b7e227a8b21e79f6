"""adapters/shopify/bulk.py: a bulk file read product by product, as Shopify writes it."""
from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterable, Iterator
from decimal import Decimal

import pytest

from adapters.shopify.bulk import (
    ExportFileError,
    ExportRefused,
    ExportState,
    read_products,
    started_id,
)
from plugin.domain.catalog_items import CatalogItem, KeptOut, map_product
from plugin.domain.events import EventKind, ProductEvent
from tests.fakes.shopify_bulk import jsonl, product_lines


def _lines(products: Iterable[dict], *, group_objects: bool = True) -> Iterator[bytes]:
    """The file's lines one by one, made as they are pulled."""
    for chunk in jsonl(products, group_objects=group_objects):
        yield from chunk.splitlines(keepends=True)


def _read(*products: dict, currency: str = "EUR") -> list[ProductEvent]:
    return list(read_products(_lines(products), currency=currency))


def _ids(event: ProductEvent) -> dict[str, str]:
    return {v.variant_id: v.inventory_item_id for v in event.variants}


def test_simple_and_variable_products_read_whole_with_the_ids_webhooks_use() -> None:
    shirt = product_lines(1, 1, title="Shirt")
    boots = product_lines(2, 3, title="Boots", vendor="Nordic",
                          media=[{"id": "gid://shopify/MediaImage/20",
                                  "image": {"url": "https://cdn.example/a.jpg"}},
                                 {"id": "gid://shopify/Video/21"},  # not an image
                                 {"id": "gid://shopify/MediaImage/22", "image": None},
                                 {"id": "gid://shopify/MediaImage/23",
                                  "image": {"url": "https://cdn.example/b.jpg"}}])
    boots["variants"][1].update(compareAtPrice="20.00", inventoryPolicy="CONTINUE",
                                inventoryQuantity=0, image={"url": "https://cdn.example/v.jpg"})
    boots["variants"][2].update(inventoryItem={"id": "gid://shopify/InventoryItem/9",
                                               "tracked": False}, inventoryQuantity=-4)
    first, second = _read(shirt, boots, currency="eur")
    assert (first.product_id, first.title, first.kind) == ("1", "Shirt", EventKind.PRODUCT_CHANGED)
    assert _ids(first) == {"1001": "1001"}
    assert first.variants[0].title == "Default Title"
    assert first.url == ""  # built from the handle by the sync, as for webhooks
    assert (second.product_id, second.vendor, second.status, second.currency) == \
        ("2", "Nordic", "active", "EUR")
    assert second.image_urls == ("https://cdn.example/a.jpg", "https://cdn.example/b.jpg")
    plain, on_sale, untracked = second.variants
    assert (plain.price, plain.compare_at_price, plain.inventory_quantity, plain.in_stock) == \
        (Decimal("12.50"), None, 5, None)
    assert (on_sale.compare_at_price, on_sale.in_stock, on_sale.image_url) == \
        (Decimal("20.00"), True, "https://cdn.example/v.jpg")  # sells past zero
    assert (untracked.inventory_item_id, untracked.inventory_quantity, untracked.in_stock) == \
        ("9", None, True)
    items = map_product(second, store_base_url="https://acme.example",
                        retailer_ids={v.variant_id: f"r{v.variant_id}" for v in second.variants})
    assert [type(i) for i in items] == [CatalogItem] * 3
    assert items[1].price == "20.00 EUR" and items[1].sale_price == "12.50 EUR"


def test_a_product_with_250_variants_is_one_event() -> None:
    [event] = _read(product_lines(7, 250))
    assert len(event.variants) == 250
    assert len({v.variant_id for v in event.variants}) == 250
    assert event.variants[-1].variant_id == "7250"


def test_statuses_come_through_for_the_sync_to_keep_out() -> None:
    draft, archived, hidden, live = _read(
        product_lines(1, status="DRAFT", onlineStoreUrl=None),
        product_lines(2, status="ARCHIVED", onlineStoreUrl=None),
        product_lines(3, status="ACTIVE", onlineStoreUrl=None),  # not on the Online Store
        product_lines(4))
    assert [e.status for e in (draft, archived, hidden, live)] == \
        ["draft", "archived", "unpublished", "active"]
    assert hidden.url == ""


def test_an_unknown_currency_is_carried_and_kept_out_by_the_mapping() -> None:
    [event] = _read(product_lines(1, 2), currency="XXX")
    assert event.currency == "XXX"
    listings = map_product(event, store_base_url="https://acme.example",
                           retailer_ids={v.variant_id: "r" + v.variant_id for v in event.variants})
    assert all(isinstance(x, KeptOut) and "XXX" in x.reason for x in listings)


def test_a_20000_character_description_with_scripts_arrives_whole() -> None:
    html = ("<script>alert('x')</script><p>" + "Linen &amp; cotton. " * 1000)[:20_000] + "</p>"
    [event] = _read(product_lines(1, descriptionHtml=html))
    assert event.description_html == html
    [item] = map_product(event, store_base_url="https://acme.example",
                         retailer_ids={event.variants[0].variant_id: "r1"})
    assert isinstance(item, CatalogItem)
    assert len(item.description) <= 5000 and "alert" not in item.description


def test_each_product_is_yielded_before_the_next_one_is_read() -> None:
    pulled: list[bytes] = []

    def source() -> Iterator[bytes]:
        for line in _lines(product_lines(n, 3) for n in range(1, 6)):
            pulled.append(line)
            yield line

    reader = read_products(source(), currency="EUR")
    first = next(reader)
    # Product 1 and its 4 children, plus the line that told it was complete: product 2.
    assert first.product_id == "1" and len(pulled) == 6
    second = next(reader)
    assert second.product_id == "2" and len(pulled) == 11
    assert [e.product_id for e in reader] == ["3", "4", "5"]


def _peak(products: int) -> int:
    gc.collect()
    tracemalloc.start()
    count = 0
    for event in read_products(_lines(product_lines(n, 10) for n in range(1, products + 1)),
                               currency="EUR"):
        count += len(event.variants)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == products * 10
    return peak


def test_memory_stays_flat_as_the_catalog_grows() -> None:
    small, large = _peak(100), _peak(3000)  # 1,000 and 30,000 variants
    assert large < small * 1.5, (small, large)


def test_children_of_a_product_that_vanished_are_skipped() -> None:
    lines = list(_lines([product_lines(1), product_lines(2)]))
    stray = b'{"id":"gid://shopify/ProductVariant/99","__parentId":"gid://shopify/Product/50"}\n'
    events = list(read_products([stray, *lines[:2], stray, *lines[2:]], currency="EUR"))
    assert [(e.product_id, len(e.variants)) for e in events] == [("1", 1), ("2", 1)]


def test_a_line_that_is_not_json_stops_the_read() -> None:
    lines = list(_lines([product_lines(1), product_lines(2)]))
    # A file cut short: product 2's line, then half of a child line.
    reader = read_products([*lines[:4], b'{"id": "gid://shopify/Prod'], currency="EUR")
    assert next(reader).product_id == "1"
    with pytest.raises(ExportFileError, match="line 5"):
        next(reader)


def test_a_price_that_is_not_money_is_a_file_error_not_a_crash() -> None:
    broken = product_lines(1)
    broken["variants"][0]["price"] = {"amount": "12.50"}
    with pytest.raises(ExportFileError):
        list(read_products(_lines([broken]), currency="EUR"))


def test_an_operation_already_running_is_refused_with_its_id() -> None:
    message = ("A bulk query operation for this app and shop is already in progress: "
               "gid://shopify/BulkOperation/701.")
    with pytest.raises(ExportRefused) as refused:
        started_id({"bulkOperation": None, "userErrors": [
            {"field": None, "message": message, "code": "OPERATION_IN_PROGRESS"}]})
    assert (refused.value.code, refused.value.running_id) == \
        ("OPERATION_IN_PROGRESS", "gid://shopify/BulkOperation/701")
    with pytest.raises(ExportRefused) as uncoded:  # older answers carry no code
        started_id({"bulkOperation": None, "userErrors": [{"field": None, "message": message}]})
    assert uncoded.value.code == "OPERATION_IN_PROGRESS"
    assert started_id({"bulkOperation": {"id": "gid://shopify/BulkOperation/8"},
                       "userErrors": []}) == "gid://shopify/BulkOperation/8"


def test_an_operation_state_reads_shopify_strings() -> None:
    state = ExportState.from_node({"id": "gid://shopify/BulkOperation/8", "status": "FAILED",
                                   "errorCode": "TIMEOUT", "objectCount": "1500",
                                   "rootObjectCount": "300", "url": None,
                                   "partialDataUrl": "https://storage.example/p.jsonl"})
    assert (state.status, state.error, state.object_count, state.root_object_count) == \
        ("failed", "timeout", 1500, 300)
    assert state.finished and state.url is None
    assert state.partial_url == "https://storage.example/p.jsonl"
    running = ExportState.from_node({"id": "x", "status": "RUNNING", "objectCount": "0"})
    assert not running.finished
