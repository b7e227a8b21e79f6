"""plugin/platforms/discounts.py against the fake Shopify (GraphQL) and the fake WooCommerce
site (REST coupons): one single-use code per cart, created once even when retried."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.domain.errors import ShopifyError, WooCommerceError
from plugin.infra import db
from plugin.models import Store, StoreStatus
from plugin.platforms.discounts import ALPHABET, discount_code, recovery_discount
from tests.fakes.shopify import FakeShopify
from tests.fakes.woocommerce import FakeWooCommerce
from tests.worlds.shopify import SHOP, id_token
from tests.worlds.woocommerce import connect, woo_store


def _deadline(days: int = 3) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def _shopify_store(app: Flask) -> Store:
    response = app.test_client().get(f"/shopify/app?shop={SHOP}&id_token={id_token()}")
    assert response.status_code == 200, response.get_data(as_text=True)
    store = db.session().scalars(select(Store).where(Store.domain == SHOP)).one()
    return store


def test_the_code_is_derived_from_the_checkout_and_unambiguous() -> None:
    code = discount_code("checkout-42")
    assert code == discount_code("checkout-42")
    assert code != discount_code("checkout-43")
    assert code.startswith("SC-") and len(code) == 13
    assert set(code[3:]) <= set(ALPHABET)
    assert not set("01OIL") & set(code[3:])


def test_shopify_creates_the_code_once_and_a_retry_finds_it(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    ends = _deadline()
    with shop_app.app_context():
        store = _shopify_store(shop_app)
        code = recovery_discount(store, "tok-abc", 15, ends)
        again = recovery_discount(store, "tok-abc", 15, ends)  # the retry after a crash
        assert shopify.discounts.creates == 1
        other = recovery_discount(store, "tok-def", 15, ends)  # another cart: its own code
    assert again == code != other
    assert shopify.discounts.creates == 2
    stored = shopify.discounts.codes[SHOP][code]
    assert (stored["usageLimit"], stored["appliesOncePerCustomer"]) == (1, True)
    assert datetime.fromisoformat(stored["endsAt"]) == ends
    assert stored["customerGets"] == {"value": {"percentage": 0.15}, "items": {"all": True}}


def test_a_shopify_refusal_is_a_clear_shopify_error(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    with shop_app.app_context():
        store = _shopify_store(shop_app)
        # The code exists but the lookup misses it (as right after a create Shopify has not
        # indexed yet): the create answers Shopify's userError, raised in plain words.
        shopify.discounts.codes[SHOP] = {discount_code("tok-x"): {"id": "gid://x/1"}}
        original = shopify.discounts.resolve

        def without_lookup(shop: str, query: str, variables: dict) -> dict:  # type: ignore[type-arg]
            data = original(shop, query, variables)
            data.pop("codeDiscountNodeByCode", None)
            return data
        shopify.discounts.resolve = without_lookup  # type: ignore[method-assign]
        with pytest.raises(ShopifyError, match="Code must be unique"):
            recovery_discount(store, "tok-x", 10, _deadline())


def test_woocommerce_creates_the_coupon_once_and_a_retry_finds_it(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    connect(owner_client, site)
    ends = _deadline(1)
    with woo_app.app_context():
        store = db.session().get(Store, woo_store(woo_app).id)
        assert store is not None
        code = recovery_discount(store, "cart-7", 20, ends)
        assert recovery_discount(store, "cart-7", 20, ends) == code
    assert site.coupon_creates == 1
    [coupon] = site.coupons.values()
    assert coupon["code"] == code.lower()  # WooCommerce keeps codes lower-case
    assert (coupon["discount_type"], coupon["amount"]) == ("percent", "20.00")
    assert (coupon["usage_limit"], coupon["usage_limit_per_user"]) == (1, 1)
    assert coupon["individual_use"] is True
    assert coupon["date_expires_gmt"] == ends.strftime("%Y-%m-%dT%H:%M:%S")


def test_a_woocommerce_refusal_is_a_clear_woocommerce_error(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    connect(owner_client, site)
    with woo_app.app_context():
        store = db.session().get(Store, woo_store(woo_app).id)
        assert store is not None
        # The coupon exists but the list does not show it (a lagging object cache): the
        # create answers WooCommerce's duplicate error, raised in plain words.
        site.coupons[1] = {"id": 1, "code": discount_code("cart-9").lower()}
        original = site._list
        site._list = lambda request, rows: original(request, [])  # type: ignore[method-assign]
        with pytest.raises(WooCommerceError, match="already exists"):
            recovery_discount(store, "cart-9", 10, _deadline())


@pytest.mark.parametrize("percent", [0, -5, 101, True])
def test_a_percent_outside_1_to_100_is_refused_before_any_call(
        shop_app: Flask, fake: tuple[FakeShopify, str], percent: int) -> None:
    shopify, _ = fake
    with shop_app.app_context():
        store = _shopify_store(shop_app)
        calls = shopify.graphql_calls
        with pytest.raises(ValueError, match="1 to 100 percent"):
            recovery_discount(store, "tok-p", percent, _deadline())
    assert shopify.graphql_calls == calls


def test_an_expiry_in_the_past_or_without_zone_is_refused(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    with shop_app.app_context():
        store = _shopify_store(shop_app)
        with pytest.raises(ValueError, match="in the past"):
            recovery_discount(store, "tok-t", 10, datetime.now(UTC) - timedelta(minutes=1))
        with pytest.raises(ValueError, match="time zone"):
            recovery_discount(store, "tok-t", 10, datetime(2099, 1, 1))
    assert fake[0].discounts.creates == 0


def test_revoked_woocommerce_keys_mark_the_store_for_reconnecting(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    connect(owner_client, site)
    site.revoke_keys()
    store_id = woo_store(woo_app).id
    with woo_app.app_context():
        store = db.session().get(Store, store_id)
        assert store is not None
        with pytest.raises(WooCommerceError, match="refused StoreChat's API keys"):
            recovery_discount(store, "cart-1", 10, _deadline())
        after = db.session().get(Store, store_id, populate_existing=True)
        assert after is not None and after.status == StoreStatus.RECONNECT_NEEDED.value
    assert site.coupon_creates == 0
