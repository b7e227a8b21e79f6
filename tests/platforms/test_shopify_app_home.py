"""App Home: an ID token opens /shopify/app, token exchange installs the shop at the fake."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select, text

from plugin.infra import db
from plugin.models import Store
from plugin.platforms.stores import credentials
from tests.fakes.shopify import FakeShopify
from tests.worlds.shopify import API_KEY, OLD_SECRET, SHOP, id_token


def _store(app: Flask) -> Store:
    with app.app_context():
        return db.session().scalars(select(Store).where(Store.domain == SHOP)).one()


def test_first_load_installs_the_shop_and_shows_the_admin(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    response = shop_app.test_client().get(f"/shopify/app?shop={SHOP}&id_token={id_token()}")
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert f'<meta name="shopify-api-key" content="{API_KEY}">' in page
    assert '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>' in page
    assert "Acme Linen" in page
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors https://{SHOP} https://admin.shopify.com" in policy
    assert "script-src 'self' https://cdn.shopify.com/shopifycloud/;" in policy
    assert shopify.exchanges == 1
    store = _store(shop_app)
    # The way to the widget designer: inside Shopify's iframe a link carries no ID token,
    # so it says it is embedded, and shopifyapp's bounce page fetches a fresh token.
    link = f"/stores/{store.id}/widget?embedded=1&amp;shop={SHOP}"
    assert f'href="{link}"' in page
    bounced = shop_app.test_client().get(link.replace("&amp;", "&"))
    assert bounced.status_code == 302
    assert "/shopify/patch-id-token" in bounced.headers["Location"]
    assert (store.platform, store.status, store.name) == ("shopify", "active", "Acme Linen")
    assert (store.currency, store.country, store.timezone, store.locale) == (
        "EUR", "NL", "Europe/Amsterdam", "nl")
    assert store.access_expires_at is not None and store.refresh_expires_at is not None
    # The theme's app embed gets the store key and StoreChat's URL without any pasting.
    assert shopify.app_metafields[SHOP] == {("storechat", "store_key"): store.key,
                                            ("storechat", "widget_url"): "http://127.0.0.1:8000"}
    with shop_app.app_context():
        saved = credentials(db.session().get(Store, store.id))
        raw = db.session().execute(text("SELECT credentials FROM stores WHERE id = :id"),
                                   {"id": store.id}).scalar_one()
    assert saved["access_token"].startswith("shpat_fake_")
    assert saved["refresh_token"].startswith("shprt_fake_")
    assert saved["access_token"] not in raw and saved["refresh_token"] not in raw
    assert "shpat" not in raw and "shprt" not in raw


def test_later_loads_reuse_the_stored_token(shop_app: Flask,
                                            fake: tuple[FakeShopify, str]) -> None:
    client = shop_app.test_client()
    for _ in range(2):
        assert client.get(f"/shopify/app?shop={SHOP}&id_token={id_token()}").status_code == 200
    assert fake[0].exchanges == 1
    with shop_app.app_context():
        assert len(db.session().scalars(select(Store).where(Store.domain == SHOP)).all()) == 1


def test_a_store_that_must_reconnect_is_reconnected_by_opening_the_app(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    client = shop_app.test_client()
    client.get(f"/shopify/app?shop={SHOP}&id_token={id_token()}")
    with shop_app.app_context(), db.transaction() as tx:
        tx.scalars(select(Store)).one().status = "reconnect-needed"
    response = client.get(f"/shopify/app?shop={SHOP}&id_token={id_token()}")
    assert response.status_code == 200
    assert "connected to your shop again" in response.get_data(as_text=True)
    assert fake[0].exchanges == 2
    assert _store(shop_app).status == "active"


def test_a_bad_id_token_gets_shopifyapps_answer_and_installs_nothing(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    forged = id_token(secret="shpss_someone_elses_secret_0123456")
    response = shop_app.test_client().get(f"/shopify/app?shop={SHOP}&id_token={forged}")
    # A document request with a bad token is bounced to fetch a fresh one.
    assert response.status_code == 302
    assert "/shopify/patch-id-token" in response.headers["Location"]
    bearer = shop_app.test_client().get("/shopify/app",
                                        headers={"Authorization": f"Bearer {forged}"})
    assert bearer.status_code == 401
    assert bearer.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert fake[0].exchanges == 0
    with shop_app.app_context():
        assert db.session().scalars(select(Store)).all() == []


def test_a_refused_token_exchange_installs_nothing(shop_app: Flask,
                                                   fake: tuple[FakeShopify, str]) -> None:
    # Signed with the old secret: we accept it, the fake's token endpoint does not.
    response = shop_app.test_client().get(
        f"/shopify/app?shop={SHOP}&id_token={id_token(secret=OLD_SECRET)}")
    # shopifyapp answers invalid_subject_token with the bounce that fetches a fresh token.
    assert response.status_code == 302
    assert "/shopify/patch-id-token" in response.headers["Location"]
    with shop_app.app_context():
        assert db.session().scalars(select(Store)).all() == []


def test_without_shopify_settings_the_app_home_refuses(app: Flask) -> None:
    response = app.test_client().get(f"/shopify/app?id_token={id_token()}")
    assert response.status_code == 401
