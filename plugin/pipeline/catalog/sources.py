"""Where a full sync reads a store's products: one product source per platform.

A source streams ProductEvents (one product with all its variants at a time), so a sync
never holds the store in memory. A source that must first ask the platform to prepare an
export (Shopify's bulk operation) also has `start_export`: the sync then waits in
EXPORTING until the platform says the file is ready (sync.export_finished), or until the
housekeeping, asking the platform itself (`export_done`), finds it ready when that word
was lost.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from adapters.shopify.admin import QueryError
from adapters.shopify.bulk import IN_PROGRESS_CODE
from plugin.demo.catalog import DemoCatalogSource
from plugin.domain.errors import ShopifyError
from plugin.domain.events import ProductEvent
from plugin.infra import db
from plugin.models import Store
from plugin.platforms.shopify import catalog_export as shopify_export
from plugin.platforms.woocommerce import catalog_export as woocommerce_export


class ProductSource(Protocol):
    """Reads every product of one store."""

    def products(self, export_id: str | None) -> Iterator[ProductEvent]:
        """Every product, one at a time (from the finished export when `export_id`).
        Raises a StoreChatError when the store cannot be read."""


@runtime_checkable
class ExportFirst(Protocol):
    """A source whose platform prepares an export before it can be read."""

    def start_export(self) -> str:
        """Ask the platform for the export; returns its id (e.g. a bulk operation gid)."""

    def products(self, export_id: str | None) -> Iterator[ProductEvent]:
        """As ProductSource.products."""


@runtime_checkable
class ExportPolled(Protocol):
    """A source whose platform can be asked whether an export has finished."""

    def export_done(self, export_id: str) -> bool:
        """Whether the export can no longer change (completed, failed, canceled or gone).
        Raises a StoreChatError when the platform cannot be asked."""


class ShopifyExport:
    """A Shopify store's products: a bulk operation run by Shopify, then its file streamed."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def start_export(self) -> str:
        """Start the bulk operation; its gid. While one of ours still runs (an earlier
        sync's, given up on or left waiting), that one is the export this sync waits for."""
        try:
            return shopify_export.start_export(db.session(), self._store)
        except shopify_export.ExportRefused as refused:
            # Shopify runs one bulk query per app and shop, and the catalog export is the
            # only one StoreChat runs: the running one reads the same products.
            if refused.code == IN_PROGRESS_CODE and refused.running_id:
                return refused.running_id
            raise

    def export_done(self, export_id: str) -> bool:
        """Whether Shopify finished the bulk operation (one it no longer knows counts as
        finished: reading it then fails the sync with Shopify's word)."""
        try:
            return shopify_export.export_state(db.session(), self._store, export_id).finished
        except QueryError:
            return True

    def products(self, export_id: str | None) -> Iterator[ProductEvent]:
        """The finished export's products; a ShopifyError when it did not complete."""
        if export_id is None:
            raise ShopifyError("A Shopify catalog is read from a bulk export; none was started.")
        state = shopify_export.export_state(db.session(), self._store, export_id)
        if state.status != "completed":
            raise ShopifyError(f"Shopify's export of the products ended {state.status}"
                               + (f" ({state.error})." if state.error else "."))
        # Shopify gives no file at all when the store has no product.
        return shopify_export.read_export(self._store, state.url) if state.url else iter(())


class WooCommercePages:
    """A WooCommerce store's products, paged with their variations."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def products(self, export_id: str | None) -> Iterator[ProductEvent]:
        """Every product, one page at a time."""
        return woocommerce_export.read_products(self._store)


SourceFactory = Callable[[Session, Store], ProductSource]

# platform → how to read its stores' products.
SOURCES: dict[str, SourceFactory] = {
    "demo": lambda session, store: DemoCatalogSource(store.currency or "EUR"),
    "shopify": lambda session, store: ShopifyExport(store),
    "woocommerce": lambda session, store: WooCommercePages(store),
}


def for_store(session: Session, store: Store) -> ProductSource | None:
    """The product source of the store's platform, or None when none is wired."""
    factory = SOURCES.get(store.platform)
    return factory(session, store) if factory is not None else None
