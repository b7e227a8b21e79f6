"""Authorization-code install: state bound to the browser, shop domains, callback HMAC."""
from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Store
from plugin.platforms.shopify import oauth
from tests.conftest import create_owner, shared_fixture, sign_in
from tests.fakes.shopify import FakeShopify, oauth_hmac
from tests.worlds.shopify import API_KEY, OLD_SECRET, SHOP


@pytest.fixture
def owner_client(shop_app: Flask) -> FlaskClient:
    create_owner(shop_app, "owner@example.com")
    client = shop_app.test_client()
    assert sign_in(client, "owner@example.com").status_code == 302
    return client


def _start(client: FlaskClient, shop: str = SHOP) -> dict[str, str]:
    response = client.get(f"/shopify/install?{urlencode({'shop': shop})}")
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    return {"location": location, **query}


def _stores(app: Flask) -> list[Store]:
    with app.app_context():
        return list(db.session().scalars(select(Store).where(Store.platform == "shopify")))


def test_install_end_to_end_through_the_fake(shop_app: Flask, owner_client: FlaskClient,
                                             fake: tuple[FakeShopify, str]) -> None:
    shopify, base = fake
    started = _start(owner_client, "Acme.myshopify.com")  # normalised to lower case
    assert started["location"].startswith(f"{base}/{SHOP}/admin/oauth/authorize?")
    assert started["client_id"] == API_KEY
    assert started["redirect_uri"] == "http://127.0.0.1:8000/shopify/callback"
    assert started["scope"] == shop_app.config["STORECHAT"].shopify_scopes
    # The merchant approves at the fake, which redirects back with a signed code.
    with httpx.Client() as browser:
        approved = browser.get(started["location"])
    assert approved.status_code == 302
    callback = urlsplit(approved.headers["Location"])
    response = owner_client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert shopify.code_exchanges == 1
    [store] = _stores(shop_app)
    assert (store.domain, store.name, store.status) == (SHOP, "Acme Linen", "active")
    assert store.owner_id is not None and store.refresh_expires_at is not None
    assert "Acme Linen" in owner_client.get("/").get_data(as_text=True)
    # The state was single-use: the same callback again is refused.
    replay = owner_client.get(f"{callback.path}?{callback.query}")
    assert replay.status_code == 403
    assert shopify.code_exchanges == 1


def _callback(client: FlaskClient, params: dict[str, str]) -> int:
    return client.get(f"/shopify/callback?{urlencode(params)}").status_code


def test_a_wrong_state_is_refused(shop_app: Flask, owner_client: FlaskClient,
                                  fake: tuple[FakeShopify, str]) -> None:
    _start(owner_client)
    params = fake[0].signed_callback_query(SHOP, state="not-the-one")
    assert _callback(owner_client, params) == 403
    assert _stores(shop_app) == [] and fake[0].code_exchanges == 0


def test_a_callback_in_another_browser_is_refused(shop_app: Flask, owner_client: FlaskClient,
                                                  fake: tuple[FakeShopify, str]) -> None:
    started = _start(owner_client)
    other = shop_app.test_client()
    sign_in(other, "owner@example.com")  # same owner, another browser: no pending state
    assert _callback(other, fake[0].signed_callback_query(SHOP, started["state"])) == 403
    assert _stores(shop_app) == []


def test_a_bad_hmac_is_refused(shop_app: Flask, owner_client: FlaskClient,
                               fake: tuple[FakeShopify, str]) -> None:
    started = _start(owner_client)
    params = fake[0].signed_callback_query(SHOP, started["state"])
    params["code"] = fake[0].issue_code(SHOP)  # swapped after signing
    assert _callback(owner_client, params) == 403
    assert _stores(shop_app) == []


def test_a_callback_signed_with_the_old_secret_is_accepted(
        shop_app: Flask, owner_client: FlaskClient, fake: tuple[FakeShopify, str]) -> None:
    started = _start(owner_client)
    params = fake[0].signed_callback_query(SHOP, started["state"])
    params["hmac"] = oauth_hmac(OLD_SECRET, params)
    assert _callback(owner_client, params) == 302
    assert len(_stores(shop_app)) == 1


