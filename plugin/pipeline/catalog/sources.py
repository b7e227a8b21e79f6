"""Where a full sync reads a store's products: one product source per platform.

A source streams ProductEvents (one product with all its variants at a time), so a sync
never holds the store in memory. A source that must first ask the platform to prepare an
export (Shopify's bulk operation) also has `start_export`: the sync then waits in
EXPORTING until the platform says the file is ready (sync.export_finished).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from plugin.demo.catalog import DemoCatalogSource
from plugin.domain.events import ProductEvent
from plugin.models import Store


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


SourceFactory = Callable[[Session, Store], ProductSource]

# platform → how to read its stores' products. The Shopify (bulk operation) and
# WooCommerce (paging) readers are added here when they are wired.
SOURCES: dict[str, SourceFactory] = {
    "demo": lambda session, store: DemoCatalogSource(store.currency or "EUR"),
}


def for_store(session: Session, store: Store) -> ProductSource | None:
    """The product source of the store's platform, or None when none is wired."""
    factory = SOURCES.get(store.platform)
    return factory(session, store) if factory is not None else None
