"""Keyword rules for tests: saved as the editor saves them, in order."""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from plugin.infra import db
from plugin.models import KeywordRule


def add_rule(app: Flask, store_id: int, words: list[str], *, match: str = "any",
             **columns: Any) -> int:
    """Append a rule to the store's list (after its last one); the rule's id."""
    with app.app_context(), db.transaction() as session:
        last = session.scalar(select(func.max(KeywordRule.position)).where(
            KeywordRule.store_id == store_id))
        row = KeywordRule(store_id=store_id, position=(last or 0) + 1, match=match,
                          words=words, reply=columns.pop("reply", ""),
                          buttons=columns.pop("buttons", []), tags=columns.pop("tags", []),
                          **columns)
        session.add(row)
        session.flush()
        return row.id
