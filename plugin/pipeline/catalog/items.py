"""Store changes into catalog rows: each product's variants mapped, hashed and marked for
the next batch. The webhook appliers (product and stock events) and the full sync share
`upsert_product`, so a variant is written one way whichever path saw it.

Rows are kept for every store, with a catalog connected or not: they cost one row per
variant, let the catalog page show what would be listed (and what is kept out) before a
catalog is connected, and make the first sync after connecting start from them. Only
stores with a catalog get a send queued.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from plugin.domain import cross_sell
from plugin.domain.catalog_items import CatalogItem as Listing
from plugin.domain.catalog_items import KeptOut, content_hash, map_product
from plugin.domain.events import EventKind, ProductEvent, StockEvent
from plugin.infra import db
from plugin.infra.queue import Job, enqueue_after_commit
from plugin.models import CatalogItem, ItemState, Store
from plugin.pipeline.catalog import gateway

# A change waits this long before it is batched, so a burst of updates to one product
# becomes one entry; the window is never extended, so stock reaches a batch in under a
# minute (this plus the send job's own delay).
DEBOUNCE_SECONDS = 20
# Meta's retailer_id limit: our ids are "<store id>-<variant id>", far below it.
RETAILER_ID_LIMIT = 100

# variant_id of the row that stands for a product deleted before we saw it (never sent).
TOMBSTONE = "tombstone:"
# Product statuses (Shopify, WooCommerce) that are not for sale: their variants stay out.
UNLISTED_STATUSES = frozenset({"draft", "archived", "pending", "private", "trash"})

# Rows in these states wait for (or are in) a batch that removes them from Meta.
_GONE = (ItemState.DELETING, ItemState.DELETED)


@dataclass(slots=True)
class Tally:
    """What one product's upsert did, for a full sync's progress counts."""

    variants: int = 0
    changed: int = 0
    kept_out: int = 0
    deleted: int = 0

    def add(self, other: Tally) -> None:
        """Add another product's counts to these."""
        self.variants += other.variants
        self.changed += other.changed
        self.kept_out += other.kept_out
        self.deleted += other.deleted


def apply_product_event(session: Session, store: Store,
                        event: ProductEvent) -> list[tuple[int, int]]:
    """Process applier for product webhooks: upsert or tombstone the product's rows and
    queue a debounced send when the store has a catalog. Sends no messages."""
    now = db.utcnow()
    tally = (delete_product(session, store, event.product_id, now)
             if event.kind == EventKind.PRODUCT_DELETED
             else upsert_product(session, store, event, now))
    if tally.changed or tally.deleted:
        queue_send(session, store)
    return []


def apply_stock_event(session: Session, store: Store, event: StockEvent) -> list[tuple[int, int]]:
    """Process applier for inventory_levels/update: record the location's quantity, and
    when a row's availability flips, make it pending (debounced) like any change."""
    now = db.utcnow()
    rows = session.scalars(select(CatalogItem).where(
        CatalogItem.store_id == store.id,
        CatalogItem.inventory_item_id == event.inventory_item_id)).all()
    changed = False
    for row in rows:
        levels = dict(row.stock_levels or {})
        levels[event.location_id] = event.available
        row.stock_levels = levels
        if row.data is None or row.state in _GONE or row.deleted_at is not None:
            continue
        # In stock while any location we have heard from has some. (A location never
        # reported keeps the product event's availability until the next product update.)
        known = [q for q in levels.values() if q is not None]
        if not known:
            continue
        data = dict(row.data, availability="in stock" if any(q > 0 for q in known)
                    else "out of stock")
        changed |= _set_listing(row, listing_from_data(data), now)
    if changed:
        queue_send(session, store)
    return []


