"""The catalog sync of a Shopify store end to end, over HTTP: the owner connects a catalog,
the fake Shopify runs the bulk export and signs its bulk_operations/finish, the sync reads
the file and the fake Graph receives items_batch calls and is polled for their verdicts;
product and stock webhooks, rejections, throttling, a refused token and reconciliation."""
# ruff: noqa: F811  (the world fixture imported from e2e_shopify is a parameter here)
from __future__ import annotations

from datetime import timedelta

import httpx
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
from plugin.pipeline.catalog import batches, runner
from plugin.pipeline.catalog.requests import request_sync
from tests.pipeline.catalog.e2e_shopify import (  # noqa: F401  (the world fixture)
    SHOP,
    ShopifyWorld,
    rest_product,
    synced,
    world,
)
from tests.pipeline.catalog.e2e_world import TOKEN
from tests.worlds.shopify import id_token


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
    synced(world)
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
    synced(world)
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
    synced(world)
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
    synced(world)
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
    synced(world)
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


def test_a_reconciliation_throttled_by_meta_resumes_and_pages_the_whole_catalog(
        world: ShopifyWorld) -> None:
    world.shopify.bulk.generated(SHOP, products=251, variants_each=2)  # two listing pages
    synced(world)
    assert len(world.remote()) == 502
    catalog_id, sid = world.catalog_id(), world.store_id
    graph_url = world.app.config["STORECHAT"].whatsapp_graph_url
    stray = {"id": "stray-9", "title": "Stray", "description": "x", "availability": "in stock",
             "condition": "new", "price": "5.00 EUR", "link": "https://acme.example/s",
             "image_link": "https://acme.example/s.jpg", "brand": "X"}
    assert httpx.post(f"{graph_url}/v23.0/{catalog_id}/items_batch",
                      headers={"Authorization": f"Bearer {TOKEN}"},
                      json={"item_type": "PRODUCT_ITEM", "requests": [
                          {"method": "UPDATE", "data": stray}]}).status_code == 200
    world.graph.throttle_next(80004, minutes=3)
    with world.app.app_context(), db.transaction() as session:
        request_sync(session, session.get(Store, sid), kind=SyncKind.RECONCILE)
    waiting = world.syncs()[-1]
    assert waiting.state == SyncState.QUEUED  # queued again for when Meta allows it
    until = world.account().catalog_throttled_until
    assert until is not None and 150 < (until - world.later(0)).total_seconds() <= 180
    lists = world.graph.calls["GET products"]
    with world.app.app_context():
        runner.run_sync(waiting.id)
    done = world.syncs()[-1]
    assert done.state == SyncState.DONE, done.error
    assert world.graph.calls["GET products"] == lists + 2  # both pages, over the cursor
    assert (done.variants, done.deleted, done.changed) == (503, 1, 0)
    assert "stray-9" in world.remote()  # its DELETE waits for the end of the throttling
    with world.app.app_context():
        assert batches.send_due(sid, until + timedelta(seconds=1)) == 1
    world.check_batches()
    assert "stray-9" not in world.remote() and len(world.remote()) == 502
