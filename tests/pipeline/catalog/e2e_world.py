"""The catalog sync end to end: StoreChat served on loopback between a fake Shopify (bulk
operations, signed webhooks), a fake WooCommerce site (products and variations) and the
fake Graph API (catalogs, items_batch, batch status, listing, throttling).

Only the clock is ours: jobs queued with a delay (the debounced send, the batch checks)
wait in the immediate queue's schedule, so a test runs them itself with a `now` as far
ahead as the delay, as a worker would once the time has come.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import (
    BatchState,
    CatalogBatch,
    CatalogItem,
    CatalogSync,
    Store,
    WhatsAppAccount,
)
from plugin.pipeline.catalog import batches, items
from plugin.platforms.whatsapp.catalog import connect_catalog
from tests.fakes.graph import FakeGraph

BUSINESS, WABA, PNID, TOKEN = "5550001112223", "7770001", "8880001", "EAAG-catalog-e2e"
# Polls of one batch before the test gives up on Meta's verdict (the fake needs two).
MAX_POLLS = 5


def graph_with_business() -> FakeGraph:
    """A fake Graph with one business owning the store's WABA and number."""
    graph = FakeGraph()
    graph.add_waba(WABA, TOKEN, PNID)
    graph.add_business(BUSINESS, TOKEN, WABA)
    return graph


class CatalogWorld:
    """One store with a number (token) on the fake Graph, and the steps of its catalog."""

    def __init__(self, app: Flask, graph: FakeGraph, store_id: int) -> None:
        self.app, self.graph, self.store_id = app, graph, store_id
        with app.app_context(), db.transaction() as session:
            session.add(WhatsAppAccount(store_id=store_id, phone_number_id=PNID, waba_id=WABA,
                                        access_token=TOKEN))

    # --- steps ---------------------------------------------------------------------------

    def connect_catalog(self) -> str:
        """The owner connects a new catalog (its first full sync is queued); its id."""
        with self.app.app_context(), db.transaction() as session:
            account = connect_catalog(session, session.get(Store, self.store_id))
            return str(account.catalog_id)

    def send_debounced(self) -> int:
        """The debounce window has passed: the store's send job runs; batches sent."""
        with self.app.app_context():
            return batches.send_due(self.store_id, self.later(items.DEBOUNCE_SECONDS + 1))

    def check_batches(self) -> None:
        """Every sent batch is polled (with the time its poll is due) until Meta finished
        it, as the CATALOG_CHECK jobs would be."""
        for _ in range(MAX_POLLS):
            with self.app.app_context(), db.transaction() as session:
                open_batches = list(session.execute(select(
                    CatalogBatch.id, CatalogBatch.check_at).where(
                        CatalogBatch.store_id == self.store_id,
                        CatalogBatch.state == BatchState.SENT)))
            if not open_batches:
                return
            with self.app.app_context():
                for batch_id, check_at in open_batches:
                    batches.check_batch(batch_id, max(check_at or db.utcnow(), db.utcnow()))
        raise AssertionError("Meta never finished a batch")

    # --- looking -------------------------------------------------------------------------

    def later(self, seconds: float) -> datetime:
        """A moment `seconds` from now, in the database's naive UTC."""
        return db.utcnow() + timedelta(seconds=seconds)

    def catalog_id(self) -> str:
        """The id of the catalog connected in the fake Graph."""
        return self.graph.waba_catalog[WABA]

    def remote(self) -> dict[str, dict[str, Any]]:
        """The catalog's items at Meta, by retailer id."""
        return self.graph.catalog_items(self.catalog_id())

    def rows(self) -> dict[str, CatalogItem]:
        """The store's catalog rows by variant id, detached."""
        with self.app.app_context(), db.transaction() as session:
            found = {r.variant_id: r for r in session.scalars(select(CatalogItem).where(
                CatalogItem.store_id == self.store_id))}
            session.expunge_all()
        return found

    def states(self) -> dict[str, str]:
        """Each row's state by variant id."""
        return {variant: row.state for variant, row in self.rows().items()}

    def syncs(self) -> list[CatalogSync]:
        """The store's syncs, oldest first, detached."""
        with self.app.app_context(), db.transaction() as session:
            found = list(session.scalars(select(CatalogSync).where(
                CatalogSync.store_id == self.store_id).order_by(CatalogSync.id)))
            session.expunge_all()
        return found

    def account(self) -> WhatsAppAccount:
        """The store's number row, detached."""
        with self.app.app_context(), db.transaction() as session:
            account = session.scalars(select(WhatsAppAccount).where(
                WhatsAppAccount.store_id == self.store_id)).one()
            session.expunge(account)
        return account

    def items_batch_calls(self) -> int:
        """How many items_batch calls reached the fake Graph so far."""
        return self.graph.calls["POST items_batch"]
