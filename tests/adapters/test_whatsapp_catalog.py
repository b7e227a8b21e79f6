"""CatalogApi against the fake Graph on 127.0.0.1: items go to Meta under its field names,
batches are polled to Meta's per-item verdict, the catalog pages through, a catalog is
created and connected to a WABA with the number's commerce settings, and throttling waits as
long as X-Business-Use-Case-Usage says. Wire details are checked with MockTransport."""
from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from adapters.whatsapp.catalog import (
    INVALID_TOKEN,
    NO_SALE_WINDOW,
    THROTTLE_FALLBACK_SECONDS,
    CatalogApi,
    CatalogBatchRefused,
    item_data,
    meta_price,
)
from adapters.whatsapp.client import CloudClient
from plugin.domain.catalog_batches import MAX_BATCH_REQUESTS, ItemRequest, Method
from plugin.domain.catalog_items import CatalogItem
from plugin.domain.errors import CatalogError, CatalogThrottled
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer

PNID, WABA, BUSINESS = "106540352242922", "102290129340398", "5550001112223"
TOKEN = "EAAG-catalog-token-0123456789"


def item(retailer_id: str = "sc-1", **changes: object) -> CatalogItem:
    values: dict[str, object] = dict(
        retailer_id=retailer_id, item_group_id="prod-1", title="Linen shirt",
        description="Washed linen.", price="49.00 USD", sale_price="", availability="in stock",
        condition="new", brand="Linen & Co", link="https://shop.example/products/shirt",
        image_link="https://cdn.example/shirt.jpg",
        additional_image_links=("https://cdn.example/shirt-2.jpg",), currency="USD")
    values.update(changes)
    return CatalogItem(**values)  # type: ignore[arg-type]


def update(*items: CatalogItem) -> list[ItemRequest]:
    return [ItemRequest(Method.UPDATE, i.retailer_id, i) for i in items]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, list[FakeGraph]]]:
    current: list[FakeGraph] = []
    with LoopbackServer(lambda environ, start: current[-1](environ, start)) as server:
        yield server.url, current


@pytest.fixture
def fake(served: tuple[str, list[FakeGraph]]) -> FakeGraph:
    graph = FakeGraph()
    graph.add_waba(WABA, TOKEN, PNID)
    graph.add_business(BUSINESS, TOKEN, WABA)
    served[1].append(graph)
    return graph


@pytest.fixture
def api(served: tuple[str, list[FakeGraph]]) -> Iterator[CatalogApi]:
    with httpx.Client() as http:
        yield CatalogApi(CloudClient(http, served[0], "v23.0"))


def finished(api: CatalogApi, catalog_id: str, handle: str):  # type: ignore[no-untyped-def]
    for _ in range(5):
        status = api.batch_status(catalog_id, TOKEN, handle)
        if status.finished:
            return status
    raise AssertionError("the batch never finished")


def test_item_data_uses_meta_s_field_names() -> None:
    data = item_data(item(sale_price="39.00 USD"))
    assert data["id"] == "sc-1" and "retailer_id" not in data
    assert data["additional_image_link"] == ["https://cdn.example/shirt-2.jpg"]
    assert (data["price"], data["sale_price"]) == ("49.00 USD", "39.00 USD")
    assert "currency" not in data and "sale_price_effective_date" not in data
    plain = item_data(item(brand=""))
    # No sale: the sale price is the price in a window long past, which clears an old sale.
    assert plain["sale_price"] == "49.00 USD"
    assert plain["sale_price_effective_date"] == NO_SALE_WINDOW
    assert "brand" not in plain


def test_a_batch_upserts_then_reports_meta_s_verdict(fake: FakeGraph, api: CatalogApi) -> None:
    catalog = fake.add_catalog(BUSINESS, "Linen & Co", WABA)
    fake.batch_polls = 2
    handle = api.items_batch(catalog, TOKEN, update(
        item("sc-1"), item("sc-2", price="12.505 USD"), item("sc-3", brand="")))
    assert not api.batch_status(catalog, TOKEN, handle).finished
    status = finished(api, catalog, handle)
    errors = [p for p in status.problems if not p.warning]
    assert {p.retailer_id for p in errors} == {"sc-2"}
    assert "Invalid price" in errors[0].message and "12.505 USD" in errors[0].message
    assert any(p.retailer_id == "sc-3" and p.warning for p in status.problems)
    assert set(fake.catalog_items(catalog)) == {"sc-1", "sc-3"}

    # An UPDATE changes the item in place; a DELETE removes it; nothing is duplicated.
    handle = api.items_batch(catalog, TOKEN, [
        *update(item("sc-1", availability="out of stock")),
        ItemRequest(Method.DELETE, "sc-3")])
    assert finished(api, catalog, handle).problems == ()
    stored = fake.catalog_items(catalog)
    assert set(stored) == {"sc-1"} and stored["sc-1"]["availability"] == "out of stock"


