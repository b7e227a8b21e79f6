"""The Shopify bulk export under the catalog sync, end to end: a read broken midway, a lost
or failed bulk_operations/finish, an export still running when a sync is asked again."""
# ruff: noqa: F811  (the world fixture imported from e2e_shopify is a parameter here)
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from plugin.infra import db
from plugin.models import ItemState, Store, SyncState
from plugin.pipeline.catalog import full_sync, upkeep
from plugin.pipeline.catalog.requests import request_sync
from plugin.platforms.shopify import catalog_export
from tests.pipeline.catalog.e2e_shopify import (  # noqa: F401  (the world fixture)
    SHOP,
    ShopifyWorld,
    world,
)


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


def test_a_product_deleted_after_shopify_wrote_the_file_stays_deleted(
        world: ShopifyWorld) -> None:
    world.shopify.bulk.add_product(SHOP, 1)
    world.shopify.bulk.add_product(SHOP, 2, variants=2)
    world.shopify.bulk.senders.pop(SHOP)  # the finish webhook comes late (below)
    world.connect_catalog()
    operation = world.shopify.bulk.complete(SHOP, world.shop_url)  # the file has product 2
    world.webhook("products/delete", {"id": 2})  # deleted after the file was written
    world.webhook("bulk_operations/finish", {
        "admin_graphql_api_id": operation.id, "completed_at": None, "created_at": None,
        "error_code": None, "status": "completed", "type": "query"})
    [sync] = world.syncs()
    assert sync.state == SyncState.DONE and sync.products == 2, sync.error
    world.send_debounced()
    world.check_batches()
    assert set(world.remote()) == {f"{world.store_id}-1001"}
    # Never listed, product 2 is only its tombstone, which keeps the stale file's copy out.
    assert world.states() == {"1001": ItemState.SYNCED, "tombstone:2": ItemState.DELETED}
