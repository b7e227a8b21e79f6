"""Each store's keyword rules, in the owner's order (plugin.domain.keyword_rules reads them)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plugin.domain.keyword_rules import Match, Rule
from plugin.infra.db import utcnow
from plugin.models.base import Base


class KeywordRule(Base):
    """One rule; `position` orders a store's rules (the first that matches acts)."""

    __tablename__ = "keyword_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    enabled: Mapped[bool] = mapped_column(default=True)
    match: Mapped[str] = mapped_column(String(10), default=Match.ANY.value)
    words: Mapped[list[Any]] = mapped_column(default=list)  # for "regex": [pattern]
    reply: Mapped[str] = mapped_column(Text, default="")
    buttons: Mapped[list[Any]] = mapped_column(default=list)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    # A person removed from the store leaves the rule without an assignee.
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("owners.id", ondelete="SET NULL"), nullable=True, index=True)
    hand_over: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_keyword_rules_store_id_position", "store_id", "position"),)

    def rule(self) -> Rule:
        """The row as the domain reads it."""
        return Rule(id=self.id, enabled=self.enabled, match=Match(self.match),
                    words=tuple(str(w) for w in self.words or ()), reply=self.reply or "",
                    buttons=tuple(str(b) for b in self.buttons or ()),
                    tags=tuple(str(t) for t in self.tags or ()),
                    assignee_id=self.assignee_id, hand_over=self.hand_over)
