"""Cross-sell after delivery on WooCommerce, through the site's signed order and product
webhooks: order lines carry product and variation ids (a simple product's line names its
product as the variant), pairs are counted once per order however often the site delivers
it, the suggestion falls back to the product's category, and never names a product the
shopper bought or one out of stock."""
from __future__ import annotations

from typing import Any

import pytest

from plugin.models import OfferState
from tests.fakes import woocommerce_catalog as catalog
from tests.pipeline.alerts.conftest import WooAlerts
from tests.pipeline.alerts.cross_sell_world import (
    approve_template,
    body_of,
    days_pass,
    offers,
    pairs,
    suggestions,
    switch,
)
from tests.pipeline.alerts.price_world import opt_in
from tests.pipeline.alerts.world import shopper

ANA = shopper(2)
IMAGE = "https://woo.example/img/p.jpg"


def product(world: WooAlerts, name: str, category: str, *, in_stock: bool = True) -> int:
    """A simple product in `category`, read by the catalog from the site's webhook."""
    row = catalog.add_simple(world.site, name=name, permalink=f"https://woo.example/{name}",
                             images=[{"id": 1, "src": IMAGE}], price="20.00",
                             regular_price="20.00",
                             stock_status="instock" if in_stock else "outofstock",
                             categories=[{"id": 1, "name": category, "slug": category}])
    with world.site._lock:
        row.update(world.site._stamp(created=False))
    world.site.dispatch("product.updated", row)
    return int(row["id"])


def lines(*product_ids: int) -> list[dict[str, Any]]:
    """Order lines of simple products (variation_id 0), as WooCommerce writes them."""
    return [{"id": n, "name": f"Item {p}", "product_id": p, "variation_id": 0,
             "quantity": 1, "price": 20, "total": "20.00"}
            for n, p in enumerate(product_ids, 1)]


@pytest.fixture
def shop(woo: WooAlerts) -> dict[str, int]:
    """Mug and tea bought together twice, mug and the sold-out teapot three times; a
    kettle in the mug's category (Kitchen); the cross_sell template approved."""
    approve_template(woo)
    ids = {"mug": product(woo, "mug", "Kitchen"), "tea": product(woo, "tea", "Pantry"),
           "teapot": product(woo, "teapot", "Kitchen", in_stock=False),
           "kettle": product(woo, "kettle", "Kitchen"),
           "socks": product(woo, "socks", "Uncategorized")}
    for together in ([ids["mug"], ids["tea"]], [ids["tea"], ids["mug"]],
                     [ids["mug"], ids["teapot"]], [ids["mug"], ids["teapot"]],
                     [ids["teapot"], ids["mug"]]):
        woo.site.add_order(status="processing", line_items=lines(*together),
                           billing={"first_name": "Rui", "country": "PT"})
    return ids


def test_orders_count_once_and_the_category_fills_in(woo: WooAlerts,
                                                     shop: dict[str, int]) -> None:
    mug, tea, kettle = str(shop["mug"]), str(shop["tea"]), str(shop["kettle"])
    assert pairs(woo)[(mug, tea)] == 2 and pairs(woo)[(tea, mug)] == 2
    assert pairs(woo)[(mug, str(shop["teapot"]))] == 3
    switch(woo, on=True)
    placed = woo.site.add_order(status="processing", line_items=lines(shop["mug"]),
                                billing={"first_name": "Ana", "phone": ANA, "country": "PT",
                                         "email": "ana@example.com"})
    opt_in(woo, ANA)
    # The site delivers order.updated again and again (a note, a status): counted once.
    woo.site.update_order(placed["id"], status="completed")
    woo.site.update_order(placed["id"], status="completed")
    assert pairs(woo)[(mug, tea)] == 2
    woo.site.update_order(placed["id"], status="delivered")
    assert days_pass(woo, 8) == 1
    [payload] = suggestions(woo)
    assert payload["to"] == ANA.lstrip("+")
    # Tea (bought with the mug twice), then the kettle (same category); never the sold-out
    # teapot (bought with it most), the mug itself, or the uncategorised socks.
    assert body_of(payload) == ["Ana", "tea and kettle"]
    [offer] = [o for o in offers(woo) if o.state == OfferState.SENT]
    assert offer.suggested == [tea, kettle]


def test_never_what_she_bought_before(woo: WooAlerts, shop: dict[str, int]) -> None:
    switch(woo, on=True)
    billing = {"first_name": "Ana", "phone": ANA, "country": "PT", "email": "ana@example.com"}
    woo.site.add_order(status="completed", line_items=lines(shop["tea"]), billing=billing,
                       customer_id=77)
    placed = woo.site.add_order(status="processing", line_items=lines(shop["mug"]),
                                billing=billing, customer_id=77)
    opt_in(woo, ANA)
    woo.site.update_order(placed["id"], status="delivered")
    assert days_pass(woo, 8) == 1
    [payload] = suggestions(woo)
    assert body_of(payload) == ["Ana", "kettle"]
