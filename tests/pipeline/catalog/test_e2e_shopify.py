"""The catalog sync of a Shopify store end to end, over HTTP: the owner connects a catalog,
the fake Shopify runs the bulk export and signs its bulk_operations/finish, the sync reads
the file and the fake Graph receives items_batch calls and is polled for their verdicts;
product and stock webhooks, throttling, rejections, reconciliation and a lost webhook."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import (
    BatchState,
    CatalogBatch,
    ItemState,
    Store,
    SyncKind,
    SyncState,
    WhatsAppAccount,
)
from plugin.pipeline.catalog import batches, full_sync, upkeep
from plugin.pipeline.catalog.requests import request_sync
from plugin.platforms.shopify import catalog_export
from tests.conftest import make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.fakes.shopify import FakeShopify
from tests.fakes.shopify_webhooks import WebhookSender
from tests.pipeline.catalog.e2e_world import TOKEN, CatalogWorld, graph_with_business
from tests.worlds.shopify import API_KEY, API_SECRET, SHOP, id_token


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


def _synced(world: ShopifyWorld) -> None:
    """Connect the catalog, let Shopify export and Meta finish the first batches."""
    world.connect_catalog()
    world.export_done()
    world.check_batches()


def test_connecting_a_catalog_exports_the_shop_and_lists_every_variant(
        world: ShopifyWorld) -> None:
    bulk = world.shopify.bulk
    bulk.add_product(SHOP, 1, title="Linen shirt")
    bulk.add_product(SHOP, 2, variants=3, title="Boots")
    bulk.add_product(SHOP, 3, title="No picture", media=[])
    world.connect_catalog()
    [sync] = world.syncs()
    assert sync.state == SyncState.EXPORTING and sync.export_id in bulk.operations
    assert world.items_batch_calls() == 0  # nothing is read before Shopify has the file
    world.export_done()
    assert world.sender.statuses == [200]  # the signed finish webhook reached the app
    [sync] = world.syncs()
    assert sync.state == SyncState.DONE, sync.error
    assert (sync.products, sync.variants, sync.changed, sync.kept_out) == (3, 5, 4, 1)
    assert world.items_batch_calls() == 1
    world.check_batches()
    assert world.graph.calls["GET check_batch_request_status"] == 2  # started, finished
    assert world.states() == {"1001": ItemState.SYNCED, "2001": ItemState.SYNCED,
                              "2002": ItemState.SYNCED, "2003": ItemState.SYNCED,
                              "3001": ItemState.KEPT_OUT}
    assert "no image" in (world.rows()["3001"].reason or "")
    remote = world.remote()
    sid = world.store_id
    assert set(remote) == {f"{sid}-1001", f"{sid}-2001", f"{sid}-2002", f"{sid}-2003"}
    assert {remote[f"{sid}-200{n}"]["item_group_id"] for n in (1, 2, 3)} == {"2"}
    assert remote[f"{sid}-1001"]["price"] == "12.50 EUR"
    assert remote[f"{sid}-1001"]["title"] == "Linen shirt"

    calls = world.items_batch_calls()
    world.full_sync()
    second = world.syncs()[-1]
    assert second.state == SyncState.DONE, second.error
    assert (second.variants, second.changed) == (5, 0)
    assert world.items_batch_calls() == calls  # nothing changed: not one item sent
    assert len(world.remote()) == 4


def test_product_webhooks_reach_meta_as_one_entry_each(world: ShopifyWorld) -> None:
    world.shopify.bulk.add_product(SHOP, 1)
    world.shopify.bulk.add_product(SHOP, 2, variants=2)
    _synced(world)
    sid = world.store_id
    sent = len(world.batches())
    # Shopify sends products/update for edits the catalog does not show (tags, SEO…): the
    # webhook's product maps to what the export's did, so nothing is sent.
    world.webhook("products/update", rest_product(1))
    assert world.send_debounced() == 0

    world.webhook("products/update", rest_product(1, price="15.00"))
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.batches()[sent:] == [(1, 0)]
    assert world.remote()[f"{sid}-1001"]["price"] == "15.00 EUR"

    for n in range(20):  # a burst of 20 edits of one product
        world.webhook("products/update", rest_product(1, price=f"{16 + n}.00"))
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.batches()[sent + 1:] == [(1, 0)]
    assert world.remote()[f"{sid}-1001"]["price"] == "35.00 EUR"

    world.webhook("inventory_levels/update",
                  {"inventory_item_id": 1001, "location_id": 77, "available": 0})
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.batches()[sent + 2:] == [(1, 0)]
    assert world.remote()[f"{sid}-1001"]["availability"] == "out of stock"

    world.webhook("products/delete", {"id": 2})
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.batches()[sent + 3:] == [(0, 2)]
    assert set(world.remote()) == {f"{sid}-1001"}
    world.webhook("products/update", rest_product(2, variants=2, price="99.00"))  # late
    assert world.send_debounced() == 0
    assert set(world.remote()) == {f"{sid}-1001"}
    assert {world.states()[v] for v in ("2001", "2002")} == {ItemState.DELETED}


def test_a_rejected_item_shows_meta_s_reason_and_is_retried(world: ShopifyWorld) -> None:
    world.shopify.bulk.add_product(SHOP, 1)
    world.shopify.bulk.add_product(SHOP, 4, media=[{"id": "gid://shopify/MediaImage/4",
                                                    "image": {"url": "http://cdn.example/4.jpg"}}])
    _synced(world)
    row = world.rows()["4001"]
    assert row.state == ItemState.FAILED
    assert row.reason and "https" in row.reason and "WhatsApp said" in row.reason
    assert f"{world.store_id}-4001" not in world.remote()

    # The owner's API shows the row with Meta's reason, and sends it again on request.
    api = world.app.test_client()
    auth = {"Authorization": f"Bearer {id_token()}"}
    listed = api.get("/api/v1/catalog/items?state=failed", headers=auth)
    assert listed.status_code == 200, listed.get_data(as_text=True)
    [shown] = listed.get_json()["data"]
    assert (shown["variant_id"], shown["state"], shown["reason"]) == ("4001", "failed",
                                                                      row.reason)
    calls = world.items_batch_calls()
    retried = api.post("/api/v1/catalog/items/retry", json={"item_ids": [row.id]},
                       headers=auth)
    assert retried.status_code == 200, retried.get_data(as_text=True)
    assert retried.get_json() == {"retried": 1}
    assert world.items_batch_calls() == calls + 1  # sent at once, no debounce
    world.check_batches()
    assert world.rows()["4001"].state == ItemState.FAILED  # the same data fails the same way

    world.webhook("products/update", rest_product(4, image="https://cdn.example/4.jpg"))
    assert world.send_debounced() == 1
    world.check_batches()
    fixed = world.rows()["4001"]
    assert (fixed.state, fixed.reason) == (ItemState.SYNCED, None)
    assert world.remote()[f"{world.store_id}-4001"]["image_link"] == "https://cdn.example/4.jpg"


def test_throttling_waits_as_long_as_meta_says_then_completes_once(world: ShopifyWorld) -> None:
    for n in (1, 2):
        world.shopify.bulk.add_product(SHOP, n, variants=2)
    world.connect_catalog()
    world.graph.throttle_next(80014, minutes=2)
    world.export_done()
    assert world.items_batch_calls() == 1  # refused with the usage header
    until = world.account().catalog_throttled_until
    assert until is not None
    waited = (until - world.later(0)).total_seconds()
    assert 100 < waited <= 120
    assert set(world.states().values()) == {ItemState.PENDING}
    assert world.remote() == {}
    # Before the wait is over nothing goes out; after it, everything, once.
    with world.app.app_context():
        assert batches.send_due(world.store_id, world.later(60)) == 0
        assert world.items_batch_calls() == 1
        assert batches.send_due(world.store_id, until + timedelta(seconds=1)) == 1
    polls = world.graph.calls["GET check_batch_request_status"]
    world.graph.throttle_next(4, minutes=1)  # the status poll is throttled too
    world.check_batches()
    assert world.account().catalog_throttled_until > until  # type: ignore[operator]
    assert world.graph.calls["GET check_batch_request_status"] == polls + 3
    assert set(world.states().values()) == {ItemState.SYNCED}
    assert world.items_batch_calls() == 2
    assert set(world.remote()) == {row.retailer_id for row in world.rows().values()}
    with world.app.app_context(), db.transaction() as session:
        tries = [(b.state, (b.error or "")[:19]) for b in session.scalars(
            select(CatalogBatch).order_by(CatalogBatch.id))]
    assert tries == [(BatchState.FAILED, "Throttled by Meta: "), (BatchState.FINISHED, "")]


def test_reconciliation_deletes_an_orphan_and_resends_a_drifted_price(
        world: ShopifyWorld) -> None:
    world.shopify.bulk.add_product(SHOP, 1)
    world.shopify.bulk.add_product(SHOP, 2)
    _synced(world)
    sid, catalog_id = world.store_id, world.catalog_id()
    # Someone edits the catalog in Commerce Manager: a stray item, a changed price.
    graph_url = world.app.config["STORECHAT"].whatsapp_graph_url
    answer = httpx.post(f"{graph_url}/v23.0/{catalog_id}/items_batch",
                        headers={"Authorization": f"Bearer {TOKEN}"},
                        json={"item_type": "PRODUCT_ITEM", "requests": [
                            {"method": "UPDATE", "data": {
                                "id": "stray-1", "title": "Stray", "description": "x",
                                "availability": "in stock", "condition": "new",
                                "price": "5.00 EUR", "link": "https://acme.example/s",
                                "image_link": "https://acme.example/s.jpg", "brand": "X"}},
                            {"method": "UPDATE", "data": {"id": f"{sid}-2001",
                                                          "price": "99.00 EUR"}}]})
    assert answer.status_code == 200, answer.text
    assert set(world.remote()) == {f"{sid}-1001", f"{sid}-2001", "stray-1"}
    before = len(world.batches())
    with world.app.app_context(), db.transaction() as session:
        request_sync(session, session.get(Store, sid), kind=SyncKind.RECONCILE)
    reconcile = world.syncs()[-1]
    assert (reconcile.kind, reconcile.state) == (SyncKind.RECONCILE, SyncState.DONE)
    assert (reconcile.deleted, reconcile.changed) == (1, 1)
    assert world.batches()[before:] == [(1, 1)]
    world.check_batches()
    remote = world.remote()
    assert set(remote) == {f"{sid}-1001", f"{sid}-2001"}
    assert remote[f"{sid}-2001"]["price"] == "12.50 EUR"


def test_a_sync_broken_midway_and_run_again_leaves_one_item_per_variant(
        world: ShopifyWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(1, 8):
        world.shopify.bulk.add_product(SHOP, n, variants=2)
    monkeypatch.setattr(full_sync, "PROGRESS_EVERY", 2)
    real_read = catalog_export.read_export

    def broken(store: Store, url: str) -> Iterator[Any]:
        """The file's download breaks after five products."""
        for count, product in enumerate(real_read(store, url)):
            if count == 5:
                raise catalog_export.ExportFileError("the export's file could not be read "
                                                     "to its end (ReadError)")
            yield product

    monkeypatch.setattr(catalog_export, "read_export", broken)
    world.connect_catalog()
    world.export_done()
    [failed] = world.syncs()
    assert failed.state == SyncState.FAILED and "to its end" in (failed.error or "")
    assert failed.products == 4  # two chunks were written before the break
    monkeypatch.setattr(catalog_export, "read_export", real_read)
    world.full_sync()
    assert world.syncs()[-1].state == SyncState.DONE
    world.check_batches()
    world.full_sync()  # and once more, with nothing changed
    world.check_batches()
    rows = world.rows()
    assert len(rows) == 14 and set(world.states().values()) == {ItemState.SYNCED}
    remote = world.remote()
    assert set(remote) == {rows[v].retailer_id for v in rows}
    assert len(remote) == 14