def test_an_old_callback_is_refused(shop_app: Flask, owner_client: FlaskClient,
                                    fake: tuple[FakeShopify, str]) -> None:
    started = _start(owner_client)
    params = fake[0].signed_callback_query(SHOP, started["state"],
                                           timestamp=int(time.time()) - 2 * 86400)
    assert _callback(owner_client, params) == 403


def test_a_callback_for_another_shop_is_refused(shop_app: Flask, owner_client: FlaskClient,
                                                fake: tuple[FakeShopify, str]) -> None:
    fake[0].add_shop("other.myshopify.com")
    started = _start(owner_client)
    params = fake[0].signed_callback_query("other.myshopify.com", started["state"])
    assert _callback(owner_client, params) == 403
    assert _stores(shop_app) == []


@pytest.mark.parametrize("shop", [
    "", "acme", "evil.com", "acme.myshopify.com.evil.com", "-acme.myshopify.com",
    "acme.myshopify.com/../admin", "acme_shop.myshopify.com", "acme.myshopify.com@evil.com",
    "127.0.0.1", "acme\n.myshopify.com",
])
def test_malformed_shop_domains_are_refused(owner_client: FlaskClient, shop: str) -> None:
    response = owner_client.get(f"/shopify/install?{urlencode({'shop': shop})}")
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_install_needs_a_signed_in_owner(shop_app: Flask) -> None:
    response = shop_app.test_client().get(f"/shopify/install?shop={SHOP}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")
    callback = shop_app.test_client().get("/shopify/callback?shop=" + SHOP)
    assert callback.status_code == 302 and callback.headers["Location"].startswith("/signin")


def test_a_shop_owned_by_another_account_is_not_taken_over(
        shop_app: Flask, owner_client: FlaskClient, fake: tuple[FakeShopify, str]) -> None:
    other = create_owner(shop_app, "other@example.com")
    with shop_app.app_context(), db.transaction() as tx:
        tx.add(Store(platform="shopify", domain=SHOP, name="Acme", owner_id=other))
    started = _start(owner_client)
    assert _callback(owner_client, fake[0].signed_callback_query(SHOP, started["state"])) == 409
    assert fake[0].code_exchanges == 0


def test_the_landing_page_offers_the_shopify_form(owner_client: FlaskClient) -> None:
    page = owner_client.get("/").get_data(as_text=True)
    assert 'action="/shopify/install"' in page


# --- the callback signature: Shopify's published vector ------------------------------------

_VECTOR = re.compile(r"\| Shopify install/OAuth callback `hmac` query param \| `([^`]*)` \| "
                     r"`([^`]*)` \| hex \| `([0-9a-f]{64})` \|")


def test_callback_hmac_matches_shopifys_published_vector() -> None:
    readme = shared_fixture("README.md").read_text()
    match = _VECTOR.search(readme)
    assert match, "the OAuth vector row is missing from shared/fixtures/README.md"
    secret, message, expected = match.groups()
    params = dict(pair.split("=", 1) for pair in message.split("&"))
    assert oauth.hmac_valid({**params, "hmac": expected}, [secret])
    assert oauth.hmac_valid({**params, "hmac": expected}, ["other-secret", secret])
    assert not oauth.hmac_valid({**params, "hmac": expected}, ["other-secret"])
    assert not oauth.hmac_valid({**params, "hmac": "0" * 64}, [secret])
    assert not oauth.hmac_valid(params, [secret])
    tampered = {**params, "shop": "evil-shop.myshopify.com", "hmac": expected}
    assert not oauth.hmac_valid(tampered, [secret])
    # The vector's timestamp is from 2012: valid signature, but far too old to accept now.
    assert not oauth.fresh(params)
    assert oauth_hmac(secret, params) == expected  # the fake signs the same way


def test_hmac_check_fails_closed_without_a_secret() -> None:
    params = {"code": "x", "shop": SHOP, "timestamp": "1", "hmac": oauth_hmac("", {"code": "x"})}
    assert not oauth.hmac_valid(params, ["", ""])
    assert not oauth.hmac_valid(params, [])
