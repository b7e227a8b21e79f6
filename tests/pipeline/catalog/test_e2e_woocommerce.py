"""The catalog sync of a WooCommerce store end to end: the store connected through WC-Auth,
its products and variations paged over HTTP from the fake site, items_batch calls and their
verdicts at the fake Graph, and the site's signed product.* webhooks."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import CatalogBatch, ItemState, Store, SyncState
from plugin.pipeline.catalog import full_sync
from plugin.pipeline.catalog.requests import request_sync
from plugin.platforms.woocommerce import catalog_export as woocommerce_export
from tests.conftest import create_owner, make_app, sign_in
from tests.fakes import woocommerce_catalog as catalog
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.fakes.woocommerce import FakeWooCommerce
from tests.pipeline.catalog.e2e_world import CatalogWorld, graph_with_business
from tests.worlds.woocommerce import PUBLIC_URL, connect, woo_store

IMAGE = "https://woo.example/img/{}.jpg"


class WooWorld(CatalogWorld):
    """A WooCommerce store connected from the fake site, which delivers its webhooks."""

    def __init__(self, app: Flask, graph: FakeGraph, site: FakeWooCommerce,
                 store_id: int) -> None:
        super().__init__(app, graph, store_id)
        self.site = site

    def simple(self, name: str, **fields: Any) -> dict[str, Any]:
        """A simple product with an https image and link, as a live store has."""
        return catalog.add_simple(self.site, name=name, permalink=f"https://woo.example/{name}",
                                  images=[{"id": 1, "src": IMAGE.format(name)}], **fields)

    def variable(self, name: str, sizes: int) -> dict[str, Any]:
        """A variable product with `sizes` variations."""
        return catalog.add_variable(self.site, sizes, name=name,
                                    permalink=f"https://woo.example/{name}",
                                    images=[{"id": 1, "src": IMAGE.format(name)}])

    def edit(self, product: dict[str, Any], **fields: Any) -> None:
        """The owner edits a product; the site delivers product.updated."""
        with self.site._lock:
            product.update(fields)
            product.update(self.site._stamp(created=False))
        self.site.dispatch("product.updated", product)

    def edit_variation(self, product: dict[str, Any], index: int, **fields: Any) -> None:
        """The owner edits one variation: WooCommerce saves the parent too and delivers
        product.updated for it (its `variations` are ids only)."""
        with self.site._lock:
            self.site.variations[product["id"]][index].update(fields)
        self.edit(product)

    def full_sync(self) -> None:
        """The owner asks for a full sync (it runs inline: the site is paged at once)."""
        with self.app.app_context(), db.transaction() as session:
            request_sync(session, session.get(Store, self.store_id))

    def batches(self) -> list[tuple[int, int]]:
        """(updates, deletes) of each of the store's batches, oldest first."""
        with self.app.app_context(), db.transaction() as session:
            return [(b.updates, b.deletes) for b in session.scalars(
                select(CatalogBatch).where(CatalogBatch.store_id == self.store_id)
                .order_by(CatalogBatch.id))]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WooWorld]:
    """StoreChat and the fake Graph; the fake site on loopback, connected by WC-Auth."""
    graph = graph_with_business()
    with LoopbackServer(graph) as graph_server:
        app = make_app(tmp_path / "instance", allow_http_stores=True, public_url=PUBLIC_URL,
                       whatsapp_graph_url=graph_server.url)
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
                yield WooWorld(app, graph, site, woo_store(app).id)
        finally:
            site.http.close()
            app.extensions["storechat.engine"].dispose()


def _variation_ids(product: dict[str, Any]) -> list[str]:
    return [str(v) for v in product["variations"]]


def test_connecting_a_catalog_pages_the_store_and_lists_every_variant(world: WooWorld) -> None:
    shirt = world.simple("shirt")
    boots = world.variable("boots", 3)
    bare = catalog.add_simple(world.site, name="bare", images=[])
    world.connect_catalog()
    [sync] = world.syncs()
    assert sync.state == SyncState.DONE, sync.error
    assert (sync.products, sync.variants, sync.changed, sync.kept_out) == (3, 5, 4, 1)
    assert world.items_batch_calls() == 1
    world.check_batches()
    shirt_id, bare_id = str(shirt["id"]), str(bare["id"])
    states = world.states()
    assert states == {shirt_id: ItemState.SYNCED, bare_id: ItemState.KEPT_OUT,
                      **{v: ItemState.SYNCED for v in _variation_ids(boots)}}
    assert "no image" in (world.rows()[bare_id].reason or "")
    remote = world.remote()
    sid = world.store_id
    assert set(remote) == {f"{sid}-{shirt_id}", *(f"{sid}-{v}" for v in _variation_ids(boots))}
    assert {remote[f"{sid}-{v}"]["item_group_id"] for v in _variation_ids(boots)} == \
        {str(boots["id"])}
    assert remote[f"{sid}-{shirt_id}"]["price"] == "49.90 EUR"

    calls = world.items_batch_calls()
    world.full_sync()
    second = world.syncs()[-1]
    assert second.state == SyncState.DONE and (second.variants, second.changed) == (5, 0)
    assert world.items_batch_calls() == calls