def test_a_lost_finish_webhook_is_made_up_for_by_polling_shopify(world: ShopifyWorld) -> None:
    world.shopify.bulk.add_product(SHOP, 1, variants=2)
    world.shopify.bulk.senders.pop(SHOP)  # bulk_operations/finish never arrives
    world.connect_catalog()
    world.export_done()
    [sync] = world.syncs()
    assert sync.state == SyncState.EXPORTING
    with world.app.app_context():
        upkeep.recover(world.later(60), world.later(0))
    assert world.syncs()[0].state == SyncState.EXPORTING  # too soon to ask Shopify
    with world.app.app_context():
        upkeep.recover(world.later(upkeep.EXPORT_POLL_SECONDS + 1), world.later(0))
    [sync] = world.syncs()
    assert sync.state == SyncState.DONE, sync.error
    assert sync.variants == 2
    world.check_batches()
    assert len(world.remote()) == 2


def test_an_export_still_running_is_left_waiting_and_a_failed_one_ends_the_sync(
        world: ShopifyWorld) -> None:
    world.shopify.bulk.add_product(SHOP, 1)
    world.shopify.bulk.senders.pop(SHOP)
    world.connect_catalog()
    world.shopify.bulk.hold(SHOP)
    poll_at = world.later(upkeep.EXPORT_POLL_SECONDS + 1)
    with world.app.app_context():
        upkeep.recover(poll_at, world.later(0))
    assert world.syncs()[0].state == SyncState.EXPORTING
    world.shopify.bulk.fail(SHOP, "TIMEOUT")
    with world.app.app_context():  # asked again one interval later
        upkeep.recover(poll_at, world.later(0))
        assert world.syncs()[0].state == SyncState.EXPORTING
        upkeep.recover(poll_at + timedelta(seconds=upkeep.EXPORT_POLL_SECONDS + 1),
                       world.later(0))
    [sync] = world.syncs()
    assert sync.state == SyncState.FAILED
    assert "timeout" in (sync.error or "").lower()


