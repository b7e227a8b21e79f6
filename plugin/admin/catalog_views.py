"""The catalog as the owner reads it, for the catalog page and the JSON API alike: the
connected catalog, item counts by state, the current or last sync, recent batches, and one
page of items at a time (keyset paging: a store may hold 100,000 variants).

Read-only: the sync engine (plugin/pipeline/catalog) writes these tables; what the owner
asks of it goes through plugin.pipeline.catalog.requests. Every query is scoped to the
caller's stores (plugin.auth.tenancy).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from plugin.auth.tenancy import scoped
from plugin.models import (
    BatchState,
    CatalogBatch,
    CatalogItem,
    CatalogSync,
    ItemState,
    Store,
    SyncKind,
    SyncState,
    WhatsAppAccount,
)
from plugin.pipeline.catalog import gateway
from plugin.pipeline.catalog.requests import UNFINISHED

# The filters the owner picks from, each a group of item states (in the order shown).
FILTERS: dict[str, tuple[str, ...]] = {
    "synced": (ItemState.SYNCED,),
    "pending": (ItemState.PENDING, ItemState.SENDING, ItemState.DELETING),
    "kept_out": (ItemState.KEPT_OUT,),
    "failed": (ItemState.FAILED,),
    "deleted": (ItemState.DELETED,),
}
FILTER_WORDS = {
    "synced": "In WhatsApp",
    "pending": "Waiting to be sent",
    "kept_out": "Kept out",
    "failed": "Refused by Meta",
    "deleted": "Removed",
}
# Each item state in the owner's words.
ITEM_WORDS = {
    ItemState.PENDING: "Waiting to be sent",
    ItemState.SENDING: "Sent, Meta is checking it",
    ItemState.SYNCED: "In WhatsApp",
    ItemState.KEPT_OUT: "Kept out",
    ItemState.FAILED: "Refused by Meta",
    ItemState.DELETING: "Being removed",
    ItemState.DELETED: "Removed",
}
SYNC_WORDS = {
    SyncState.QUEUED: "Waiting for a worker to start it",
    SyncState.EXPORTING: "The store is preparing its product export",
    SyncState.READING: "Reading products",
    SyncState.SENDING: "Sending the changes to Meta",
    SyncState.DONE: "Finished",
    SyncState.FAILED: "Stopped with an error",
}
KIND_WORDS = {
    SyncKind.FULL: "Full sync",
    SyncKind.RECONCILE: "Check against Meta",
}
BATCH_WORDS = {
    BatchState.SENT: "Meta is processing it",
    BatchState.FINISHED: "Checked",
    BatchState.FAILED: "Not accepted by Meta",
}
# Longest search the page and the API take: titles are at most 150 characters in Meta.
MAX_SEARCH = 150
# Batches listed under the sync panel, newest first.
RECENT_BATCHES = 10


@dataclass(frozen=True, slots=True)
class Counts:
    """How many of the store's items stand in each filter group."""

    synced: int = 0
    pending: int = 0
    kept_out: int = 0
    failed: int = 0
    deleted: int = 0

    @property
    def total(self) -> int:
        """Every item StoreChat knows, removed ones included."""
        return self.synced + self.pending + self.kept_out + self.failed + self.deleted


@dataclass(frozen=True, slots=True)
class ItemView:
    """One catalog item as a row of the page or an item of the API."""

    id: int
    retailer_id: str
    product_id: str
    variant_id: str
    title: str
    state: str
    state_words: str
    reason: str
    warnings: tuple[str, ...]
    price: str
    sale_price: str
    availability: str
    image_link: str
    updated_at: datetime
    synced_at: datetime | None


@dataclass(frozen=True)
class Connection:
    """The catalog a store's items go to, as the page and the API show it."""

    catalog_id: str | None
    name: str
    sandbox: bool  # StoreChat's stand-in for Meta: nothing is sent to Meta
    visible: bool
    cart_enabled: bool
    connected_at: datetime | None
    throttled_until: datetime | None

    @property
    def connected(self) -> bool:
        """Whether items are sent anywhere."""
        return bool(self.catalog_id)


def connection(session: Session, store: Store) -> Connection:
    """The store's catalog: its number's (Meta's or a sandbox one), or for the demo store
    its built-in sandbox catalog (plugin.pipeline.catalog.gateway decides the same way)."""
    found = account(session, store.id)
    if found is not None and found.catalog_id:
        return Connection(found.catalog_id, found.catalog_name,
                          found.catalog_id.startswith(gateway.SANDBOX_PREFIX),
                          found.catalog_visible, found.cart_enabled,
                          found.catalog_connected_at, found.catalog_throttled_until)
    if gateway.has_catalog(session, store):
        return Connection(gateway.sandbox_catalog_id(store), "Demo store's sandbox catalog",
                          True, False, False, None, None)
    return Connection(None, "", False, False, False, None,
                      found.catalog_throttled_until if found is not None else None)


