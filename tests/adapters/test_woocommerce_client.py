"""The REST wrapper against the fake: OAuth over http, Basic over https with the query-string
fallback, paging, retries, revoked keys; and the store URL rules."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask

from adapters.woocommerce.client import (
    MAX_ATTEMPTS,
    RequestError,
    Unauthorized,
    Unavailable,
    WooClient,
)
from plugin.infra import db
from plugin.models import Store
from plugin.platforms.stores import set_credentials
from plugin.platforms.woocommerce import sites
from plugin.platforms.woocommerce.urls import StoreUrlError, normalise_store_url
from tests.fakes.server import LoopbackServer
from tests.fakes.woocommerce import FakeWooCommerce, TlsLoopbackServer, self_signed_certificate
from tests.worlds.woocommerce import creds, woo_store


@pytest.fixture
def plain() -> Iterator[FakeWooCommerce]:
    fake = FakeWooCommerce()
    with LoopbackServer(fake) as server:
        fake.url = server.url
        yield fake


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWooCommerce]:
    """The fake over https; requests trusts its certificate through REQUESTS_CA_BUNDLE."""
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
    fake = FakeWooCommerce()
    with TlsLoopbackServer(fake, cert, key) as server:
        fake.url = server.url
        yield fake


def _client(fake: FakeWooCommerce, sleeps: list[float] | None = None, **kw: object) -> WooClient:
    key = fake.add_key()
    return WooClient(fake.url, key["consumer_key"], key["consumer_secret"],
                     sleep=(sleeps.append if sleeps is not None else lambda s: None), **kw)  # type: ignore[arg-type]


def test_oauth_over_http_and_paging(plain: FakeWooCommerce) -> None:
    for _ in range(205):
        plain.add_order(deliver=False)
    api = _client(plain)
    assert [len(p) for p in api.pages("orders")] == [100, 100, 5]
    assert len({o["id"] for o in api.get_all("orders")}) == 205
    assert {mode for _, _, mode in plain.requests} == {"oauth"}
    assert api.system_status().currency == "EUR"


def test_the_fake_refuses_pages_over_100(plain: FakeWooCommerce) -> None:
    with pytest.raises(RequestError) as caught:
        _client(plain).get("orders", {"per_page": 101})
    assert caught.value.status == 400


def test_429_and_5xx_are_retried_then_given_up(plain: FakeWooCommerce) -> None:
    sleeps: list[float] = []
    api = _client(plain, sleeps)
    plain.fail_next(429, 503)
    assert api.get("orders") == []
    assert sleeps == [0.0, 0.0]  # the fake's Retry-After: 0
    plain.fail_next(*[500] * MAX_ATTEMPTS)
    with pytest.raises(Unavailable):
        api.get("orders")


def test_basic_auth_then_query_string_when_the_host_strips_authorization(
        tls: FakeWooCommerce) -> None:
    api = _client(tls)
    assert api.system_status().wc_version
    assert (api.query_string_auth, api.auth_mode_changed) == (False, False)
    tls.strip_authorization = True
    assert api.system_status().wc_version
    assert (api.query_string_auth, api.auth_mode_changed) == (True, True)
    assert [mode for _, _, mode in tls.requests] == ["basic", "none", "query"]


def test_revoked_keys_are_unauthorized_in_both_modes(tls: FakeWooCommerce) -> None:
    api = _client(tls)
    tls.revoke_keys()
    with pytest.raises(Unauthorized):
        api.get("orders")
    assert [mode for _, _, mode in tls.requests] == ["basic", "query"]
    assert api.query_string_auth is False


def _store_for(app: Flask, fake: FakeWooCommerce) -> int:
    key = fake.add_key()
    with app.app_context(), db.transaction() as tx:
        store = Store(platform="woocommerce", domain=fake.url, name="x")
        set_credentials(store, {"consumer_key": key["consumer_key"],
                                "consumer_secret": key["consumer_secret"],
                                "query_string_auth": False, "webhooks": {}})
        tx.add(store)
        tx.flush()
        return store.id


def test_the_store_remembers_query_string_auth(woo_app: Flask, tls: FakeWooCommerce) -> None:
    store_id = _store_for(woo_app, tls)
    tls.strip_authorization = True
    with woo_app.app_context():
        assert sites.with_client(store_id, lambda s, api: api.system_status()) is not None
    assert creds(woo_app)["query_string_auth"] is True
    tls.requests.clear()
    with woo_app.app_context():
        sites.with_client(store_id, lambda s, api: api.system_status())
    assert [mode for _, _, mode in tls.requests] == ["query"]  # straight to the mode that works


def test_revoked_keys_put_the_store_in_reconnect_needed(woo_app: Flask,
                                                        tls: FakeWooCommerce) -> None:
    store_id = _store_for(woo_app, tls)
    tls.revoke_keys()
    with woo_app.app_context():
        assert sites.with_client(store_id, lambda s, api: api.get("orders")) is None
    assert woo_store(woo_app).status == "reconnect-needed"


def _resolver(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host: list(addresses)


@pytest.mark.parametrize("raw, expected", [
    ("Shop.Example.com", "https://shop.example.com"),
    ("https://shop.example.com/", "https://shop.example.com"),
    ("https://shop.example.com:443/shop/wp-admin/", "https://shop.example.com/shop"),
    ("https://shop.example.com:8443", "https://shop.example.com:8443"),
])
def test_store_urls_are_normalised(raw: str, expected: str) -> None:
    assert normalise_store_url(raw, allow_private=False,
                               resolver=_resolver("93.184.216.34")) == expected


@pytest.mark.parametrize("raw, addresses", [
    ("http://shop.example.com", ["93.184.216.34"]),
    ("https://shop.example.com", ["192.168.1.10"]),
    ("https://shop.example.com", ["93.184.216.34", "10.0.0.1"]),  # any private answer
    ("https://shop.example.com", ["::ffff:127.0.0.1"]),
    ("https://shop.example.com", ["fd00::1"]),
    ("https://shop.example.com", []),
    ("https://shop.example.com?x=1", ["93.184.216.34"]),
    ("gopher://shop.example.com", ["93.184.216.34"]),
])
def test_unsafe_store_urls_are_refused(raw: str, addresses: list[str]) -> None:
    with pytest.raises(StoreUrlError):
        normalise_store_url(raw, allow_private=False, resolver=_resolver(*addresses))


def test_test_mode_allows_http_loopback() -> None:
    assert normalise_store_url("http://127.0.0.1:8080/wp/", allow_private=True) == \
        "http://127.0.0.1:8080/wp"


def test_the_fake_store_api_cart_behaves_like_woocommerces(site: FakeWooCommerce) -> None:
    # The Store API is public and keyed by the Cart-Token it hands out (prices in minor units).
    product = site.add_product(deliver=False, price="12.50")
    with httpx.Client(base_url=f"{site.url}/wp-json/wc/store/v1") as store_api:
        empty = store_api.get("/cart")
        token = empty.headers["Cart-Token"]
        assert empty.json()["items_count"] == 0
        added = store_api.post("/cart/add-item", json={"id": product["id"], "quantity": 2},
                               headers={"Cart-Token": token})
        assert added.json()["totals"]["total_price"] == "2500"
        assert store_api.get("/cart", headers={"Cart-Token": token}).json()["items_count"] == 2
        assert store_api.post("/cart/add-item", json={"id": 999999},
                              headers={"Cart-Token": token}).status_code == 400


@pytest.mark.parametrize("raw, addresses, words", [
    ("not a url", ["93.184.216.34"],
     "“not a url” is not a web address. Enter your store's address, like "
     "https://shop.example.com."),
    ("https://shop_example!.com", ["93.184.216.34"], "“https://shop_example!.com” is not a web"),
    ("", [], "Enter your store's address, like https://shop.example.com."),
    ("myshop", ["93.184.216.34"], "Enter the store's full address, like "),
    ("shop.example.com", [], "No website was found at shop.example.com. Check the address "
                             "for a typing mistake."),
    ("shop.example.com", ["10.0.0.1"], "shop.example.com leads to a private or local address"),
])
def test_a_refused_address_says_why_in_plain_words(raw: str, addresses: list[str],
                                                   words: str) -> None:
    """Issue 21: "not a url does not resolve to an address"."""
    with pytest.raises(StoreUrlError) as refused:
        normalise_store_url(raw, allow_private=False, resolver=_resolver(*addresses))
    assert words in str(refused.value)


def test_an_international_store_name_is_an_address() -> None:
    assert normalise_store_url("https://loja.café.pt", allow_private=False,
                               resolver=_resolver("93.184.216.34")) == "https://loja.café.pt"