def test_reconciling_a_catalog_in_step_sends_nothing(world: ShopifyWorld) -> None:
    bulk = world.shopify.bulk
    bulk.add_product(SHOP, 1, title="Café “crème” – 1 kg ☕")
    variants = [{"id": f"gid://shopify/ProductVariant/{2000 + n}", "title": f"Size {n}",
                 "sku": f"S-{n}", "price": price, "compareAtPrice": was,
                 "inventoryQuantity": stock, "inventoryPolicy": "DENY",
                 "inventoryItem": {"id": f"gid://shopify/InventoryItem/{2000 + n}",
                                   "tracked": True}, "image": None}
                for n, (price, was, stock) in enumerate(
                    [("1234.50", None, 3), ("19.99", "25.00", 0), ("0.50", None, 8)], 1)]
    bulk.add_product(SHOP, 2, variants_data=variants)
    _synced(world)
    assert len(world.remote()) == 4
    calls = world.items_batch_calls()
    with world.app.app_context(), db.transaction() as session:
        request_sync(session, session.get(Store, world.store_id), kind=SyncKind.RECONCILE)
    reconcile = world.syncs()[-1]
    assert reconcile.state == SyncState.DONE, reconcile.error
    assert (reconcile.variants, reconcile.deleted, reconcile.changed) == (4, 0, 0)
    assert world.items_batch_calls() == calls


