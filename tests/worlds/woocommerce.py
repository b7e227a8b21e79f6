"""Shared set-up for the WooCommerce tests: StoreChat and a fake WooCommerce site that talk
to each other without leaving the process (the site on loopback, StoreChat through WSGI)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Store
from tests.conftest import create_owner, make_app, sign_in
from tests.fakes.server import LoopbackServer
from tests.fakes.woocommerce import FakeWooCommerce

PUBLIC_URL = "http://127.0.0.1:8000"


@pytest.fixture
def woo_app(tmp_path: Path) -> Iterator[Flask]:
    """StoreChat in test mode (http and loopback stores allowed), jobs inline."""
    app = make_app(tmp_path / "instance", allow_http_stores=True, public_url=PUBLIC_URL)
    yield app
    app.extensions["storechat.engine"].dispose()


@pytest.fixture
def site(woo_app: Flask) -> Iterator[FakeWooCommerce]:
    """A fake WooCommerce site on 127.0.0.1 whose outbound calls reach `woo_app` by WSGI."""
    fake = FakeWooCommerce(http=httpx.Client(transport=httpx.WSGITransport(app=woo_app),
                                             base_url=PUBLIC_URL))
    fake.allow_http_callback = True  # StoreChat's test URL is http; real sites need https
    with LoopbackServer(fake) as server:
        fake.url = server.url
        yield fake
    fake.http.close()


@pytest.fixture
def owner_client(woo_app: Flask) -> FlaskClient:
    """A browser signed in as owner@example.com."""
    create_owner(woo_app, "owner@example.com")
    client = woo_app.test_client()
    assert sign_in(client, "owner@example.com").status_code == 302
    return client


def start_connect(client: FlaskClient, store_url: str) -> dict[str, str]:
    """GET /woocommerce/connect; the authorize URL and its query."""
    response = client.get(f"/woocommerce/connect?{urlencode({'store_url': store_url})}")
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    return {"location": location,
            **{k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}}


def approve(location: str) -> httpx.Response:
    """The owner's browser opens WC-Auth at the fake (which approves at once)."""
    with httpx.Client() as browser:
        return browser.get(location)


def connect(client: FlaskClient, site: FakeWooCommerce) -> Any:
    """The whole WC-Auth connect; returns StoreChat's answer on the return page."""
    started = start_connect(client, site.url)
    approved = approve(started["location"])
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def woo_store(app: Flask) -> Store:
    """The one WooCommerce store StoreChat knows."""
    with app.app_context():
        [store] = db.session().scalars(select(Store).where(Store.platform == "woocommerce"))
        db.session().expunge(store)
        return store


def creds(app: Flask) -> dict[str, Any]:
    """The decrypted credentials of that store."""
    return json.loads(woo_store(app).credentials or "{}")
