"""Back in stock on WooCommerce, through the site's signed product webhooks (read back from
the site, as every WooCommerce product delivery is): a simple product's and a variation's
stock coming back releases their subscribers oldest first, twice the units; a sell-out
before the send stops the alert; a product without managed stock releases a default batch."""
from __future__ import annotations

from typing import Any

import pytest

from plugin.domain.alerts import UNKNOWN_UNITS_BATCH
from plugin.domain.policy import SOLD_OUT_AGAIN
from plugin.pipeline import send
from plugin.pipeline.alerts import release
from tests.fakes import woocommerce_catalog as catalog
from tests.pipeline.alerts.conftest import WooAlerts
from tests.pipeline.alerts.world import shopper

IMAGE = "https://woo.example/img/shirt.jpg"


def edit(world: WooAlerts, product: dict[str, Any], **fields: Any) -> None:
    """The owner edits a product; the site delivers product.updated, signed."""
    with world.site._lock:
        product.update(fields)
        product.update(world.site._stamp(created=False))
    world.site.dispatch("product.updated", product)


def restock(world: WooAlerts, product: dict[str, Any], quantity: int | None) -> None:
    """The product's managed stock becomes `quantity` (None: stock not managed, in stock)."""
    edit(world, product, stock_quantity=quantity, manage_stock=quantity is not None,
         stock_status="instock" if quantity is None or quantity > 0 else "outofstock")


@pytest.fixture
def shirt(woo: WooAlerts) -> dict[str, Any]:
    """A simple product, sold out, that the catalog has read."""
    product = catalog.add_simple(woo.site, name="shirt", permalink="https://woo.example/shirt",
                                 images=[{"id": 1, "src": IMAGE}])
    restock(woo, product, 0)
    return product


def test_a_restock_of_3_units_releases_the_first_6_of_10_and_the_rest_with_more_stock(
        woo: WooAlerts, shirt: dict[str, Any]) -> None:
    phones = [shopper(n) for n in range(10)]
    woo.subscribe_and_confirm(phones, str(shirt["id"]))
    assert woo.alerted() == []
    restock(woo, shirt, 3)
    assert woo.alerted() == phones[:6]
    restock(woo, shirt, 5)
    assert woo.alerted() == phones
    [body] = woo.alert_bodies()[:1]
    components = {c["type"]: c["parameters"] for c in body["template"]["components"]}
    assert components["header"][0]["image"]["link"] == IMAGE
    assert components["body"][1]["text"] == "shirt"


def test_a_variation_back_in_stock_releases_its_own_subscribers(woo: WooAlerts) -> None:
    boots = catalog.add_variable(woo.site, 2, name="boots",
                                 permalink="https://woo.example/boots",
                                 images=[{"id": 1, "src": IMAGE}])
    small, large = (str(v["id"]) for v in woo.site.variations[boots["id"]])
    with woo.site._lock:
        woo.site.variations[boots["id"]][0].update(stock_quantity=0, stock_status="outofstock")
        woo.site.variations[boots["id"]][1].update(stock_quantity=0, stock_status="outofstock")
    edit(woo, boots)
    woo.subscribe_and_confirm([shopper(1)], small)
    woo.subscribe_and_confirm([shopper(2)], large)
    with woo.site._lock:
        woo.site.variations[boots["id"]][1].update(stock_quantity=1, stock_status="instock")
    edit(woo, boots)  # WooCommerce saves the parent too: its variations are ids only
    assert woo.alerted() == [shopper(2)]
    [waiting] = [s for s in woo.subscriptions() if s.state == "waiting"]
    assert waiting.variant_id == small


def test_a_sell_out_between_release_and_send_stops_the_alert(
        woo: WooAlerts, shirt: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    woo.subscribe_and_confirm([shopper(1)], str(shirt["id"]))
    held: list[int] = []
    monkeypatch.setattr(release, "enqueue_after_commit",
                        lambda _session, _job, message_id, delay=0: held.append(message_id))
    restock(woo, shirt, 1)
    restock(woo, shirt, 0)
    with woo.app.app_context():
        for message_id in held:
            send.send_message(message_id)
    assert woo.alerted() == []
    assert [(m.state, m.reason) for m in woo.alert_messages()] == [("skipped", SOLD_OUT_AGAIN)]


def test_stock_that_is_not_managed_releases_a_default_batch(
        woo: WooAlerts, shirt: dict[str, Any]) -> None:
    phones = [shopper(n) for n in range(UNKNOWN_UNITS_BATCH + 2)]
    woo.subscribe_and_confirm(phones, str(shirt["id"]))
    restock(woo, shirt, None)
    assert woo.alerted() == phones[:UNKNOWN_UNITS_BATCH]


def test_a_negative_stock_on_backorder_is_not_back_in_stock(
        woo: WooAlerts, shirt: dict[str, Any]) -> None:
    woo.subscribe_and_confirm([shopper(1)], str(shirt["id"]))
    edit(woo, shirt, stock_quantity=-2, manage_stock=True, stock_status="onbackorder")
    assert woo.alerted() == []
    assert [s.state for s in woo.subscriptions()] == ["waiting"]
    restock(woo, shirt, 1)
    assert woo.alerted() == [shopper(1)]


def test_a_deleted_product_ends_its_subscriptions(woo: WooAlerts, shirt: dict[str, Any]) -> None:
    woo.subscribe_and_confirm([shopper(1)], str(shirt["id"]))
    catalog.delete_product(woo.site, shirt["id"])
    woo.site.dispatch("product.deleted", shirt)
    assert [s.state for s in woo.subscriptions()] == ["cancelled"]
    assert woo.subscribe(shopper(2), str(shirt["id"])).get_json()["fields"] == {
        "variant": "variant_unknown"}
