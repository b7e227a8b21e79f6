"""The two stores the alerts are tested on: Shopify (inventory_levels/update) and
WooCommerce (product and variation stock, read back from the site)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Store
from tests.conftest import create_owner, make_app, sign_in
from tests.fakes.server import LoopbackServer
from tests.fakes.shopify import FakeShopify
from tests.fakes.shopify_webhooks import WebhookSender
from tests.fakes.woocommerce import FakeWooCommerce
from tests.pipeline.alerts.world import APP_SECRET, AlertsWorld
from tests.pipeline.catalog.e2e_world import graph_with_business
from tests.worlds.shopify import API_KEY, API_SECRET, SHOP, id_token
from tests.worlds.woocommerce import PUBLIC_URL, connect, woo_store


class ShopifyAlerts(AlertsWorld):
    """A Shopify store installed from the fake Shopify; `webhook` delivers signed topics."""

    sender: WebhookSender

    def webhook(self, topic: str, payload: dict[str, Any]) -> None:
        """Shopify delivers one signed webhook to the app over HTTP."""
        assert self.sender.send(topic, payload) == 200


class WooAlerts(AlertsWorld):
    """A WooCommerce store connected from the fake site, which delivers its webhooks."""

    site: FakeWooCommerce


@pytest.fixture
def shopify(tmp_path: Path) -> Iterator[ShopifyAlerts]:
    """StoreChat, the fake Shopify and the fake Graph on loopback; the shop installed."""
    fake = FakeShopify(api_key=API_KEY, api_secret=API_SECRET)
    fake.add_shop(SHOP, name="Acme Linen", currency="EUR")
    graph = graph_with_business()
    with LoopbackServer(fake) as shop_server, LoopbackServer(graph) as graph_server:
        app = make_app(tmp_path / "instance", shopify_api_key=API_KEY,
                       shopify_api_secret=API_SECRET,
                       shopify_admin_url=f"{shop_server.url}/{{shop}}",
                       whatsapp_graph_url=graph_server.url, whatsapp_app_secret=APP_SECRET,
                       public_url="http://127.0.0.1:8000")
        try:
            with LoopbackServer(app) as app_server:
                response = app.test_client().get(f"/shopify/app?shop={SHOP}"
                                                 f"&id_token={id_token()}")
                assert response.status_code == 200
                with app.app_context():
                    store_id = db.session().scalars(select(Store.id).where(
                        Store.domain == SHOP)).one()
                world = ShopifyAlerts(app, graph, store_id)
                world.sender = WebhookSender(url=f"{app_server.url}/webhooks/shopify",
                                             secret=API_SECRET, shop=SHOP, retries=0)
                yield world
        finally:
            app.extensions["storechat.engine"].dispose()
            http = app.extensions.get("storechat.shopify_http")
            if http is not None:
                http.close()


@pytest.fixture
def woo(tmp_path: Path) -> Iterator[WooAlerts]:
    """StoreChat and the fake Graph; the fake site on loopback, connected by WC-Auth."""
    graph = graph_with_business()
    with LoopbackServer(graph) as graph_server:
        app = make_app(tmp_path / "instance", allow_http_stores=True, public_url=PUBLIC_URL,
                       whatsapp_graph_url=graph_server.url, whatsapp_app_secret=APP_SECRET)
        site = FakeWooCommerce(http=httpx.Client(transport=httpx.WSGITransport(app=app),
                                                 base_url=PUBLIC_URL))
        site.allow_http_callback = True
        try:
            with LoopbackServer(site) as server:
                site.url = server.url
                create_owner(app, "owner@example.com")
                client = app.test_client()
                assert sign_in(client, "owner@example.com").status_code == 302
                connect(client, site)
                world = WooAlerts(app, graph, woo_store(app).id)
                world.site = site
                yield world
        finally:
            site.http.close()
            app.extensions["storechat.engine"].dispose()
