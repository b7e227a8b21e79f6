"""Price drops on WooCommerce, through the site's signed product webhooks (read back from
the site): a simple product's price and a variation's price falling from 20.00 to 18.50
alert their subscribers, to 19.50 they do not; a sale price counts as the price shown;
one alert in 30 days; a shopper with the product in an open cart hears too."""
from __future__ import annotations

from typing import Any

import pytest

from plugin.infra import db
from plugin.models import Checkout
from tests.fakes import woocommerce_catalog as catalog
from tests.pipeline.alerts.conftest import WooAlerts
from tests.pipeline.alerts.price_world import (
    alerts_rows,
    approve_template,
    opt_in,
    price_alerted,
    price_bodies,
    subscribe_to_price,
)
from tests.pipeline.alerts.world import shopper

IMAGE = "https://woo.example/img/shirt.jpg"


def edit(world: WooAlerts, product: dict[str, Any], **fields: Any) -> None:
    """The owner edits a product; the site delivers product.updated, signed."""
    with world.site._lock:
        product.update(fields)
        product.update(world.site._stamp(created=False))
    world.site.dispatch("product.updated", product)


def reprice(world: WooAlerts, product: dict[str, Any], regular: str, sale: str = "") -> None:
    """The owner sets the regular (and sale) price; WooCommerce's `price` is what it sells at."""
    edit(world, product, regular_price=regular, sale_price=sale, price=sale or regular)


@pytest.fixture
def shirt(woo: WooAlerts) -> dict[str, Any]:
    """A simple product at 20.00 that the catalog has read; the template approved."""
    approve_template(woo)
    product = catalog.add_simple(woo.site, name="shirt", permalink="https://woo.example/shirt",
                                 images=[{"id": 1, "src": IMAGE}])
    reprice(woo, product, "20.00")
    return product


def test_20_to_18_50_alerts_and_19_50_does_not(woo: WooAlerts, shirt: dict[str, Any]) -> None:
    subscribe_to_price(woo, [shopper(1)], str(shirt["id"]))
    reprice(woo, shirt, "19.50")
    assert price_alerted(woo) == []
    reprice(woo, shirt, "20.00")
    reprice(woo, shirt, "18.50")
    assert price_alerted(woo) == [shopper(1)]
    [template] = price_bodies(woo)
    body = [p["text"] for c in template["components"] if c["type"] == "body"
            for p in c["parameters"]]
    assert body == ["Ana", "shirt", "€20.00", "€18.50"]
    reprice(woo, shirt, "20.00")
    reprice(woo, shirt, "15.00")  # within 30 days: nothing more
    assert price_alerted(woo) == [shopper(1)]


def test_a_sale_is_a_drop_of_the_price_shown(woo: WooAlerts, shirt: dict[str, Any]) -> None:
    subscribe_to_price(woo, [shopper(1)], str(shirt["id"]))
    reprice(woo, shirt, "20.00", sale="18.50")
    assert price_alerted(woo) == [shopper(1)]
    [alert] = alerts_rows(woo)
    assert (alert.old_price, alert.new_price) == ("20.00", "18.50")


def test_a_variation_falling_alerts_its_own_subscribers(woo: WooAlerts) -> None:
    approve_template(woo)
    boots = catalog.add_variable(woo.site, 2, name="boots",
                                 permalink="https://woo.example/boots",
                                 images=[{"id": 1, "src": IMAGE}])
    small, large = (str(v["id"]) for v in woo.site.variations[boots["id"]])
    with woo.site._lock:
        for variation in woo.site.variations[boots["id"]]:
            variation.update(price="20.00", regular_price="20.00")
    edit(woo, boots)
    subscribe_to_price(woo, [shopper(1)], small)
    subscribe_to_price(woo, [shopper(2)], large)
    with woo.site._lock:
        woo.site.variations[boots["id"]][1].update(price="18.50", regular_price="18.50")
        woo.site.variations[boots["id"]][0].update(price="19.50", regular_price="19.50")
    edit(woo, boots)  # WooCommerce saves the parent too: its variations are ids only
    assert price_alerted(woo) == [shopper(2)]


def test_an_open_cart_hears_and_a_completed_one_does_not(
        woo: WooAlerts, shirt: dict[str, Any]) -> None:
    # The carts as the companion plugin's cart webhooks leave them (tests.pipeline
    # .test_checkouts covers those webhooks): one open, one completed.
    open_phone, done_phone = shopper(1), shopper(2)
    for phone, completed in ((open_phone, None), (done_phone, db.utcnow())):
        opt_in(woo, phone)
        with woo.app.app_context(), db.transaction() as session:
            session.add(Checkout(store_id=woo.store_id, platform_id=f"cart-{phone}",
                                 phone_e164=phone, first_name="Rui", currency="EUR",
                                 items=[{"variant_id": str(shirt["id"]), "quantity": 1}],
                                 item_count=1, total="20.00", completed_at=completed))
    reprice(woo, shirt, "18.50")
    assert price_alerted(woo) == [open_phone]
