"""plugin/platforms/woocommerce/coupons.py against the fake WooCommerce site: a batch is never
more than 100 coupons (refused before any call), the site's 413 beyond its limit makes
nothing, and each item of the answer is read on its own: made, made before, or refused."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from adapters.woocommerce.client import RequestError
from plugin.infra import db
from plugin.models import Store
from plugin.platforms import discounts
from plugin.platforms.woocommerce import coupons, sites
from tests.fakes.woocommerce import FakeWooCommerce
from tests.worlds.woocommerce import connect, woo_store

ENDS = datetime.now(UTC) + timedelta(days=2)


def _codes(n: int, prefix: str = "SC-T") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


def _store(app: Flask, client: FlaskClient, site: FakeWooCommerce) -> Store:
    connect(client, site)
    store = db.session().get(Store, woo_store(app).id)
    assert store is not None
    return store


def test_more_than_100_coupons_a_batch_is_refused_before_any_call(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    with woo_app.app_context():
        store = _store(woo_app, owner_client, site)
        calls = len(site.requests)
        with sites.calling(store) as api, pytest.raises(ValueError, match="at most 100"):
            coupons.create_batch(api, _codes(101), 10, ENDS, single_use=True,
                                 purpose="Campaign")
    assert len(site.requests) == calls and site.coupon_batches == []


def test_the_site_answers_413_beyond_its_limit_and_makes_nothing(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    body = [coupons.coupon_fields(code, 10, ENDS, single_use=True, purpose="Campaign")
            for code in _codes(101)]
    with woo_app.app_context():
        store = _store(woo_app, owner_client, site)
        with sites.calling(store) as api, pytest.raises(RequestError) as refused:
            api.post("coupons/batch", {"create": body})
    assert refused.value.status == 413
    assert "woocommerce_rest_request_entity_too_large" in str(refused.value)
    assert "more than 100 items" in str(refused.value)
    assert site.coupons == {} and site.coupon_batches == [101]


def test_each_item_is_read_on_its_own(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    new, before, refused = _codes(3)
    with woo_app.app_context():
        store = _store(woo_app, owner_client, site)
        # Made by an earlier request whose answer was lost: the one-coupon call makes the
        # same coupon, so the batch must count it as made.
        discounts.make_code(store, before, 10, ENDS, single_use=True, purpose="Campaign")
        site.refused_coupons[refused.lower()] = ("coupon_prefix_reserved", "Reserved.")
        with sites.calling(store) as api:
            created = coupons.create_batch(api, [new, before, refused], 10, ENDS,
                                           single_use=True, purpose="Campaign")
    assert created.made == [new, before]
    assert created.refused == [f"{refused}: coupon_prefix_reserved: Reserved."]
    with pytest.raises(RequestError, match="WooCommerce refused 1 coupons"):
        created.check()
    assert sorted(c["code"] for c in site.coupons.values()) == [new.lower(), before.lower()]


def test_a_batch_coupon_is_the_one_coupon_calls_coupon(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    single, batched = _codes(2)
    with woo_app.app_context():
        store = _store(woo_app, owner_client, site)
        discounts.make_code(store, single, 25, ENDS, single_use=True, purpose="Campaign")
        with sites.calling(store) as api:
            coupons.create_batch(api, [batched], 25, ENDS, single_use=True,
                                 purpose="Campaign").check()
    one, other = sorted(site.coupons.values(), key=lambda c: c["id"])
    assert {k: v for k, v in one.items() if k not in ("id", "code")} == \
        {k: v for k, v in other.items() if k not in ("id", "code")}
    assert (other["usage_limit"], other["amount"]) == (1, "25.00")
