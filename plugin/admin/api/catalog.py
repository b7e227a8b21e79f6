"""The catalog: the store's products as Meta catalog items, one per variant, with each
item's sync state and, when it is not in WhatsApp, why; the syncs that walk the whole store;
and the owner's two actions, sync now and retry failed items."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from spectree import Tag

from plugin.admin import catalog_views as views
from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, StoreQuery, Strict, after_cursor, utc
from plugin.admin.api.problems import ApiError, FieldError, Problem, ProblemCode
from plugin.infra import db
from plugin.models import CatalogSync, Store, SyncKind
from plugin.pipeline.catalog.requests import request_sync, retry_items

TAG = Tag(name="catalog", description="The store's WhatsApp catalog and its sync with Meta.")
# The most item ids one retry may name.
MAX_RETRY_IDS = 500
ItemFilter = Literal["synced", "pending", "kept_out", "failed", "deleted"]


class SyncOut(BaseModel):
    """A full sync (read the store, send what changed) or a reconciliation (read Meta's
    catalog, remove orphans, re-send what drifted), with its progress."""

    id: int
    kind: str = Field(description="`full` or `reconcile`.")
    state: str = Field(description="queued, exporting, reading, sending, done or failed.")
    state_words: str
    running: bool
    trigger: str = Field(description="owner, schedule or connect.")
    products: int = Field(description="Products read so far.")
    variants: int = Field(description="Variants read so far.")
    changed: int = Field(description="Items whose content changed, to be sent.")
    kept_out: int = Field(description="Variants that cannot be listed (see their reason).")
    deleted: int = Field(description="Items removed from Meta's catalog.")
    error: str | None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class CountsOut(BaseModel):
    """How many items stand in each state group."""

    synced: int
    pending: int = Field(description="Waiting to be sent, or sent and being checked.")
    kept_out: int
    failed: int
    deleted: int
    total: int


class CatalogOut(BaseModel):
    """The store's catalog: its connection, its items by state and its sync."""

    connected: bool
    catalog_id: str | None
    catalog_name: str | None
    sandbox: bool = Field(description="StoreChat's stand-in catalog: nothing goes to Meta.")
    visible: bool = Field(description="Shown on the WhatsApp number's profile.")
    cart_enabled: bool
    throttled_until: datetime | None = Field(
        description="Meta asked to slow down: sending waits until then (null when not).")
    counts: CountsOut
    sync: SyncOut | None = Field(description="The sync under way, else the last one.")


class ItemOut(BaseModel):
    """One catalog item (a store variant) and where it stands with Meta."""

    id: int
    retailer_id: str = Field(description="The id Meta knows the item by.")
    product_id: str
    variant_id: str
    title: str
    state: str = Field(description="pending, sending, synced, kept_out, failed, deleting "
                       "or deleted.")
    state_words: str
    reason: str | None = Field(description="Why it is kept out, or Meta's reason for "
                               "refusing it.")
    warnings: list[str] = Field(description="Meta's warnings about the item.")
    price: str | None = Field(description='As sent to Meta, e.g. "12.50 USD".')
    sale_price: str | None
    availability: str | None = Field(description="`in stock` or `out of stock`.")
    updated_at: datetime | None
    synced_at: datetime | None


class ItemList(BaseModel):
    """A page of items, newest first."""

    data: list[ItemOut]
    next_cursor: str | None


class ItemQuery(ListQuery):
    """Filters of the item list."""

    state: ItemFilter | None = Field(default=None, description="synced, pending (waiting or "
                                     "being checked), kept_out, failed or deleted.")
    q: str | None = Field(default=None, max_length=views.MAX_SEARCH,
                          description="Words of the title, or an exact retailer, product "
                          "or variant id.")


class SyncIn(Strict):
    """Which sync to start."""

    kind: Literal["full", "reconcile"] = Field(description="`full`: read every product "
                                               "and send what changed; `reconcile`: check "
                                               "Meta's catalog against the store.")


class RetryIn(Strict):
    """Which failed items to send again: `item_ids`, or `all: true`."""

    item_ids: list[int] | None = Field(default=None, min_length=1, max_length=MAX_RETRY_IDS)
    all: bool = False

    @model_validator(mode="after")
    def _one_choice(self) -> RetryIn:
        if (self.item_ids is None) == (not self.all):
            raise ValueError("Give either item_ids or all: true.")
        return self


class Retried(BaseModel):
    """How many failed items were made pending again (others were not failed)."""

    retried: int


