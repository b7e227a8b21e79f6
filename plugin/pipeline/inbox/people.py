"""Who may answer a store's conversations: the one place the inbox asks.

A store's people are its owner and its team members (agents and admins, plugin.models
StoreMember): this function is what assignment offers and checks.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plugin.models import Owner, Store, StoreMember


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a conversation can be assigned to."""

    id: int
    label: str


def assignable_people(session: Session, store: Store) -> list[Person]:
    """The people a conversation of `store` may be assigned to: its owner, then its team
    members, oldest first."""
    members = select(StoreMember.owner_id).where(StoreMember.store_id == store.id)
    rows = session.execute(
        select(Owner.id, Owner.email).outerjoin(
            StoreMember, (StoreMember.owner_id == Owner.id) & (StoreMember.store_id == store.id))
        .where(or_(Owner.id == store.owner_id, Owner.id.in_(members)))
        .order_by((Owner.id == store.owner_id).desc(), StoreMember.created_at, Owner.id))
    return [Person(id=row.id, label=row.email) for row in rows]


def may_be_assigned(session: Session, store: Store, person_id: int) -> bool:
    """Whether `person_id` is one of the store's assignable people."""
    return any(p.id == person_id for p in assignable_people(session, store))
