"""The fake Graph's catalogs behave like Meta's where the sync depends on it: items checked
as Meta checks a commerce item, stored once per retailer id, batch verdicts in Meta's shape,
cursor paging, throttling with its header, and a 100,000-item catalog handled in linear
time (the catalog benchmark runs a full sync against it)."""
from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fakes.graph import FakeGraph
from tests.fakes.graph_catalog_items import check_item

PNID, WABA, BUSINESS = "106540352242922", "102290129340398", "5550001112223"
TOKEN = "EAAG-catalog-token-0123456789"
BASE = "http://graph.test/v23.0"


def good(retailer_id: str = "sc-1", **changes: Any) -> dict[str, Any]:
    data = {"id": retailer_id, "title": "Linen shirt", "description": "Washed linen.",
            "availability": "in stock", "condition": "new", "price": "49.00 USD",
            "link": "https://shop.example/p/1", "image_link": "https://cdn.example/1.jpg",
            "brand": "Linen & Co", "item_group_id": "p-1"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def graph() -> tuple[FakeGraph, httpx.Client, str]:
    fake = FakeGraph()
    fake.add_waba(WABA, TOKEN, PNID)
    fake.add_business(BUSINESS, TOKEN, WABA)
    catalog = fake.add_catalog(BUSINESS, "Linen & Co", WABA)
    fake.batch_polls = 0
    http = httpx.Client(transport=httpx.WSGITransport(app=fake),
                        headers={"Authorization": f"Bearer {TOKEN}"})
    return fake, http, catalog


def batch(http: httpx.Client, catalog: str, requests: list[dict[str, Any]],
          **extra: Any) -> dict[str, Any]:
    answer = http.post(f"{BASE}/{catalog}/items_batch", json={
        "item_type": "PRODUCT_ITEM", "allow_upsert": True, "requests": requests, **extra})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    if body["handles"]:
        status = http.get(f"{BASE}/{catalog}/check_batch_request_status",
                          params={"handle": body["handles"][0],
                                  "load_ids_of_invalid_requests": "true"}).json()
        body["status"] = status["data"][0]
    return body


@pytest.mark.parametrize("changes,words", [
    ({"price": None}, "Missing required field: price"),
    ({"image_link": None}, "Missing required field: image_link"),
    ({"price": "49 dollars"}, "Invalid price"),
    ({"price": "49.00 XYZ"}, "Invalid price"),  # an unknown currency
    ({"price": "1200.50 JPY"}, "Invalid price"),  # yen have no decimals
    ({"price": "0.00 USD"}, "Invalid price"),
    ({"sale_price": "59.00 USD"}, "not above the price"),
    ({"title": "x" * 151}, "title is longer than 150"),
    ({"description": "x" * 5001}, "description is longer than 5000"),
    ({"image_link": "http://cdn.example/1.jpg"}, "must be an https URL"),
    ({"additional_image_link": ["https://a.example/1.jpg"] * 21}, "additional_image_link"),
    ({"availability": "in_stock"}, "Invalid availability"),
    ({"condition": "mint"}, "Invalid condition"),
])
def test_items_are_checked_as_meta_checks_them(changes: dict[str, Any], words: str) -> None:
    errors, _ = check_item(good(**changes), new=True)
    assert any(words in e for e in errors), errors


def test_a_good_item_passes_and_good_prices_in_each_currency_pass() -> None:
    for price in ("49.00 USD", "1200 JPY", "3.500 KWD", "12.5 EUR"):
        assert check_item(good(price=price), new=True) == ([], [])
    _, warnings = check_item(good(brand=None, description="<p>Hi</p>"), new=True)
    assert len(warnings) == 2


def test_items_are_stored_once_per_retailer_id(graph) -> None:  # type: ignore[no-untyped-def]
    fake, http, catalog = graph
    batch(http, catalog, [{"method": "UPDATE", "data": good("a")},
                          {"method": "UPDATE", "data": good("b")}])
    # A partial UPDATE of an existing item changes only the fields it names.
    answer = batch(http, catalog, [{"method": "UPDATE",
                                    "data": {"id": "a", "availability": "out of stock"}},
                                   {"method": "DELETE", "data": {"id": "b"}}])
    assert answer["status"]["status"] == "finished" and answer["status"]["errors"] == []
    items = fake.catalog_items(catalog)
    assert set(items) == {"a"} and items["a"]["availability"] == "out of stock"
    assert items["a"]["title"] == "Linen shirt"
    batch(http, catalog, [{"method": "UPDATE", "data": good("b")},
                          {"method": "UPDATE", "data": good("a", title="New")}])
    listed = http.get(f"{BASE}/{catalog}/products",
                      params={"fields": "retailer_id,name", "limit": 10}).json()
    assert [p["retailer_id"] for p in listed["data"]] == ["a", "b"]
    assert "next" not in listed["paging"]


def test_a_rejected_item_is_not_saved_and_its_reason_is_meta_s(graph) -> None:  # type: ignore[no-untyped-def]
    fake, http, catalog = graph
    answer = batch(http, catalog, [{"method": "UPDATE", "data": good("a", price="5 EUROS")},
                                   {"method": "UPDATE", "data": good("b")}])
    status = answer["status"]
    assert status["errors_total_count"] == 1 and status["ids_of_invalid_requests"] == ["a"]
    assert status["errors"][0]["id"] == "a" and status["errors"][0]["line"] == 0
    assert set(fake.catalog_items(catalog)) == {"b"}


def test_an_unreadable_request_is_refused_at_submission(graph) -> None:  # type: ignore[no-untyped-def]
    fake, http, catalog = graph
    answer = batch(http, catalog, [{"method": "PATCH", "data": good("a")},
                                   {"method": "UPDATE", "data": {"title": "no id"}}])
    assert answer["handles"] == [] and len(answer["validation_status"]) == 2
    without_upsert = batch(http, catalog, [{"method": "UPDATE", "data": good("new")}],
                           allow_upsert=False)
    assert without_upsert["status"]["errors"][0]["message"] == "Item does not exist"


def test_a_batch_is_started_for_the_polls_asked_then_finished(graph) -> None:  # type: ignore[no-untyped-def]
    fake, http, catalog = graph
    fake.batch_polls = 2
    handle = http.post(f"{BASE}/{catalog}/items_batch", json={
        "item_type": "PRODUCT_ITEM", "requests": [{"method": "UPDATE", "data": good()}]}
    ).json()["handles"][0]
    states = [http.get(f"{BASE}/{catalog}/check_batch_request_status",
                       params={"handle": handle}).json()["data"][0]["status"]
              for _ in range(3)]
    assert states == ["started", "started", "finished"]
    assert fake.calls["GET check_batch_request_status"] == 3


def test_throttling_answers_with_the_usage_header(graph) -> None:  # type: ignore[no-untyped-def]
    fake, http, catalog = graph
    fake.throttle_next(80014, minutes=3)
    answer = http.get(f"{BASE}/{catalog}/products")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == 80014
    usage = json.loads(answer.headers["X-Business-Use-Case-Usage"])
    assert usage[catalog][0]["estimated_time_to_regain_access"] == 3
    assert http.get(f"{BASE}/{catalog}/products").status_code == 200


def test_another_business_catalog_cannot_be_connected(graph) -> None:  # type: ignore[no-untyped-def]
    fake, http, catalog = graph
    fake.add_business("7770001112223", "EAAG-other-business-token-000")
    foreign = fake.add_catalog("7770001112223", "Theirs")
    answer = http.post(f"{BASE}/{WABA}/product_catalogs", data={"catalog_id": foreign})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == 100
    other = http.get(f"{BASE}/{foreign}/products")
    assert other.json()["error"]["code"] == 100  # our token cannot see it


def test_a_hundred_thousand_items_sync_and_page_through(graph) -> None:  # type: ignore[no-untyped-def]
    fake, http, catalog = graph
    for start in range(0, 100_000, 5000):
        answer = batch(http, catalog, [{"method": "UPDATE", "data": good(f"v{n}")}
                                       for n in range(start, start + 5000)])
        assert answer["status"]["errors"] == []
    for start in range(0, 100_000, 10_000):  # every other one deleted, 5,000 a call
        batch(http, catalog, [{"method": "DELETE", "data": {"id": f"v{n}"}}
                              for n in range(start, start + 10_000, 2)])
    seen: list[str] = []
    after = ""
    while True:
        page = http.get(f"{BASE}/{catalog}/products", params={
            "fields": "retailer_id", "limit": 5000, "after": after}).json()
        seen += [p["retailer_id"] for p in page["data"]]
        if "next" not in page["paging"]:
            break
        after = page["paging"]["cursors"]["after"]
    assert len(seen) == len(set(seen)) == 50_000
    assert fake.calls["POST items_batch"] == 30
