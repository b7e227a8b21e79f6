"""Catalog rows written straight into the tables, as the sync engine would leave them: a
connected catalog, items in every state, a sync with its progress, and batches."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from plugin.infra import db
from plugin.models import (
    BatchState,
    CatalogBatch,
    CatalogItem,
    CatalogSync,
    ItemState,
    SyncKind,
    SyncState,
    WhatsAppAccount,
)

NO_IMAGE = "This product has no image: add one in your store and it is listed."
META_REFUSED = "The image could not be downloaded (error 1386076): check the image link."
WARNING = "The description is very short: shoppers buy more with a fuller one."


def connect_catalog(app: Flask, store_id: int, catalog_id: str | None = "cat-991",
                    name: str = "Linen & Co catalog", **columns: Any) -> int:
    """A WhatsApp number for the store, with (or, catalog_id None, without) a catalog."""
    with app.app_context(), db.transaction() as session:
        account = WhatsAppAccount(
            store_id=store_id, phone_number_id=f"pn-{store_id}", waba_id=f"waba-{store_id}",
            catalog_id=catalog_id, catalog_name=name if catalog_id else "",
            catalog_visible=catalog_id is not None, cart_enabled=catalog_id is not None,
            catalog_connected_at=datetime(2026, 12, 1, 9, 0) if catalog_id else None,
            **columns)
        session.add(account)
        session.flush()
        return account.id


def item(store_id: int, n: int, state: str = ItemState.SYNCED, title: str = "",
         **columns: Any) -> CatalogItem:
    """Variant `n` of the store as a catalog row in `state`."""
    data = None if state in (ItemState.KEPT_OUT, ItemState.DELETED) else {
        "title": title or f"Linen shirt {n}", "price": "49.90 EUR", "sale_price": "",
        "availability": "in stock", "image_link": f"https://shop.example/img/{n}.jpg"}
    columns.setdefault("reason", NO_IMAGE if state == ItemState.KEPT_OUT
                       else META_REFUSED if state == ItemState.FAILED else None)
    return CatalogItem(store_id=store_id, variant_id=f"v{n}", product_id=f"p{n // 3}",
                       retailer_id=f"sc-{store_id}-{n}", title=title or f"Linen shirt {n}",
                       data=data, content_hash=f"h{n}", state=state, **columns)


def add_items(app: Flask, store_id: int, states: dict[str, int], start: int = 0) -> list[int]:
    """`states[s]` items in each state s, numbered from `start`; their ids in order."""
    rows, n = [], start
    for state, many in states.items():
        for _ in range(many):
            rows.append(item(store_id, n, state))
            n += 1
    with app.app_context(), db.transaction() as session:
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def add_sync(app: Flask, store_id: int, state: str = SyncState.DONE,
             kind: str = SyncKind.FULL, **columns: Any) -> int:
    """A sync of the store in `state`, with progress counts."""
    started = datetime(2026, 12, 5, 10, 0)
    values: dict[str, Any] = dict(products=120, variants=310, changed=42, kept_out=3,
                                  deleted=1, started_at=started)
    if state in (SyncState.DONE, SyncState.FAILED):
        values["finished_at"] = started + timedelta(minutes=4)
    values.update(columns)
    with app.app_context(), db.transaction() as session:
        sync = CatalogSync(store_id=store_id, kind=kind, state=state, trigger="owner",
                           **values)
        session.add(sync)
        session.flush()
        return sync.id


def add_batch(app: Flask, store_id: int, state: str = BatchState.FINISHED,
              **columns: Any) -> int:
    """A batch sent to Meta for the store."""
    values: dict[str, Any] = dict(handle="AcxBatchHandle01", updates=40, deletes=1, errors=2,
                                  warnings=1)
    values.update(columns)
    with app.app_context(), db.transaction() as session:
        batch = CatalogBatch(store_id=store_id, catalog_id="cat-991", state=state, **values)
        session.add(batch)
        session.flush()
        return batch.id