def upsert_product(session: Session, store: Store, event: ProductEvent, now: datetime,
                   sync_id: int | None = None, wait: int = DEBOUNCE_SECONDS,
                   read_at: datetime | None = None) -> Tally:
    """Write the product's variants as rows (created with their retailer id, once), mark
    the changed ones pending, the kept-out ones kept out and the vanished ones deleting.
    A tombstoned product stays deleted against a webhook's body (a late update), but a
    read of the store begun after the delete (`read_at`) finds it back: WooCommerce
    restores a trashed product under its old id. Changes are due after `wait` seconds (a
    full sync sends at once: 0). A full sync (`sync_id`, reading the store as it was at
    `read_at`) leaves a product a webhook changed since."""
    rows = {r.variant_id: r for r in session.scalars(select(CatalogItem).where(
        CatalogItem.store_id == store.id, CatalogItem.product_id == event.product_id))}
    tally = Tally()
    deleted = [r.deleted_at for r in rows.values() if r.deleted_at is not None]
    if deleted and (read_at is None or max(deleted) >= read_at):
        return tally  # a late update of a deleted product, or a read older than its delete
    if deleted:
        rows = _lift_tombstones(session, rows)
    if sync_id is not None and read_at is not None and any(
            r.updated_at > read_at and r.seen_by_sync_id != sync_id for r in rows.values()):
        for row in rows.values():  # the webhook's version is fresher than this read
            row.seen_by_sync_id = sync_id
        tally.variants = len(event.variants)
        return tally
    if not event.currency:  # webhooks name no currency: prices are in the store's
        event = replace(event, currency=store.currency or "")
    for variant in event.variants:
        if variant.variant_id not in rows:
            row = CatalogItem(store_id=store.id, variant_id=variant.variant_id,
                              product_id=event.product_id,
                              retailer_id=f"{store.id}-{variant.variant_id}"[:RETAILER_ID_LIMIT],
                              data=None, content_hash="", state=ItemState.PENDING,
                              warnings=[], stock_levels={})
            session.add(row)
            rows[variant.variant_id] = row
        row = rows[variant.variant_id]
        row.inventory_item_id = variant.inventory_item_id
        row.title = _title(event.title, variant.title)
        row.category = cross_sell.category_key(event.category)[:255]
        if sync_id is not None:
            row.seen_by_sync_id = sync_id
    retailer_ids = {v.variant_id: rows[v.variant_id].retailer_id for v in event.variants}
    variant_of = {r: v for v, r in retailer_ids.items()}
    listings = map_product(event, store_base_url=base_url(store), retailer_ids=retailer_ids)
    if event.status.lower() in UNLISTED_STATUSES:
        listings = [KeptOut(v.variant_id, f"The product is not published ({event.status.lower()})"
                            ".") for v in event.variants]
    for listing in listings:
        row = rows[listing.variant_id if isinstance(listing, KeptOut)
                   else variant_of[listing.retailer_id]]
        tally.variants += 1
        if isinstance(listing, KeptOut):
            tally.kept_out += 1
            tally.deleted += keep_out(row, listing.reason, now, wait)
        elif _set_listing(row, listing, now, wait):
            tally.changed += 1
    listed = {v.variant_id for v in event.variants}
    for variant_id, row in rows.items():
        if variant_id not in listed and row.state not in _GONE:
            tally.deleted += mark_deleting(row, now, wait)
    session.flush()
    return tally


def _lift_tombstones(session: Session,
                     rows: dict[str, CatalogItem]) -> dict[str, CatalogItem]:
    """The product is in the store again: its rows lose their deleted mark (a tombstone
    row, standing for no variant, goes); the upsert then lists them as new."""
    for variant_id, row in list(rows.items()):
        if variant_id.startswith(TOMBSTONE):
            session.delete(row)
            del rows[variant_id]
        row.deleted_at = None
    session.flush()
    return rows


def delete_product(session: Session, store: Store, product_id: str, now: datetime) -> Tally:
    """Tombstone every row of the product (deleted_at) and mark them for a DELETE. A product
    we never saw gets a tombstone row of its own, so its late create cannot list it."""
    tally = Tally()
    rows = list(session.scalars(select(CatalogItem).where(
        CatalogItem.store_id == store.id, CatalogItem.product_id == product_id)))
    if not rows:
        session.add(CatalogItem(
            store_id=store.id, product_id=product_id, variant_id=TOMBSTONE + product_id,
            retailer_id=f"{store.id}-{TOMBSTONE}{product_id}"[:RETAILER_ID_LIMIT], data=None,
            content_hash="", state=ItemState.DELETED, deleted_at=now, warnings=[],
            stock_levels={}))
    for row in rows:
        row.deleted_at = row.deleted_at or now
        if row.state not in _GONE:
            tally.deleted += mark_deleting(row, now)
    return tally


def restore_product(session: Session, store: Store, event: ProductEvent) -> Tally:
    """Lift a product's tombstone and list it again: only for a platform that restores a
    deleted product under its old id (WooCommerce's product.restored, out of the trash)."""
    now = db.utcnow()
    for row in session.scalars(select(CatalogItem).where(
            CatalogItem.store_id == store.id, CatalogItem.product_id == event.product_id)):
        if row.variant_id.startswith(TOMBSTONE):
            session.delete(row)
        row.deleted_at = None
    session.flush()
    tally = upsert_product(session, store, event, now)
    if tally.changed:
        queue_send(session, store)
    return tally


