"""A pending order for a WhatsApp cart, against the fake WooCommerce: simple products and
variations, never paid, with its pay-for-order URL; a refused line is a RequestError."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.woocommerce.checkout import WAMID_META_KEY, WooLine, create_pending_order
from adapters.woocommerce.client import RequestError, WooClient
from tests.fakes.server import LoopbackServer
from tests.fakes.woocommerce import FakeWooCommerce


@pytest.fixture
def site() -> Iterator[FakeWooCommerce]:
    fake = FakeWooCommerce()
    with LoopbackServer(fake) as server:
        fake.url = server.url
        yield fake


def _client(fake: FakeWooCommerce) -> WooClient:
    key = fake.add_key()
    return WooClient(fake.url, key["consumer_key"], key["consumer_secret"],
                     sleep=lambda _seconds: None)


def test_a_pending_order_with_simple_products_and_variations(site: FakeWooCommerce) -> None:
    shirt = site.add_product(deliver=False, price="49.90")
    trousers = site.add_product(deliver=False, type="variable", price="79.00",
                                variation_ids=[9001, 9002])
    order_id, pay_url = create_pending_order(_client(site), [
        WooLine(product_id=str(shirt["id"]), variation_id=None, quantity=2),
        WooLine(product_id=str(trousers["id"]), variation_id="9001", quantity=1)],
        phone="+31612345678", note="From WhatsApp", wamid="wamid.1")
    order = site.orders[int(order_id)]
    assert pay_url == order["payment_url"]
    assert pay_url == (f"{site.url}/checkout/order-pay/{order_id}/?pay_for_order=true"
                       f"&key={order['order_key']}")
    assert (order["status"], order["date_paid_gmt"], order["total"]) == ("pending", None,
                                                                          "178.80")
    assert [(i["product_id"], i["variation_id"], i["quantity"])
            for i in order["line_items"]] == [(shirt["id"], 0, 2), (trousers["id"], 9001, 1)]
    assert order["billing"]["phone"] == "+31612345678"
    assert {"key": WAMID_META_KEY, "value": "wamid.1"} in order["meta_data"]


def test_a_line_the_store_refuses_makes_no_order(site: FakeWooCommerce) -> None:
    trousers = site.add_product(deliver=False, type="variable", variation_ids=[9001])
    with pytest.raises(RequestError, match="invalid_variation_id"):
        create_pending_order(_client(site), [
            WooLine(product_id=str(trousers["id"]), variation_id=None, quantity=1)],
            phone=None, note="", wamid="wamid.2")
    with pytest.raises(RequestError, match="invalid_product_id"):
        create_pending_order(_client(site), [
            WooLine(product_id="999999", variation_id=None, quantity=1)],
            phone=None, note="", wamid="wamid.3")
    assert site.orders == {}