def test_the_catalog_pages_through_with_meta_s_cursor(fake: FakeGraph,
                                                      api: CatalogApi) -> None:
    catalog = fake.add_catalog(BUSINESS, "Linen & Co", WABA)
    api.items_batch(catalog, TOKEN, update(*(item(f"sc-{n}", price="1234.50 USD",
                                                  sale_price="999.00 USD") for n in range(7))))
    seen, cursor, pages = [], None, 0
    while True:
        page, cursor = api.list_items(catalog, TOKEN, after=cursor, limit=3)
        seen += page
        pages += 1
        if cursor is None:
            break
    assert pages == 3 and [i.retailer_id for i in seen] == [f"sc-{n}" for n in range(7)]
    # Meta reads prices out for people ("$1,234.50"); they come back in our own form.
    assert (seen[0].price, seen[0].sale_price) == ("1234.50 USD", "999.00 USD")
    assert seen[0].title == "Linen shirt" and seen[0].link.startswith("https://shop.example")


def test_a_batch_meta_takes_nothing_of_raises_with_each_reason(fake: FakeGraph) -> None:
    def meta(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"handles": [], "validation_status": [
            {"retailer_id": "sc-1", "errors": [{"message": "Invalid value for price"}],
             "warnings": []}]})

    api = CatalogApi(CloudClient(httpx.Client(transport=httpx.MockTransport(meta)),
                                 "https://graph.test", "v23.0"))
    with pytest.raises(CatalogBatchRefused) as caught:
        api.items_batch("123456", TOKEN, update(item()))
    assert caught.value.problems[0].retailer_id == "sc-1"
    assert "Invalid value for price" in caught.value.reason


def test_items_batch_sends_meta_s_request_and_caps_its_size() -> None:
    seen: list[httpx.Request] = []

    def meta(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"handles": ["AcXyz"], "validation_status": []})

    api = CatalogApi(CloudClient(httpx.Client(transport=httpx.MockTransport(meta)),
                                 "https://graph.test", "v23.0"))
    assert api.items_batch("123456", TOKEN, [*update(item()),
                                             ItemRequest(Method.DELETE, "sc-9")]) == "AcXyz"
    body = json.loads(seen[0].content)
    assert seen[0].url.path == "/v23.0/123456/items_batch"
    assert (body["item_type"], body["allow_upsert"]) == ("PRODUCT_ITEM", True)
    assert body["requests"][1] == {"method": "DELETE", "data": {"id": "sc-9"}}
    with pytest.raises(ValueError):
        api.items_batch("123456", TOKEN, update(*[item(f"x{n}")
                                                  for n in range(MAX_BATCH_REQUESTS + 1)]))


def test_failed_ids_beyond_meta_s_sample_of_errors_still_fail() -> None:
    def meta(request: httpx.Request) -> httpx.Response:
        assert request.url.params["load_ids_of_invalid_requests"] == "true"
        return httpx.Response(200, json={"data": [{
            "handle": "h1", "status": "finished", "errors_total_count": 2,
            "errors": [{"line": 0, "id": "sc-1", "message": "Image too small"}],
            "ids_of_invalid_requests": ["sc-1", "sc-2"]}]})

    api = CatalogApi(CloudClient(httpx.Client(transport=httpx.MockTransport(meta)),
                                 "https://graph.test", "v23.0"))
    status = api.batch_status("123456", TOKEN, "h1")
    assert status.finished
    assert [(p.retailer_id, p.warning) for p in status.problems] == [("sc-1", False),
                                                                    ("sc-2", False)]
    assert status.problems[0].message == "Image too small"


