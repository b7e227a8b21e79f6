"""Shared set-up for the Shopify tests: an app wired to a fake Shopify on loopback."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from flask import Flask

from tests.conftest import make_app
from tests.fakes.server import LoopbackServer
from tests.fakes.shopify import FakeShopify

API_KEY = "test-api-key"
# Shopify app secrets are 32+ bytes; shorter ones make PyJWT warn (warnings are errors here).
API_SECRET = "shpss_test_secret_0123456789abcdef"
OLD_SECRET = "shpss_old_secret_0123456789abcdefg"
SHOP = "acme.myshopify.com"


def id_token(shop: str = SHOP, secret: str = API_SECRET, expires_in: int = 60,
             api_key: str = API_KEY) -> str:
    """An App Home ID token as App Bridge would send it."""
    now = int(time.time())
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": api_key,
              "sub": "42", "exp": now + expires_in, "nbf": now - 5, "iat": now - 5,
              "jti": str(uuid.uuid4()), "sid": "session-1"}
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.fixture
def fake() -> Iterator[tuple[FakeShopify, str]]:
    """A fake Shopify that knows SHOP, served on 127.0.0.1; yields (fake, base URL)."""
    shopify = FakeShopify(api_key=API_KEY, api_secret=API_SECRET)
    shopify.add_shop(SHOP, name="Acme Linen", currency="EUR", country="NL",
                     timezone="Europe/Amsterdam", locale="nl")
    with LoopbackServer(shopify) as server:
        yield shopify, server.url


@pytest.fixture
def shop_app(tmp_path: Path, fake: tuple[FakeShopify, str]) -> Iterator[Flask]:
    """A StoreChat app configured as a Shopify app that talks to the fake."""
    app = make_app(tmp_path / "instance", shopify_api_key=API_KEY,
                   shopify_api_secret=API_SECRET, shopify_old_api_secret=OLD_SECRET,
                   shopify_admin_url=f"{fake[1]}/{{shop}}",
                   public_url="http://127.0.0.1:8000")
    yield app
    app.extensions["storechat.engine"].dispose()
    http = app.extensions.get("storechat.shopify_http")
    if http is not None:
        http.close()