def test_variants_removed_or_unpublished_leave_the_catalog_and_come_back(
        world: ShopifyWorld) -> None:
    world.shopify.bulk.add_product(SHOP, 2, variants=3)
    _synced(world)
    sid = world.store_id
    body = rest_product(2, variants=3)
    body["variants"] = [body["variants"][0], body["variants"][2],
                        {**body["variants"][0], "id": 2004, "inventory_item_id": 2004,
                         "title": "Size 4"}]
    world.webhook("products/update", body)
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.batches()[-1] == (1, 1)  # size 4 added, size 2 removed
    assert set(world.remote()) == {f"{sid}-2001", f"{sid}-2003", f"{sid}-2004"}

    world.webhook("products/update", {**body, "status": "draft"})
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.remote() == {}
    assert {world.states()[v] for v in ("2001", "2003", "2004")} == {ItemState.KEPT_OUT}
    assert "not published" in (world.rows()["2001"].reason or "")

    world.webhook("products/update", body)
    assert world.send_debounced() == 1
    world.check_batches()
    assert set(world.remote()) == {f"{sid}-2001", f"{sid}-2003", f"{sid}-2004"}
    assert world.states()["2002"] == ItemState.DELETED


def test_a_sync_asked_while_an_earlier_export_still_runs_waits_for_that_export(
        world: ShopifyWorld) -> None:
    world.shopify.bulk.add_product(SHOP, 1, variants=2)
    sender = world.shopify.bulk.senders.pop(SHOP)
    world.connect_catalog()
    world.shopify.bulk.hold(SHOP)  # a long export, its webhook lost
    with world.app.app_context():
        upkeep.recover(world.later(upkeep.EXPORT_TIMEOUT_SECONDS + 1), world.later(0))
    [given_up] = world.syncs()
    assert given_up.state == SyncState.FAILED
    world.shopify.bulk.deliver_to(SHOP, sender)
    with world.app.app_context(), db.transaction() as session:
        request_sync(session, session.get(Store, world.store_id))
    waiting = world.syncs()[-1]
    assert waiting.state == SyncState.EXPORTING, waiting.error
    assert waiting.export_id == given_up.export_id  # Shopify's running operation
    world.export_done()
    assert world.syncs()[-1].state == SyncState.DONE
    world.check_batches()
    assert len(world.remote()) == 2