def test_throttling_waits_as_long_as_meta_says(fake: FakeGraph, api: CatalogApi) -> None:
    catalog = fake.add_catalog(BUSINESS, "Linen & Co", WABA)
    fake.throttle_next(80014, minutes=7)
    with pytest.raises(CatalogThrottled) as caught:
        api.items_batch(catalog, TOKEN, update(item()))
    assert (caught.value.code, caught.value.wait_seconds) == (80014, 420.0)
    assert api.items_batch(catalog, TOKEN, update(item()))  # and then it goes on
    assert fake.calls["POST items_batch"] == 2


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001, 80004, 80009, 80014])
def test_every_throttling_code_without_a_header_waits_the_fallback(code: int) -> None:
    def meta(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": {"code": code, "message": "slow down"}})

    api = CatalogApi(CloudClient(httpx.Client(transport=httpx.MockTransport(meta)),
                                 "https://graph.test", "v23.0"))
    with pytest.raises(CatalogThrottled) as caught:
        api.list_items("123456", TOKEN)
    assert caught.value.wait_seconds == THROTTLE_FALLBACK_SECONDS


def test_an_invalid_token_stays_code_190(fake: FakeGraph, api: CatalogApi) -> None:
    catalog = fake.add_catalog(BUSINESS, "Linen & Co", WABA)
    with pytest.raises(CatalogError) as caught:
        api.list_items(catalog, "EAAG-someone-elses-token-000000")
    assert caught.value.code == INVALID_TOKEN
    assert not isinstance(caught.value, CatalogThrottled)
    assert "connect the number again" in caught.value.reason


def test_connecting_a_catalog_end_to_end(fake: FakeGraph, api: CatalogApi) -> None:
    assert api.owner_business(WABA, TOKEN) == BUSINESS
    existing = fake.add_catalog(BUSINESS, "Spring range")
    assert [c.id for c in api.business_catalogs(BUSINESS, TOKEN)] == [existing]
    created = api.create_catalog(BUSINESS, TOKEN, "Linen & Co")
    assert created.name == "Linen & Co" and created.id in fake.catalogs
    assert api.waba_catalogs(WABA, TOKEN) == []
    api.connect_catalog(WABA, TOKEN, created.id)
    assert [c.id for c in api.waba_catalogs(WABA, TOKEN)] == [created.id]
    # One catalog per WABA: Meta refuses a second, in its own words.
    with pytest.raises(CatalogError) as caught:
        api.connect_catalog(WABA, TOKEN, existing)
    assert caught.value.code == 100 and "already has a catalog" in caught.value.reason
    settings = api.commerce_settings(PNID, TOKEN)
    assert (settings.catalog_visible, settings.cart_enabled) == (False, True)
    api.set_commerce_settings(PNID, TOKEN, catalog_visible=True, cart_enabled=True)
    settings = api.commerce_settings(PNID, TOKEN)
    assert (settings.catalog_visible, settings.cart_enabled) == (True, True)


def test_an_unreachable_graph_is_a_catalog_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    api = CatalogApi(CloudClient(httpx.Client(transport=httpx.MockTransport(down)),
                                 "https://graph.test", "v23.0"))
    with pytest.raises(CatalogError) as caught:
        api.waba_catalogs(WABA, TOKEN)
    assert "could not reach WhatsApp" in caught.value.reason


@pytest.mark.parametrize("shown,currency,ours", [
    ("$1,234.50", "USD", "1234.50 USD"), ("€12,50", "EUR", "12.50 EUR"),
    ("¥1,200", "JPY", "1200 JPY"), ("3.500 KWD", "KWD", "3.500 KWD"), ("$12", "USD", "12.00 USD"),
])
def test_meta_s_shown_prices_read_back_in_our_form(shown: str, currency: str,
                                                   ours: str) -> None:
    assert meta_price(shown, currency) == ours


@pytest.mark.parametrize("state", ["canceled", "error"])
def test_a_batch_meta_broke_off_is_a_failure_to_resend(state: str) -> None:
    def meta(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"handle": "h1", "status": state}]})

    api = CatalogApi(CloudClient(httpx.Client(transport=httpx.MockTransport(meta)),
                                 "https://graph.test", "v23.0"))
    with pytest.raises(CatalogError) as caught:
        api.batch_status("123456", TOKEN, "h1")
    assert state in caught.value.reason and "sent again" in caught.value.reason
