"""WooCommerce REST products (simple and variable) read into what the catalog maps."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from adapters.woocommerce.payloads import catalog_product
from plugin.domain.catalog_items import CatalogItem, KeptOut, map_product
from tests.conftest import shared_fixture


def _recorded(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        shared_fixture("woocommerce", "airbyte", name).read_text())
    return data


def _ids(product: Any) -> dict[str, str]:
    return {v.variant_id: f"r{v.variant_id}" for v in product.variants}


def test_recorded_simple_product_is_one_item() -> None:
    raw = next(p for p in _recorded("products.json") if p["type"] == "simple")
    product = catalog_product(raw, currency="USD")
    [item] = map_product(product, store_base_url="https://x", retailer_ids=_ids(product))
    assert isinstance(item, CatalogItem)
    assert item.item_group_id == str(raw["id"]) and item.link == raw["permalink"]
    assert item.price == f"{Decimal(raw['price']):.2f} USD"
    assert "<" not in item.description and item.description
    assert item.image_link == raw["images"][0]["src"]


def test_recorded_variations_keep_their_own_image_and_price() -> None:
    variations = _recorded("product_variations.json")
    parent = {"id": 7, "type": "variable", "name": "Tee", "permalink": "https://s/p/tee/",
              "description": "<p>Tee</p>", "images": []}
    product = catalog_product(parent, variations, currency="EUR")
    listings = map_product(product, store_base_url="https://s", retailer_ids=_ids(product))
    assert len(listings) == len(variations)
    for raw, item in zip(variations, listings, strict=True):
        assert isinstance(item, CatalogItem)
        assert item.item_group_id == "7"
        assert item.image_link == raw["image"]["src"]
        assert item.price == f"{Decimal(raw['price']):.2f} EUR"


def test_sale_stock_status_and_missing_price() -> None:
    parent = {"id": 1, "type": "variable", "name": "Cap", "brands": [{"name": "Acme"}],
              "images": [{"src": "https://s/cap.jpg"}]}
    variations = [
        {"id": 2, "price": "8", "regular_price": "10", "sale_price": "8",
         "stock_status": "outofstock", "attributes": [{"option": "Red"}]},
        {"id": 3, "price": "10", "regular_price": "10", "sale_price": "",
         "stock_status": "onbackorder", "stock_quantity": 0},
        {"id": 4, "price": "", "regular_price": "", "sale_price": ""},
    ]
    product = catalog_product(parent, variations, currency="KWD")
    sale, backorder, unpriced = map_product(product, store_base_url="https://s",
                                            retailer_ids=_ids(product))
    assert isinstance(sale, CatalogItem) and isinstance(backorder, CatalogItem)
    assert (sale.price, sale.sale_price, sale.availability) == (
        "10.000 KWD", "8.000 KWD", "out of stock")
    assert sale.title == "Cap" and sale.brand == "Acme"
    assert (backorder.sale_price, backorder.availability) == ("", "in stock")
    assert isinstance(unpriced, KeptOut) and "price" in unpriced.reason
