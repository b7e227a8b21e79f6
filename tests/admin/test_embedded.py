"""Admin pages inside Shopify's admin: App Bridge loads, URLs keep the shop's context,
and a form saved with an ID token (no cookie) is kept, its notice carried on the redirect."""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Store, WidgetSettings
from tests.conftest import make_app
from tests.worlds import shopify as shopify_world

API_KEY = "embedded-api-key"
API_SECRET = "shpss_embedded_secret_0123456789abcd"
SHOP = "acme-linen.myshopify.com"


def id_token(shop: str = SHOP) -> str:
    """An ID token as App Bridge hands it to the page."""
    return shopify_world.id_token(shop, API_SECRET, api_key=API_KEY)


@pytest.fixture
def shop_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path / "instance", shopify_api_key=API_KEY,
                   shopify_api_secret=API_SECRET)
    with app.app_context(), db.transaction() as session:
        session.add(Store(platform="shopify", domain=SHOP, name="Acme Linen", country="NL"))
    yield app
    app.extensions["storechat.engine"].dispose()


def _store_id(app: Flask) -> int:
    with app.app_context():
        return db.session().scalars(select(Store.id).where(Store.domain == SHOP)).one()


def test_an_embedded_page_loads_app_bridge_first_and_allows_only_its_cdn(
        shop_app: Flask) -> None:
    store_id = _store_id(shop_app)
    response = shop_app.test_client().get(
        f"/stores/{store_id}/widget?embedded=1&shop={SHOP}&id_token={id_token()}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert scripts[0] == "https://cdn.shopify.com/shopifycloud/app-bridge.js"
    assert scripts[1] == "/static/embedded.js"
    assert f'<meta name="shopify-api-key" content="{API_KEY}">' in page
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' https://cdn.shopify.com/shopifycloud/;" in policy
    assert f"frame-ancestors https://{SHOP} https://admin.shopify.com" in policy
    # Links and form actions built for admin pages keep the embedded context.
    action = re.search(r'<form method="post" id="designer-form"[^>]*action="([^"]*)"', page)
    preview = re.search(r'data-preview-url="([^"]*)"', page)
    for url in (action, preview):
        assert url is not None
        query = parse_qs(urlsplit(html.unescape(url.group(1))).query)
        assert query["embedded"] == ["1"] and query["shop"] == [SHOP]


def test_an_owner_page_loads_no_app_bridge(shop_app: Flask) -> None:
    from tests.conftest import create_owner, sign_in

    create_owner(shop_app, "owner@example.com")
    client = shop_app.test_client()
    sign_in(client, "owner@example.com")
    response = client.get("/")
    assert "app-bridge.js" not in response.get_data(as_text=True)
    assert "cdn.shopify.com" not in response.headers["Content-Security-Policy"]


def test_a_form_saved_with_an_id_token_is_kept_and_its_notice_rides_the_redirect(
        shop_app: Flask) -> None:
    store_id = _store_id(shop_app)
    client = shop_app.test_client()
    response = client.post(
        f"/stores/{store_id}/widget?embedded=1&shop={SHOP}&id_token={id_token()}",
        data={"enabled": "1", "position": "start", "color": "#123456", "cta": "Ask us",
              "hours_mode": "always", "devices": "all", "delay": "0", "scroll": "0",
              "optin_purpose": "marketing"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    with shop_app.app_context():
        row = db.session().scalars(select(WidgetSettings)).one()
        assert row.settings["color"] == "#123456" and row.settings["cta"] == "Ask us"
    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert location.path == f"/stores/{store_id}/widget"
    assert query["embedded"] == ["1"] and query["shop"] == [SHOP]
    assert "id_token" not in query  # Shopify's bounce page adds a fresh one

    # Shopify's bounce page reloads the target with a fresh ID token: the notice shows.
    page = client.get(f"{location.path}?{location.query}&id_token={id_token()}")
    assert "Widget settings saved" in page.get_data(as_text=True)
    # A notice whose signature does not hold is not shown.
    forged = client.get(f"/stores/{store_id}/widget?embedded=1&shop={SHOP}"
                        f"&notice=W1siaW5mbyIsIkhpIl1d.bad&id_token={id_token()}")
    assert forged.status_code == 200 and '"Hi"' not in forged.get_data(as_text=True)


def test_a_preview_fetch_with_a_bearer_token_is_answered(shop_app: Flask) -> None:
    store_id = _store_id(shop_app)
    response = shop_app.test_client().post(
        f"/stores/{store_id}/widget/preview", data={"cta": "Hello", "position": "end"},
        headers={"Authorization": f"Bearer {id_token()}", "Accept": "application/json"})
    assert response.status_code == 200
    # Answered for this shop: the form's errors come back (no number yet, so no widget).
    answer = response.get_json()
    assert answer["config"] == {"enabled": False, "v": 1}
    assert "color" in answer["errors"]
    refused = shop_app.test_client().post(
        f"/stores/{store_id}/widget/preview", data={"cta": "Hello"},
        headers={"Authorization": "Bearer not-a-token", "Accept": "application/json"})
    assert refused.status_code == 401


def test_a_post_without_a_token_is_not_accepted(shop_app: Flask) -> None:
    store_id = _store_id(shop_app)
    response = shop_app.test_client().post(
        f"/stores/{store_id}/widget?embedded=1&shop={SHOP}", data={"cta": "Nope"})
    assert response.status_code in (302, 401)
    with shop_app.app_context():
        assert db.session().scalars(select(WidgetSettings)).first() is None
