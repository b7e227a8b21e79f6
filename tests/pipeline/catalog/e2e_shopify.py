"""A Shopify store for the catalog's end-to-end tests: StoreChat served on loopback,
installed from the fake Shopify (which runs bulk operations and signs its webhooks to the
app over HTTP), with a number on the fake Graph API."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import CatalogBatch, Store
from plugin.pipeline.catalog.requests import request_sync
from tests.conftest import make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.fakes.shopify import FakeShopify
from tests.fakes.shopify_webhooks import WebhookSender
from tests.pipeline.catalog.e2e_world import CatalogWorld, graph_with_business
from tests.worlds.shopify import API_KEY, API_SECRET, SHOP, id_token

__all__ = ["SHOP", "ShopifyWorld", "rest_product", "synced", "world"]


class ShopifyWorld(CatalogWorld):
    """A Shopify store installed from the fake Shopify, its webhooks signed over HTTP."""

    def __init__(self, app: Flask, graph: FakeGraph, shopify: FakeShopify, shop_url: str,
                 sender: WebhookSender, store_id: int) -> None:
        super().__init__(app, graph, store_id)
        self.shopify, self.shop_url, self.sender = shopify, shop_url, sender

    def export_done(self) -> None:
        """Shopify finishes the running bulk operation and sends bulk_operations/finish."""
        self.shopify.bulk.complete(SHOP, self.shop_url)

    def full_sync(self) -> None:
        """The owner asks for a full sync; Shopify exports and says so."""
        with self.app.app_context(), db.transaction() as session:
            request_sync(session, session.get(Store, self.store_id))
        self.export_done()

    def webhook(self, topic: str, payload: dict[str, Any]) -> None:
        """Shopify delivers one signed webhook to the app over HTTP."""
        assert self.sender.send(topic, payload) == 200

    def batches(self) -> list[tuple[int, int]]:
        """(updates, deletes) of each of the store's batches, oldest first."""
        with self.app.app_context(), db.transaction() as session:
            return [(b.updates, b.deletes) for b in session.scalars(
                select(CatalogBatch).where(CatalogBatch.store_id == self.store_id)
                .order_by(CatalogBatch.id))]


def rest_product(product_id: int, variants: int = 1, *, price: str = "12.50",
                 image: str | None = None, stock: int = 5, **fields: Any) -> dict[str, Any]:
    """A products/update body (REST shape) for a product of the fake's bulk catalog."""
    src = image if image is not None else f"https://cdn.shopify.com/s/files/p{product_id}.jpg"
    return {"id": product_id, "title": f"Product {product_id}",
            "handle": f"product-{product_id}", "status": "active",
            "published_at": "2026-01-01T00:00:00Z", "body_html": "<p>Soft linen.</p>",
            "vendor": "Acme", "images": [{"id": product_id, "src": src}] if src else [],
            "variants": [{"id": product_id * 1000 + n,
                          "title": f"Size {n}" if variants > 1 else "Default Title",
                          "sku": f"SKU-{product_id}-{n}", "price": price,
                          "compare_at_price": None,
                          "inventory_item_id": product_id * 1000 + n,
                          "inventory_quantity": stock, "inventory_management": "shopify",
                          "inventory_policy": "deny", "image_id": None}
                         for n in range(1, variants + 1)], **fields}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ShopifyWorld]:
    """StoreChat, the fake Shopify and the fake Graph on loopback; the shop installed."""
    shopify = FakeShopify(api_key=API_KEY, api_secret=API_SECRET)
    shopify.add_shop(SHOP, name="Acme Linen", currency="EUR")
    graph = graph_with_business()
    with LoopbackServer(shopify) as shop_server, LoopbackServer(graph) as graph_server:
        app = make_app(tmp_path / "instance", shopify_api_key=API_KEY,
                       shopify_api_secret=API_SECRET,
                       shopify_admin_url=f"{shop_server.url}/{{shop}}",
                       whatsapp_graph_url=graph_server.url, public_url="http://127.0.0.1:8000")
        try:
            with LoopbackServer(app) as app_server:
                sender = WebhookSender(url=f"{app_server.url}/webhooks/shopify",
                                       secret=API_SECRET, shop=SHOP, retries=0)
                shopify.bulk.deliver_to(SHOP, sender.send)
                response = app.test_client().get(f"/shopify/app?shop={SHOP}"
                                                 f"&id_token={id_token()}")
                assert response.status_code == 200
                with app.app_context():
                    store_id = db.session().scalars(select(Store.id).where(
                        Store.domain == SHOP)).one()
                yield ShopifyWorld(app, graph, shopify, shop_server.url, sender, store_id)
        finally:
            app.extensions["storechat.engine"].dispose()
            http = app.extensions.get("storechat.shopify_http")
            if http is not None:
                http.close()


def synced(world: ShopifyWorld) -> None:
    """Connect the catalog, let Shopify export and Meta finish the first batches."""
    world.connect_catalog()
    world.export_done()
    world.check_batches()
