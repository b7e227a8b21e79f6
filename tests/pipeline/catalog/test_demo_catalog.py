"""The demo store's catalog reaches its sandbox catalog end to end, with no Meta account."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from plugin.demo.catalog import demo_products
from plugin.infra import db
from plugin.models import (
    CatalogBatch,
    CatalogItem,
    CatalogSync,
    ItemState,
    SandboxCatalogItem,
    Store,
    SyncKind,
    SyncState,
)
from plugin.pipeline import sweep
from plugin.pipeline.catalog import batches
from plugin.pipeline.catalog.gateway import SandboxCatalog, for_store
from tests.conftest import DemoPlatform


def test_the_demo_store_lists_its_products_in_the_sandbox_catalog(
        app: Flask, demo: DemoPlatform) -> None:
    products = demo_products()
    assert len(products) == 12 and any(len(p.variants) > 1 for p in products)
    with app.app_context():
        # The housekeeping (every minute under `make run`) starts the demo's first sync.
        sweep.housekeep()
        with db.transaction() as session:
            sync = session.scalars(select(CatalogSync).where(
                CatalogSync.kind == SyncKind.FULL)).one()
            assert sync.state == SyncState.DONE and sync.products == 12
            catalog = for_store(session, session.get(Store, sync.store_id))
            assert isinstance(catalog, SandboxCatalog)
            assert catalog.catalog_id == f"sandbox-{sync.store_id}"
            batch_ids = list(session.scalars(select(CatalogBatch.id)))
        for batch_id in batch_ids:
            batches.check_batch(batch_id)
        with db.transaction() as session:
            rows = session.scalars(select(CatalogItem)).all()
            states = {r.variant_id: r.state for r in rows}
            reasons = {r.variant_id: r.reason for r in rows}
            held = set(session.scalars(select(SandboxCatalogItem.retailer_id)))
    assert len(rows) == sum(len(p.variants) for p in products)
    gift_card = next(p for p in products if not p.image_urls).variants[0].variant_id
    assert states[gift_card] == ItemState.KEPT_OUT and "image" in (reasons[gift_card] or "")
    assert {v for v, s in states.items() if s != ItemState.SYNCED} == {gift_card}
    assert held == {r.retailer_id for r in rows if r.state == ItemState.SYNCED}
