"""Each store's shop assistant, as its owner set it: whether it answers, which intents, and
whether a confirmed cancellation cancels the order or asks the owner."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class AssistantSettings(Base):
    """One row per store, made on the owner's first save; no row means the assistant is off."""

    __tablename__ = "assistant_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          unique=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    # The intents it answers, by value ("wismo", "cancel", "browse", "human").
    intents: Mapped[list[Any]] = mapped_column(default=list)
    # "cancel": a confirmed cancellation cancels the order at the store; "request": it is
    # noted on the conversation and handed to the team.
    on_cancel: Mapped[str] = mapped_column(String(16), default="request")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
