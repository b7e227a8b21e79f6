"""The store's catalog as we send it to Meta: one row per variant, the batches that carried
the changes, and the full syncs and reconciliations that walked the whole store."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class ItemState:
    """Where a catalog item stands between the store and Meta."""

    PENDING = "pending"  # changed (or new): an UPDATE waits for its batch, after `due_at`
    SENDING = "sending"  # in a batch Meta has not finished (`batch_id`)
    SYNCED = "synced"  # Meta holds what `sent_hash` names
    KEPT_OUT = "kept_out"  # cannot be listed (no image, no price…): `reason` says why
    FAILED = "failed"  # Meta refused it: `reason` holds Meta's words, a retry makes it pending
    DELETING = "deleting"  # gone from the store: a DELETE waits for its batch
    DELETED = "deleted"  # Meta confirmed the DELETE; the row stays so the id is never reused


class CatalogItem(Base):
    """One store variant and its catalog item. `retailer_id` is assigned once, when the row
    is written, and is the only id Meta ever sees for the variant (never derived again)."""

    __tablename__ = "catalog_items"
    __table_args__ = (
        UniqueConstraint("store_id", "variant_id"),
        UniqueConstraint("store_id", "retailer_id"),
        Index("ix_catalog_items_store_id_state_due_at", "store_id", "state", "due_at"),
        Index("ix_catalog_items_store_id_product_id", "store_id", "product_id"),
        Index("ix_catalog_items_store_id_inventory_item_id", "store_id", "inventory_item_id"),
        # The catalog page and API: a store's items newest first, all or in one state.
        Index("ix_catalog_items_store_id_id", "store_id", "id"),
        Index("ix_catalog_items_store_id_state_id", "store_id", "state", "id"),
        # The sweeper's look for changes whose send job was lost, across stores.
        Index("ix_catalog_items_state_due_at", "state", "due_at"),
        # Cross-sell's fallback: a store's products in one category.
        Index("ix_catalog_items_store_id_category", "store_id", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    variant_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str] = mapped_column(String(64))
    inventory_item_id: Mapped[str] = mapped_column(String(64), default="")
    retailer_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(255), default="")  # shown on the catalog page
    # The product's category as cross-sell compares it (plugin.domain.cross_sell
    # .category_key: Shopify's product type, WooCommerce's first category); '' for none.
    category: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # The item's fields as sent to Meta (plugin.domain.catalog_items.CatalogItem as a dict);
    # None while kept out or deleted.
    data: Mapped[dict[str, Any] | None]
    content_hash: Mapped[str] = mapped_column(String(64), default="")  # of `data` now
    sent_hash: Mapped[str | None] = mapped_column(String(64))  # of what Meta accepted last
    state: Mapped[str] = mapped_column(String(16), default=ItemState.PENDING)
    reason: Mapped[str | None] = mapped_column(Text)  # kept-out reason or Meta's error
    warnings: Mapped[list[Any]] = mapped_column(default=list)  # Meta's warnings, plain words
    due_at: Mapped[datetime | None]  # a pending change is batched no earlier (debounce)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_batches.id", ondelete="SET NULL"))  # the batch it is in, if any
    # What the batch `batch_id` carries for it: the content hash of an UPDATE, "" for a
    # DELETE. The batch's verdict applies to that, even if the row changed meanwhile.
    batch_hash: Mapped[str | None] = mapped_column(String(64))
    # Available quantity per location from stock webhooks (Shopify inventory_levels/update).
    stock_levels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seen_by_sync_id: Mapped[int | None]  # the last full sync that read it from the store
    deleted_at: Mapped[datetime | None]  # the store deleted the product (a tombstone)
    synced_at: Mapped[datetime | None]
    listed_at: Mapped[datetime | None]  # a reconciliation last found it in Meta's catalog
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BatchState:
    """A call to items_batch and Meta's verdict on it."""

    SENT = "sent"  # Meta took it and gave a handle; its status is polled until finished
    FINISHED = "finished"  # per-item results applied
    FAILED = "failed"  # the call itself failed for good; its items went back to pending


class CatalogBatch(Base):
    """One items_batch call: its handle, what it carried and what Meta said of it."""

    __tablename__ = "catalog_batches"
    __table_args__ = (Index("ix_catalog_batches_state_check_at", "state", "check_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True)
    catalog_id: Mapped[str] = mapped_column(String(64))
    handle: Mapped[str | None] = mapped_column(String(255))  # Meta's batch handle
    state: Mapped[str] = mapped_column(String(16), default=BatchState.SENT)
    updates: Mapped[int] = mapped_column(default=0)
    deletes: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[int] = mapped_column(default=0)
    checks: Mapped[int] = mapped_column(default=0)  # status polls so far
    check_at: Mapped[datetime | None]  # when to poll its status next
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class SyncKind:
    FULL = "full"  # read every product from the store, send what changed
    RECONCILE = "reconcile"  # read Meta's catalog, delete orphans, re-send what drifted


class SyncState:
    QUEUED = "queued"
    EXPORTING = "exporting"  # Shopify is writing the bulk operation's file
    READING = "reading"  # reading products from the store (or items from Meta)
    SENDING = "sending"  # read: the changes are being batched to Meta
    DONE = "done"
    FAILED = "failed"


class CatalogSync(Base):
    """A full sync or a reconciliation of one store's catalog, with its progress counts."""

    __tablename__ = "catalog_syncs"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True)
    kind: Mapped[str] = mapped_column(String(16), default=SyncKind.FULL)
    state: Mapped[str] = mapped_column(String(16), default=SyncState.QUEUED)
    trigger: Mapped[str] = mapped_column(String(16), default="owner")  # owner|schedule|connect
    export_id: Mapped[str | None] = mapped_column(String(255))  # Shopify bulk operation gid
    cursor: Mapped[str | None] = mapped_column(Text)  # where a resumed read goes on
    products: Mapped[int] = mapped_column(default=0)  # products read
    variants: Mapped[int] = mapped_column(default=0)  # variants read
    changed: Mapped[int] = mapped_column(default=0)  # items whose content hash changed
    kept_out: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[int] = mapped_column(default=0)  # orphans sent as DELETE
    error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None]  # a worker is running it until then
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
