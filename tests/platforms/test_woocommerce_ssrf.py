"""SSRF through the connect flow (issue 13): a store that redirects to an internal address,
and a store name that resolves to 127.0.0.1 once the up-front check has passed, are both
refused, nothing reaches the internal address, and the owner is told why."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import create_owner, make_app, sign_in
from tests.fakes.network import (
    PUBLIC_ADDRESS,
    SECRET,
    ConnectionCounter,
    InternalService,
    resolver,
)
from tests.fakes.server import LoopbackServer
from tests.fakes.woocommerce import FakeWooCommerce
from tests.worlds.woocommerce import PUBLIC_URL, approve, connect, start_connect, woo_store


def test_a_store_that_redirects_to_loopback_is_refused_end_to_end(
        woo_app: Flask, owner_client: FlaskClient,
        site: FakeWooCommerce) -> None:
    # Test mode allows loopback stores, so only the refusal to follow redirects can stop
    # this: every /wp-json/ call of the store answers 302 to an internal service.
    internal = InternalService()
    with LoopbackServer(internal) as server:
        site.redirect_rest_to = server.url
        page = connect(owner_client, site)
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "redirects" in text and urlsplit(server.url).netloc in text
    assert internal.requests == []  # not one hop, so no OAuth query handed over either
    store = woo_store(woo_app)
    assert store.status == "reconnect-needed"
    assert SECRET not in (store.name or "") and SECRET not in text
    # The store's own page says why nothing is sent.
    shown = owner_client.get(f"/woocommerce/stores/{store.id}").get_data(as_text=True)
    assert "needs to be reconnected" in shown and "does not follow redirects" in shown


@pytest.fixture
def production_app(tmp_path: Path) -> Iterator[Flask]:
    """StoreChat as deployed: STORECHAT_ALLOW_HTTP_STORES unset (https, public stores only)."""
    app = make_app(tmp_path / "instance", public_url=PUBLIC_URL)
    assert app.config["STORECHAT"].allow_http_stores is False
    yield app
    app.extensions["storechat.engine"].dispose()


def test_a_name_that_rebinds_to_loopback_is_refused_at_connect_time(
        production_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    lookups: list[Any] = []

    def attacker_dns(host: str, port: Any) -> str | None:
        # The attacker's DNS answers a public address to the up-front check (which asks
        # for a name, no port) and 127.0.0.1 to the lookup made to connect.
        if host != "shop.example":
            return None
        lookups.append(port)
        return PUBLIC_ADDRESS if port is None else "127.0.0.1"

    monkeypatch.setattr(socket, "getaddrinfo", resolver(attacker_dns))
    create_owner(production_app, "owner@example.com")
    owner = production_app.test_client()
    assert sign_in(owner, "owner@example.com").status_code == 302
    fake = FakeWooCommerce(http=httpx.Client(
        transport=httpx.WSGITransport(app=production_app), base_url=PUBLIC_URL))
    fake.allow_http_callback = True
    with ConnectionCounter() as internal, LoopbackServer(fake) as server:
        store_url = f"https://shop.example:{internal.port}"
        started = start_connect(owner, store_url)  # the up-front check passes
        # The owner's browser reaches the attacker's WordPress, which approves at once.
        approved = approve(started["location"].replace(store_url, server.url))
        assert approved.status_code == 302 and fake.callbacks == [200]
        back = urlsplit(approved.headers["Location"])
        page = owner.get(f"{back.path}?{back.query}")
    fake.http.close()
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "shop.example is at 127.0.0.1, a private or local address" in text
    assert internal.accepted == 0  # refused before connecting, not after
    assert None in lookups and internal.port in lookups  # both checks ran
    assert woo_store(production_app).status == "reconnect-needed"
