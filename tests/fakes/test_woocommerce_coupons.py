"""The fake WooCommerce site's `coupons/batch` behaves as WooCommerce's: keys checked as for
any REST call, at most 100 objects, one answer per object in the order sent (an error item
beside the others), deletes forced; and its coupons carry the fields of a real one."""
from __future__ import annotations

import json
from typing import Any

from werkzeug.test import Client

from tests.conftest import shared_fixture
from tests.fakes.woocommerce import FakeWooCommerce

BASE = "https://shop.example"
BATCH = "/wp-json/wc/v3/coupons/batch"


def _batch(site: FakeWooCommerce, body: dict[str, Any],
           auth: tuple[str, str] | None) -> tuple[int, Any]:
    response = Client(site).post(BATCH, base_url=BASE, json=body, auth=auth)
    return response.status_code, json.loads(response.get_data())


def _keys(site: FakeWooCommerce, permissions: str = "read_write") -> tuple[str, str]:
    key = site.add_key(permissions)
    return key["consumer_key"], key["consumer_secret"]


def test_create_update_and_delete_answer_item_by_item() -> None:
    site = FakeWooCommerce()
    keys = _keys(site)
    status, first = _batch(site, {"create": [{"code": "KEEP", "amount": "5"},
                                             {"code": "GONE"}]}, keys)
    assert status == 200 and list(first) == ["create"]  # only the actions asked for
    keep, gone = (row["id"] for row in first["create"])
    status, answer = _batch(site, {
        "create": [{"code": "new", "discount_type": "percent", "amount": "10"},
                   {"code": "keep"},  # codes are case-insensitive: a duplicate
                   {"code": "big", "discount_type": "percent", "amount": "150"}],
        "update": [{"id": keep, "amount": "7"}, {"id": 999}],
        "delete": [gone, 998]}, keys)
    assert status == 200
    made, duplicate, too_big = answer["create"]
    assert made["code"] == "new" and made["amount"] == "10.00"
    assert duplicate == {"id": 0, "error": {
        "code": "woocommerce_rest_coupon_code_already_exists",
        "message": "The coupon code already exists", "data": {"status": 400}}}
    assert too_big["error"]["code"] == "woocommerce_rest_invalid_coupon_amount"
    assert answer["update"][0]["amount"] == "7.00"
    assert answer["update"][1]["error"]["code"] == "woocommerce_rest_shop_coupon_invalid_id"
    assert answer["delete"][0]["code"] == "gone"
    assert answer["delete"][1] == {"id": 998, "error": {
        "code": "woocommerce_rest_shop_coupon_invalid_id", "message": "Invalid ID.",
        "data": {"status": 404}}}
    assert sorted(c["code"] for c in site.coupons.values()) == ["keep", "new"]
    assert site.coupon_batches == [2, 3]
    assert site.coupon_attempts == {"keep": 2, "gone": 1, "new": 1}


def test_over_the_limit_nothing_is_done() -> None:
    site = FakeWooCommerce()
    status, answer = _batch(site, {"create": [{"code": f"c{n}"} for n in range(60)],
                                   "delete": list(range(41))}, _keys(site))
    assert status == 413
    assert answer == {"code": "woocommerce_rest_request_entity_too_large",
                      "message": "Unable to accept more than 100 items for this request.",
                      "data": {"status": 413}}
    assert site.coupons == {} and not site.coupon_attempts


def test_a_batch_needs_keys_that_may_write() -> None:
    site = FakeWooCommerce()
    body = {"create": [{"code": "x"}]}
    assert _batch(site, body, None)[0] == 401
    assert _batch(site, body, ("ck_unknown", "cs_unknown"))[0] == 401
    status, answer = _batch(site, body, _keys(site, "read"))
    assert status == 401 and "write permissions" in answer["message"]
    assert site.coupons == {}
    assert [path for _, path, _ in site.requests] == ["/wc/v3/coupons/batch"] * 3


def test_a_fake_coupon_has_only_fields_a_real_one_has() -> None:
    [real] = json.loads(shared_fixture("woocommerce", "airbyte", "coupons.json").read_text())
    site = FakeWooCommerce()
    _, answer = _batch(site, {"create": [{"code": "x", "amount": "1"}]}, _keys(site))
    assert set(answer["create"][0]) <= set(real)
