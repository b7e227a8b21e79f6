"""Who is asking, and which stores they may see. Every admin query goes through `scoped`.

A principal is a signed-in owner (their stores), a Shopify shop authenticated by its App
Bridge ID token (that one store), or a public API token (the one store it was made for).
Rows of other stores are invisible: looking one up by id answers 404, as if it did not exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, g
from sqlalchemy import Select, select

from plugin.infra import db
from plugin.models import Store

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of an admin page or API."""

    kind: str  # "owner" | "shop" | "token"
    owner_id: int | None = None
    shop_store_id: int | None = None
    label: str = ""  # the owner's email, the shop's domain or the token's name, for display

    @property
    def is_owner(self) -> bool:
        """True for a signed-in owner account."""
        return self.kind == "owner"


def current() -> Principal:
    """The principal of this request; admin views only run once one is established."""
    principal = g.get("principal")
    if principal is None:
        abort(401)
    return principal


def store_ids() -> list[int]:
    """Ids of the stores the current principal may see."""
    if "store_ids" not in g:
        principal = current()
        if principal.kind in ("shop", "token"):
            g.store_ids = [principal.shop_store_id]
        else:
            g.store_ids = list(db.session().scalars(
                select(Store.id).where(Store.owner_id == principal.owner_id)))
    return g.store_ids


def scoped(query: Select[Any], model: Any) -> Select[Any]:
    """The query limited to rows of the principal's stores."""
    column = model.id if model is Store else model.store_id
    return query.where(column.in_(store_ids()))


def get_or_404(model: type[T], row_id: int) -> T:
    """A row of one of the principal's stores by id; 404 for anything else."""
    row = db.session().scalars(scoped(select(model), model).where(model.id == row_id)).first()  # type: ignore[attr-defined]
    if row is None:
        abort(404)
    return row


def owner_id_or_403() -> int:
    """The signed-in owner's id; 403 for a Shopify shop (owner-only pages)."""
    principal = current()
    if not principal.is_owner or principal.owner_id is None:
        abort(403, description="This page is for StoreChat owner accounts.")
    return principal.owner_id
