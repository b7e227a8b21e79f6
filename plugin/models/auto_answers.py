"""Each store's greeting and away messages, as its owner set them
(plugin.domain.auto_answers reads them as AnswerRules)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from plugin.domain.auto_answers import AnswerRules
from plugin.infra.db import utcnow
from plugin.models.base import Base


class AnswerSettings(Base):
    """One row per store, made on the owner's first save; no row means both are off."""

    __tablename__ = "answer_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          unique=True)
    greeting_enabled: Mapped[bool] = mapped_column(default=False)
    greeting_after_days: Mapped[int] = mapped_column(default=14)
    # {"en": "Hi {name}! …", "es": …}: a language with an empty text is not offered.
    greetings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    away_enabled: Mapped[bool] = mapped_column(default=False)
    aways: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def rules(self) -> AnswerRules:
        """The settings as the domain reads them."""
        return AnswerRules(
            greeting_enabled=self.greeting_enabled,
            greeting_after_days=self.greeting_after_days,
            greetings={k: str(v) for k, v in (self.greetings or {}).items()},
            away_enabled=self.away_enabled,
            aways={k: str(v) for k, v in (self.aways or {}).items()})