def account(session: Session, store_id: int) -> WhatsAppAccount | None:
    """The store's WhatsApp account (the one its catalog belongs to), if any."""
    return session.scalars(
        scoped(select(WhatsAppAccount), WhatsAppAccount)
        .where(WhatsAppAccount.store_id == store_id).order_by(WhatsAppAccount.id)).first()


def counts(session: Session, store_id: int) -> Counts:
    """The store's items counted by filter group, in one grouped query."""
    rows = session.execute(
        scoped(select(CatalogItem.state, func.count()), CatalogItem)
        .where(CatalogItem.store_id == store_id).group_by(CatalogItem.state))
    by_state: dict[str, int] = {state: many for state, many in rows}
    return Counts(**{key: sum(by_state.get(s, 0) for s in states)
                     for key, states in FILTERS.items()})


def current_sync(session: Session, store_id: int) -> CatalogSync | None:
    """The store's newest unfinished sync, else its newest sync, else None."""
    base = scoped(select(CatalogSync), CatalogSync).where(CatalogSync.store_id == store_id)
    running = session.scalars(base.where(CatalogSync.state.in_(UNFINISHED))
                              .order_by(CatalogSync.id.desc()).limit(1)).first()
    return running or session.scalars(base.order_by(CatalogSync.id.desc()).limit(1)).first()


def unfinished(session: Session, store_id: int, kind: str) -> CatalogSync | None:
    """The store's unfinished sync of `kind`, if one is under way."""
    return session.scalars(
        scoped(select(CatalogSync), CatalogSync)
        .where(CatalogSync.store_id == store_id, CatalogSync.kind == kind,
               CatalogSync.state.in_(UNFINISHED)).order_by(CatalogSync.id.desc()).limit(1)
    ).first()


def is_running(sync: CatalogSync | None) -> bool:
    """True while a sync is still under way."""
    return sync is not None and sync.state in UNFINISHED


def recent_batches(session: Session, store_id: int,
                   limit: int = RECENT_BATCHES) -> list[CatalogBatch]:
    """The store's newest batches sent to Meta."""
    return list(session.scalars(
        scoped(select(CatalogBatch), CatalogBatch).where(CatalogBatch.store_id == store_id)
        .order_by(CatalogBatch.id.desc()).limit(limit)))


def search_problem(query: str) -> str | None:
    """Why a search cannot be run as typed (too long, control characters), else None."""
    if len(query) > MAX_SEARCH:
        return f"Search for at most {MAX_SEARCH} characters."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in query):
        return "The search holds a control character; type words or a retailer ID."
    return None


def items(session: Session, store_id: int, states: Sequence[str] = (), search: str = "",
          before: int | None = None, limit: int = 50) -> tuple[list[ItemView], int | None]:
    """One page of the store's items, newest first: those in `states` (all when empty)
    whose title contains `search` or whose retailer, product or variant id is `search`,
    below the id `before`; and the id to pass as `before` for the next page (None on the
    last). Keyset paging: the cost of a page does not grow with how deep it is."""
    statement = scoped(select(CatalogItem), CatalogItem).where(
        CatalogItem.store_id == store_id)
    if states:
        statement = statement.where(CatalogItem.state.in_(list(states)))
    if search:
        pattern = "%" + _escape_like(search) + "%"
        statement = statement.where(or_(CatalogItem.title.ilike(pattern, escape="\\"),
                                        CatalogItem.retailer_id == search,
                                        CatalogItem.product_id == search,
                                        CatalogItem.variant_id == search))
    if before is not None:
        statement = statement.where(CatalogItem.id < before)
    rows = list(session.scalars(statement.order_by(CatalogItem.id.desc()).limit(limit + 1)))
    following = rows[limit - 1].id if len(rows) > limit else None
    return [item_view(r) for r in rows[:limit]], following


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def item_view(row: CatalogItem) -> ItemView:
    """The row as shown: its fields as sent to Meta (price, availability) when it has them."""
    data: dict[str, Any] = row.data if isinstance(row.data, dict) else {}
    return ItemView(
        id=row.id, retailer_id=row.retailer_id, product_id=row.product_id,
        variant_id=row.variant_id, title=row.title or str(data.get("title", "")),
        state=row.state, state_words=ITEM_WORDS.get(row.state, row.state),
        reason=row.reason or "", warnings=warning_words(row.warnings),
        price=str(data.get("price", "")), sale_price=str(data.get("sale_price", "")),
        availability=str(data.get("availability", "")),
        image_link=str(data.get("image_link", "")), updated_at=row.updated_at,
        synced_at=row.synced_at)


def warning_words(raw: Any) -> tuple[str, ...]:
    """Meta's warnings as sentences: stored as strings, or as objects with a message."""
    if not isinstance(raw, list):
        return ()
    words = []
    for warning in raw:
        if isinstance(warning, dict):
            text = warning.get("message") or warning.get("title") or warning.get("code")
            words.append(str(text or warning))
        elif warning:
            words.append(str(warning))
    return tuple(words)
