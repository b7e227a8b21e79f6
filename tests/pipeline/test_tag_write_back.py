"""Tags copied to the store platform when the owner turned it on: Shopify customer tags
(tagsAdd / tagsRemove, checked against the fake's recorded mutations), WooCommerce customer
meta (PUT customers/<id>); nothing when it is off or for a guest."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Customer, Order
from plugin.pipeline import customer_tags
from plugin.pipeline.tag_write_back import SHOPIFY_PREFIX, WOO_META_KEY
from tests.pipeline import test_cod_answers as cod
from tests.pipeline.test_cod_answers import ShopWorld, WooWorld
from tests.worlds.shopify import SHOP

graph, shop, woo, woo_app = cod.graph, cod.shop, cod.woo, cod.woo_app
GID = "gid://shopify/Customer/501"


def _buyer(app: Flask, store_id: int, platform_id: str, *, write_back: bool,
           discounted: bool = False) -> int:
    """A customer whose first order arrives now (tagged `new`), in one transaction."""
    with app.app_context(), db.transaction() as session:
        customer_tags.settings_for(session, store_id).write_back = write_back
        customer = Customer(store_id=store_id, platform_id=platform_id, tags=[])
        session.add(customer)
        session.flush()
        session.add(Order(store_id=store_id, platform_id=f"wb-{platform_id}", number="9",
                          customer_id=customer.id, status="paid", currency="EUR",
                          total="10.00", discounted=discounted,
                          placed_at=db.utcnow() - timedelta(hours=1)))
        session.flush()
        customer_tags.recompute(session, store_id, [customer.id])
        return customer.id


def test_shopify_gets_prefixed_tags_and_loses_lapsed_ones(shop: ShopWorld) -> None:
    shop.shopify.customer_tags[SHOP] = {GID: {"wholesale", f"{SHOPIFY_PREFIX}at_risk"}}
    customer_id = _buyer(shop.app, shop.store_id, "501", write_back=True, discounted=True)
    assert shop.shopify.customer_tags[SHOP][GID] == {
        "wholesale", f"{SHOPIFY_PREFIX}deal_seeker", f"{SHOPIFY_PREFIX}new"}
    mutations = [(op, v) for op, v in shop.shopify.mutations if "/Customer/" in v["id"]]
    assert mutations == [
        ("tagsAdd", {"id": GID, "tags": [f"{SHOPIFY_PREFIX}deal_seeker",
                                         f"{SHOPIFY_PREFIX}new"]}),
        ("tagsRemove", {"id": GID, "tags": [f"{SHOPIFY_PREFIX}{t}" for t in
                                            ("frequent", "at_risk", "high_value")]})]
    # An owner's manual tag is a change too.
    with shop.app.app_context(), db.transaction() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        customer_tags.set_manual(session, customer, "vip", True)
    assert f"{SHOPIFY_PREFIX}vip" in shop.shopify.customer_tags[SHOP][GID]


def test_shopify_nothing_when_off_or_for_a_guest(shop: ShopWorld) -> None:
    shop.shopify.customer_tags[SHOP] = {GID: set()}
    _buyer(shop.app, shop.store_id, "501", write_back=False)
    _buyer(shop.app, shop.store_id, "guest:ana@example.com", write_back=True)
    assert [m for m in shop.shopify.mutations if "/Customer/" in m[1]["id"]] == []
    assert shop.shopify.customer_tags[SHOP][GID] == set()


def test_woocommerce_gets_the_tags_as_customer_meta(woo: WooWorld) -> None:
    woo.site.customers[77] = {"id": 77, "meta_data": [{"id": 1, "key": "other", "value": "x"}]}
    _buyer(woo.app, woo.store_id, "77", write_back=True)
    meta = {m["key"]: m["value"] for m in woo.site.customers[77]["meta_data"]}
    assert meta == {"other": "x", WOO_META_KEY: "new"}
    assert ("PUT", "/wc/v3/customers/77") in [(m, p) for m, p, _ in woo.site.requests]
    with woo.app.app_context():
        assert db.session().scalars(select(Customer.tags).where(
            Customer.platform_id == "77")).one() == ["new"]
