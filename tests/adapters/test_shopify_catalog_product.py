"""Shopify's REST product body read into what the catalog mapping needs."""
from __future__ import annotations

import json
from decimal import Decimal

from adapters.shopify.payloads import catalog_product
from plugin.domain.catalog_items import CatalogItem, map_product
from tests.conftest import shared_fixture


def _recorded() -> dict[str, object]:
    data = json.loads(shared_fixture("shopify", "shopify-python-api", "product.json").read_text())
    product: dict[str, object] = data.get("product", data)
    return product


def test_recorded_product_maps_every_variant() -> None:
    raw = _recorded()
    product = catalog_product(raw, currency="USD", store_base_url="https://shop.example")
    assert product.vendor and product.description_html and product.image_urls
    ids = {v.variant_id: f"r{v.variant_id}" for v in product.variants}
    listings = map_product(product, store_base_url="https://shop.example", retailer_ids=ids)
    assert len(listings) == len(raw["variants"]) > 1  # type: ignore[arg-type]
    for item in listings:
        assert isinstance(item, CatalogItem)
        assert item.item_group_id == str(raw["id"])
        assert item.price.endswith(" USD") and "<" not in item.description
        assert item.link == f"https://shop.example/products/{raw['handle']}"


def test_variant_image_compare_at_and_stock_policy() -> None:
    raw = {
        "id": 1, "title": "Mug", "handle": "mug", "body_html": "<b>Big</b>", "vendor": "Acme",
        "images": [{"id": 10, "src": "https://cdn/a.png"}, {"id": 11, "src": "https://cdn/b.png"}],
        "variants": [
            {"id": 5, "title": "Red", "price": "9.00", "compare_at_price": "12.00",
             "image_id": 11, "inventory_management": "shopify", "inventory_policy": "deny",
             "inventory_quantity": 0},
            {"id": 6, "title": "Blue", "price": "9.00", "inventory_management": None,
             "inventory_quantity": -3},
            {"id": 7, "title": "Green", "price": "9.00", "inventory_management": "shopify",
             "inventory_policy": "continue", "inventory_quantity": 0},
        ],
    }
    product = catalog_product(raw, currency="EUR")
    red, blue, green = product.variants
    assert red.image_url == "https://cdn/b.png" and blue.image_url == ""
    assert red.compare_at_price == Decimal("12.00")
    assert (red.inventory_quantity, red.in_stock) == (0, None)
    assert (blue.inventory_quantity, blue.in_stock) == (None, True)
    assert green.in_stock is True
    ids = {"5": "a", "6": "b", "7": "c"}
    items = map_product(product, store_base_url="https://s", retailer_ids=ids)
    assert [i.availability for i in items if isinstance(i, CatalogItem)] == [
        "out of stock", "in stock", "in stock"]
    first = items[0]
    assert isinstance(first, CatalogItem)
    assert (first.price, first.sale_price, first.image_link) == ("12.00 EUR", "9.00 EUR", "https://cdn/b.png")
    assert first.additional_image_links == ("https://cdn/a.png",)
