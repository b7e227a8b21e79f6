"""Who is asking, and which stores they may see. Every admin query goes through `scoped`.

A principal is a signed-in account (the stores it owns, and those whose team it is in), a
Shopify shop authenticated by its App Bridge ID token (that one store), or a public API token
(the one store it was made for). Rows of other stores are invisible: looking one up by id
answers 404, as if it did not exist. The principal's role in each store
(plugin.auth.roles) is read from the database on every request, so a member removed from a
team loses the store at their next request.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, g
from sqlalchemy import Select, select

from plugin.auth.roles import Role
from plugin.infra import db
from plugin.models import Store, StoreMember

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


def roles() -> dict[int, Role]:
    """The current principal's role in each store it may see, by store id."""
    if "store_roles" not in g:
        principal = current()
        if principal.kind in ("shop", "token"):
            # The shop is its store's owner; a token acts for the owner who made it.
            found = {principal.shop_store_id: Role.OWNER}
        else:
            session = db.session()
            found = {store_id: Role(Role.member_role(role) or Role.AGENT)
                     for store_id, role in session.execute(
                         select(StoreMember.store_id, StoreMember.role)
                         .where(StoreMember.owner_id == principal.owner_id))}
            found.update((store_id, Role.OWNER) for store_id in session.scalars(
                select(Store.id).where(Store.owner_id == principal.owner_id)))
        g.store_roles = dict(sorted(found.items()))
    return g.store_roles  # type: ignore[no-any-return]


def store_ids() -> list[int]:
    """Ids of the stores the current principal may see."""
    return list(roles())


def role_in(store_id: int) -> Role | None:
    """The principal's role in this store; None when it is not one of theirs."""
    return roles().get(store_id)


def top_role() -> Role:
    """The highest role the principal holds anywhere: what pages outside any one store (the
    home page, connecting a store) are judged by. An account with no store at all is an
    owner-to-be: it may connect its first store or try the demo."""
    return max(roles().values(), default=Role.OWNER)


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
