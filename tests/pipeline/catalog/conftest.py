"""A store with a connected catalog, products to feed it, and a clock to move."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.domain.events import EventKind, ProductEvent, Variant
from plugin.infra import db
from plugin.models import CatalogItem, Store, WhatsAppAccount
from plugin.pipeline.catalog import gateway, sources
from tests.fakes.catalog_gateway import MetaLikeCatalog


def product(product_id: str = "p1", *, variants: int = 1, price: str = "12.50",
            stock: int = 5, title: str = "Linen shirt", image: bool = True,
            deleted: bool = False, **changes: Any) -> ProductEvent:
    """A product event with `variants` variants (ids "<product>-v<n>")."""
    values: dict[str, Any] = dict(
        kind=EventKind.PRODUCT_DELETED if deleted else EventKind.PRODUCT_CHANGED,
        product_id=product_id, title=title, status="active", handle=f"h-{product_id}",
        description_html="<p>Soft <b>linen</b></p>", vendor="Casa", currency="EUR",
        image_urls=(f"https://cdn.example.com/{product_id}.jpg",) if image else (),
        variants=tuple(Variant(variant_id=f"{product_id}-v{n}", title=f"Size {n}",
                               price=Decimal(price), inventory_item_id=f"{product_id}-i{n}",
                               inventory_quantity=stock) for n in range(1, variants + 1)),
    )
    values.update(changes)
    return ProductEvent(**values)


class ListSource:
    """A product source over a list; `stop_after` raises mid-read like a killed worker."""

    def __init__(self, products: list[ProductEvent], stop_after: int | None = None) -> None:
        self.products_list = products
        self.stop_after = stop_after
        self.reads = 0

    def products(self, export_id: str | None) -> Iterator[ProductEvent]:
        for index, item in enumerate(self.products_list):
            if self.stop_after is not None and index == self.stop_after:
                raise WorkerKilled()
            self.reads += 1
            yield item


class WorkerKilled(BaseException):
    """Stands for a worker killed mid-job: nothing of ours catches it."""


class Shop:
    """The store under test: its id, its catalog and its product source."""

    def __init__(self, app: Flask, store_id: int, source: ListSource) -> None:
        self.app, self.id, self.source = app, store_id, source

    def rows(self) -> list[CatalogItem]:
        """Every catalog row of the store, detached, in id order."""
        with self.app.app_context(), db.transaction() as session:
            found = list(session.scalars(select(CatalogItem).where(
                CatalogItem.store_id == self.id).order_by(CatalogItem.id)))
            session.expunge_all()
        return found

    def row(self, variant_id: str) -> CatalogItem:
        """The row of one variant."""
        return next(r for r in self.rows() if r.variant_id == variant_id)


def later(seconds: float) -> datetime:
    """A moment `seconds` from now (naive UTC, as the database keeps it)."""
    return db.utcnow() + timedelta(seconds=seconds)


def _store(app: Flask, token: str | None, catalog_id: str | None) -> int:
    with app.app_context(), db.transaction() as session:
        store = Store(platform="shopify", domain="acme.myshopify.com", name="Acme",
                      currency="EUR", country="PT")
        session.add(store)
        session.flush()
        session.add(WhatsAppAccount(store_id=store.id, phone_number_id=f"pn-{store.id}",
                                    access_token=token,
                                    catalog_id=catalog_id or f"sandbox-{store.id}"))
        return store.id


@pytest.fixture
def source(monkeypatch: pytest.MonkeyPatch) -> ListSource:
    """The product source of every Shopify store in the test (a list)."""
    products = ListSource([])
    monkeypatch.setitem(sources.SOURCES, "shopify", lambda session, store: products)
    return products


@pytest.fixture
def shop(app: Flask, source: ListSource) -> Shop:
    """A Shopify store whose number has no token: its catalog is the sandbox catalog."""
    return Shop(app, _store(app, None, None), source)


@pytest.fixture
def meta(monkeypatch: pytest.MonkeyPatch) -> MetaLikeCatalog:
    """Meta's catalog as the cloud gateway of every number with a token."""
    catalog = MetaLikeCatalog()
    monkeypatch.setattr(gateway, "cloud_catalog", lambda account: catalog)
    return catalog


@pytest.fixture
def cloud_shop(app: Flask, source: ListSource, meta: MetaLikeCatalog) -> Shop:
    """A Shopify store whose number has a token and Meta's catalog `meta`."""
    return Shop(app, _store(app, "EAAtoken", meta.catalog_id), source)