def catalog_changed(session: Session, store: Store) -> int:
    """The store's number now has another catalog (connected, replaced): nothing is in it
    yet, so every listable row is pending again and nothing waits to be deleted from it.
    Returns how many rows will be sent. Call with the new catalog id saved."""
    now = db.utcnow()
    base = (CatalogItem.store_id == store.id, CatalogItem.batch_id.is_(None))
    count = session.execute(
        # In SQL a row without data is told by its empty hash (JSON keeps None as 'null').
        update(CatalogItem).where(*base, CatalogItem.content_hash != "")
        .values(state=ItemState.PENDING, sent_hash=None, due_at=now, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    session.execute(
        update(CatalogItem).where(*base, CatalogItem.content_hash == "",
                                  CatalogItem.state == ItemState.DELETING)
        .values(state=case((CatalogItem.reason.is_not(None) & CatalogItem.deleted_at.is_(None),
                            ItemState.KEPT_OUT), else_=ItemState.DELETED),
                sent_hash=None, due_at=None, updated_at=now)
        .execution_options(synchronize_session=False))
    if count:
        queue_send(session, store)
    return count


def mark_deleting(row: CatalogItem, now: datetime, wait: int = DEBOUNCE_SECONDS) -> int:
    """Make the row wait for a DELETE (1), or straight deleted when Meta never had it and
    no batch carries it (0: nothing to send)."""
    row.data, row.content_hash, row.updated_at = None, "", now
    if row.sent_hash is None and row.batch_id is None:
        row.state, row.due_at = ItemState.DELETED, None
        return 0
    _make_due(row, ItemState.DELETING, now, wait)
    return 1


def keep_out(row: CatalogItem, reason: str, now: datetime, wait: int = DEBOUNCE_SECONDS) -> int:
    """Keep the row out with its reason; if Meta holds (or may hold) it, DELETE it (1)."""
    row.reason, row.updated_at = reason, now
    if row.sent_hash is None and row.batch_id is None:
        row.state, row.data, row.content_hash, row.due_at = ItemState.KEPT_OUT, None, "", None
        return 0
    row.data, row.content_hash = None, ""
    if row.state != ItemState.DELETING:
        _make_due(row, ItemState.DELETING, now, wait)
    return 1


def queue_send(session: Session, store: Store) -> None:
    """Queue the store's send after the debounce window, when it has a catalog."""
    if gateway.has_catalog(session, store):
        enqueue_after_commit(session, Job.CATALOG_SEND, store.id, delay=DEBOUNCE_SECONDS + 1)


def base_url(store: Store) -> str:
    """The store's public address, for product links built from a handle."""
    domain = store.domain.rstrip("/")
    return domain if domain.startswith(("https://", "http://")) else f"https://{domain}"


def _set_listing(row: CatalogItem, listing: Listing, now: datetime,
                 wait: int = DEBOUNCE_SECONDS) -> bool:
    """Store the listing on the row; True when its content changed (it is now pending)."""
    digest = content_hash(listing)
    if digest == row.content_hash and row.state not in (ItemState.KEPT_OUT, *_GONE):
        return False
    data = asdict(listing)
    data["additional_image_links"] = list(listing.additional_image_links)
    row.data, row.content_hash, row.reason, row.updated_at = data, digest, None, now
    if digest == row.sent_hash and row.batch_id is None:
        row.state, row.due_at = ItemState.SYNCED, None  # back to what Meta already has
        return False
    _make_due(row, ItemState.PENDING, now, wait)
    return True


def _make_due(row: CatalogItem, state: str, now: datetime, wait: int) -> None:
    # The first change of a burst opens the window; later ones ride in it.
    already_waiting = row.state in (ItemState.PENDING, ItemState.DELETING) and row.due_at
    row.state = state
    if not already_waiting:
        row.due_at = now + timedelta(seconds=wait)
    elif row.due_at is not None:
        row.due_at = min(row.due_at, now + timedelta(seconds=wait))


def listing_from_data(data: dict[str, Any]) -> Listing:
    """The catalog item a row's `data` holds (JSON gives lists where the item has tuples)."""
    return Listing(**dict(data, additional_image_links=tuple(data["additional_image_links"])))


def _title(product: str, variant: str) -> str:
    name = product if not variant or variant == "Default Title" else f"{product} – {variant}"
    return name[:255]
