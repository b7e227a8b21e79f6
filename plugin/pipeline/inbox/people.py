"""Who may answer a store's conversations: the one place the inbox asks.

Today a store has one person, its owner. Team members (agents and admins, issue 18 item 2)
join here: this function is what assignment offers and checks.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.models import Owner, Store


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a conversation can be assigned to."""

    id: int
    label: str


def assignable_people(session: Session, store: Store) -> list[Person]:
    """The people a conversation of `store` may be assigned to (its owner, for now)."""
    if store.owner_id is None:
        return []
    rows = session.execute(select(Owner.id, Owner.email).where(Owner.id == store.owner_id))
    return [Person(id=row.id, label=row.email) for row in rows]


def may_be_assigned(session: Session, store: Store, person_id: int) -> bool:
    """Whether `person_id` is one of the store's assignable people."""
    return any(p.id == person_id for p in assignable_people(session, store))
