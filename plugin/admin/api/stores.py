"""GET /api/v1/store (the store a call is about) and /api/v1/stores (every store the caller
may see: a token's one store, or a signed-in owner's stores)."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from spectree import Tag
from sqlalchemy import select

from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import StoreQuery, utc
from plugin.auth import roles, tenancy
from plugin.auth.roles import Role
from plugin.infra import db
from plugin.models import Store

# Agents need to know which stores they work in.
roles.declare_module(__name__, Role.AGENT)
TAG = Tag(name="stores", description="The store a token belongs to.")


class StoreOut(BaseModel):
    """A connected store."""

    id: int
    key: str
    platform: str
    domain: str
    name: str
    status: str
    country: str | None
    currency: str | None
    timezone: str | None
    locale: str | None
    created_at: datetime | None


class StoreList(BaseModel):
    """The stores the caller may see."""

    data: list[StoreOut]


def store_out(store: Store) -> StoreOut:
    """The API's view of a store."""
    return StoreOut(id=store.id, key=store.key, platform=store.platform, domain=store.domain,
                    name=store.name, status=store.status, country=store.country,
                    currency=store.currency, timezone=store.timezone, locale=store.locale,
                    created_at=utc(store.created_at))


@blueprint.get("/store")
@spec.validate(query=StoreQuery, resp=documented(StoreOut), tags=[TAG], operation_id="getStore")
def get_store() -> StoreOut:
    """The store this call is about

    For a token, the store it was made for."""
    store = db.session().get(Store, access.store_id())
    assert store is not None  # access found it among the caller's stores a moment ago
    return store_out(store)


@blueprint.get("/stores")
@spec.validate(resp=documented(StoreList, store=False), tags=[TAG], operation_id="listStores")
def list_stores() -> StoreList:
    """Every store the caller may see

    A token sees its one store; a signed-in owner, each of theirs."""
    rows = db.session().scalars(tenancy.scoped(select(Store), Store).order_by(Store.id))
    return StoreList(data=[store_out(s) for s in rows])
