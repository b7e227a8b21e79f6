"""Small SQL helpers that behave the same on SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model: type, values: dict[str, Any],
                  conflict: Sequence[str]) -> int | None:
    """INSERT … ON CONFLICT (conflict) DO NOTHING; the new row's id, or None if it existed."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(model.id)  # type: ignore[attr-defined]
    )
    return session.execute(statement).scalar_one_or_none()