def sync_out(sync: CatalogSync) -> SyncOut:
    """The API's view of a sync."""
    return SyncOut(id=sync.id, kind=sync.kind, state=sync.state,
                   state_words=views.SYNC_WORDS.get(sync.state, sync.state),
                   running=views.is_running(sync), trigger=sync.trigger,
                   products=sync.products, variants=sync.variants, changed=sync.changed,
                   kept_out=sync.kept_out, deleted=sync.deleted, error=sync.error,
                   created_at=utc(sync.created_at), started_at=utc(sync.started_at),
                   finished_at=utc(sync.finished_at))


def _item_out(item: views.ItemView) -> ItemOut:
    return ItemOut(id=item.id, retailer_id=item.retailer_id, product_id=item.product_id,
                   variant_id=item.variant_id, title=item.title, state=item.state,
                   state_words=item.state_words, reason=item.reason or None,
                   warnings=list(item.warnings), price=item.price or None,
                   sale_price=item.sale_price or None, availability=item.availability or None,
                   updated_at=utc(item.updated_at), synced_at=utc(item.synced_at))


def _store() -> Store:
    store = db.session().get(Store, access.store_id())
    assert store is not None  # access found it among the caller's stores a moment ago
    return store


@blueprint.get("/catalog")
@spec.validate(query=StoreQuery, resp=documented(CatalogOut), tags=[TAG],
               operation_id="getCatalog")
def get_catalog() -> CatalogOut:
    """The catalog's status

    Its connection, its items counted by state, the sync under way (or the last one) with
    its progress, and until when Meta asked StoreChat to slow down."""
    session, store_id = db.session(), access.store_id()
    catalog = views.connection(session, _store())
    counts = views.counts(session, store_id)
    sync = views.current_sync(session, store_id)
    throttled = catalog.throttled_until
    return CatalogOut(
        connected=catalog.connected,
        catalog_id=catalog.catalog_id,
        catalog_name=catalog.name or None,
        sandbox=catalog.sandbox,
        visible=catalog.visible,
        cart_enabled=catalog.cart_enabled,
        throttled_until=utc(throttled) if throttled and throttled > db.utcnow() else None,
        counts=CountsOut(synced=counts.synced, pending=counts.pending,
                         kept_out=counts.kept_out, failed=counts.failed,
                         deleted=counts.deleted, total=counts.total),
        sync=sync_out(sync) if sync else None)


@blueprint.get("/catalog/items")
@spec.validate(resp=documented(ItemList), tags=[TAG], operation_id="listCatalogItems")
def list_catalog_items(query: ItemQuery) -> ItemList:
    """List or search the catalog's items

    Newest first; `state` keeps one group, `q` searches titles and matches ids exactly."""
    q = (query.q or "").strip()
    problem = views.search_problem(q)
    if problem:
        raise ApiError(ProblemCode.VALIDATION_FAILED, errors=[
            FieldError(field="q", location="query", message=problem)])
    rows, following = views.items(db.session(), access.store_id(),
                                  views.FILTERS.get(query.state or "", ()), q,
                                  after_cursor(query), query.limit)
    return ItemList(data=[_item_out(r) for r in rows],
                    next_cursor=str(following) if following else None)


@blueprint.post("/catalog/syncs")
@spec.validate(query=StoreQuery, resp=documented(SyncOut, status=202, write=True,
                                                 extra={"HTTP_409": Problem}),
               tags=[TAG], operation_id="startCatalogSync")
def start_catalog_sync(json: SyncIn) -> tuple[SyncOut, int]:
    """Start a full sync or a check against Meta

    Answers 202 with the sync, queued; if one of that kind is already under way, that one.
    409 (`catalog_not_connected`) when the store has no catalog yet."""
    session, store = db.session(), _store()
    if not views.connection(session, store).connected:
        raise ApiError(ProblemCode.CATALOG_NOT_CONNECTED)
    sync = request_sync(session, store, SyncKind.FULL if json.kind == "full"
                        else SyncKind.RECONCILE, "owner")
    session.commit()
    return sync_out(sync), 202


@blueprint.get("/catalog/syncs/<int:sync_id>")
@spec.validate(query=StoreQuery, resp=documented(SyncOut), tags=[TAG],
               operation_id="getCatalogSync")
def get_catalog_sync(sync_id: int) -> SyncOut:
    """One sync, with its progress"""
    return sync_out(access.get_or_404(CatalogSync, sync_id))


@blueprint.post("/catalog/items/retry")
@spec.validate(query=StoreQuery, resp=documented(Retried, write=True), tags=[TAG],
               operation_id="retryCatalogItems")
def retry_catalog_items(json: RetryIn) -> Retried:
    """Send failed items again

    The named items (or every failed one, with `all: true`) wait to be sent in the next
    batch. Items that are not failed, or not of this store, are left as they are."""
    session = db.session()
    count = retry_items(session, _store(), None if json.all else json.item_ids)
    session.commit()
    return Retried(retried=count)