def test_product_webhooks_reach_meta_as_one_entry_each(world: WooWorld) -> None:
    shirt = world.simple("shirt")
    boots = world.variable("boots", 2)
    world.connect_catalog()
    world.check_batches()
    sid, sent = world.store_id, len(world.batches())
    shirt_rid = f"{sid}-{shirt['id']}"

    world.edit(shirt, price="59.90", regular_price="59.90")
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.batches()[sent:] == [(1, 0)]
    assert world.remote()[shirt_rid]["price"] == "59.90 EUR"
    assert world.remote()[shirt_rid]["image_link"] == IMAGE.format("shirt")

    for n in range(20):
        world.edit(shirt, price=f"{60 + n}.00", regular_price=f"{60 + n}.00")
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.batches()[sent + 1:] == [(1, 0)]
    assert world.remote()[shirt_rid]["price"] == "79.00 EUR"

    first = _variation_ids(boots)[0]
    world.edit_variation(boots, 0, price="99.00", regular_price="99.00")
    assert world.send_debounced() == 1
    world.check_batches()
    remote = world.remote()
    assert remote[f"{sid}-{first}"]["price"] == "99.00 EUR"
    assert {f"{sid}-{v}" for v in _variation_ids(boots)} <= set(remote)
    assert set(world.states().values()) == {ItemState.SYNCED}

    # A variation's own delivery names only itself: its siblings stay listed.
    second = world.site.variations[boots["id"]][1]
    second.update(price="88.00", regular_price="88.00")
    world.site.dispatch("product.updated", {**second, "type": "variation",
                                            "date_modified_gmt": "2025-03-02T10:00:00"})
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.batches()[-1] == (1, 0)
    assert world.remote()[f"{sid}-{second['id']}"]["price"] == "88.00 EUR"
    assert {f"{sid}-{v}" for v in _variation_ids(boots)} <= set(world.remote())

    world.edit(shirt, manage_stock=True, stock_quantity=0, stock_status="outofstock")
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.remote()[shirt_rid]["availability"] == "out of stock"

    catalog.delete_product(world.site, boots["id"])
    world.site.dispatch("product.deleted", boots)
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.batches()[-1] == (0, 2)
    assert set(world.remote()) == {shirt_rid}
    world.site.dispatch("product.updated", {**boots, "date_modified_gmt": "2030-01-01T00:00:00"})
    assert world.send_debounced() == 0  # a late update does not bring it back
    assert set(world.remote()) == {shirt_rid}


def test_a_sync_broken_midway_and_run_again_leaves_one_item_per_variant(
        world: WooWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(5):
        world.simple(f"shirt-{n}")
    world.variable("boots", 2)
    monkeypatch.setattr(woocommerce_export, "PER_PAGE", 2)
    monkeypatch.setattr(full_sync, "PROGRESS_EVERY", 2)
    world.site.fail_next(0, 400)  # the first page is read, the second refused
    world.connect_catalog()
    [failed] = world.syncs()
    assert failed.state == SyncState.FAILED and failed.products == 2, failed.error
    assert world.remote() == {}
    world.full_sync()
    world.check_batches()
    world.full_sync()
    world.check_batches()
    rows = world.rows()
    assert len(rows) == 7 and set(world.states().values()) == {ItemState.SYNCED}
    assert set(world.remote()) == {row.retailer_id for row in rows.values()}
    assert [s.state for s in world.syncs()] == [SyncState.FAILED, SyncState.DONE,
                                                SyncState.DONE]


def test_a_product_trashed_then_restored_and_published_is_listed_again(
        world: WooWorld) -> None:
    shirt = world.simple("shirt")
    world.connect_catalog()
    world.check_batches()
    rid = f"{world.store_id}-{shirt['id']}"
    assert set(world.remote()) == {rid}
    shirt["status"] = "trash"  # WooCommerce's product.deleted when a product is trashed
    world.site.dispatch("product.deleted", shirt)
    assert world.send_debounced() == 1
    world.check_batches()
    assert world.remote() == {}
    # Restored from the trash (as a draft, under its old id), then published again.
    world.edit(shirt, status="draft")
    assert world.send_debounced() == 0
    assert world.states()[str(shirt["id"])] == ItemState.KEPT_OUT
    world.edit(shirt, status="publish")
    assert world.send_debounced() == 1
    world.check_batches()
    assert set(world.remote()) == {rid}
    assert world.states()[str(shirt["id"])] == ItemState.SYNCED