def test_a_refused_token_pauses_the_sends_until_the_number_is_connected_again(
        world: ShopifyWorld) -> None:
    world.shopify.bulk.add_product(SHOP, 1, variants=2)
    world.connect_catalog()
    world.graph.fail_next(190, 401, "Error validating access token: Session has expired")
    world.export_done()
    assert world.items_batch_calls() == 1
    assert world.account().needs_reauth
    assert set(world.states().values()) == {ItemState.PENDING}
    assert world.send_debounced() == 0 and world.items_batch_calls() == 1  # paused
    with world.app.app_context(), db.transaction() as session:  # a new token is connected
        account = session.get(WhatsAppAccount, world.account().id)
        account.needs_reauth = False
    assert world.send_debounced() == 1
    world.check_batches()
    assert set(world.states().values()) == {ItemState.SYNCED} and len(world.remote()) == 2


def test_an_export_shopify_fails_ends_the_sync_with_its_reason(world: ShopifyWorld) -> None:
    world.shopify.bulk.add_product(SHOP, 1)
    world.connect_catalog()
    world.shopify.bulk.fail(SHOP, "ACCESS_DENIED")  # its finish webhook says failed
    assert world.sender.statuses == [200]
    [sync] = world.syncs()
    assert sync.state == SyncState.FAILED
    assert "access_denied" in (sync.error or "")
    assert world.items_batch_calls() == 0 and world.rows() == {}
    world.full_sync()  # asked again, the next export goes through
    assert world.syncs()[-1].state == SyncState.DONE
