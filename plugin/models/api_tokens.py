"""Tokens for the public API: one store each, read or read-write, stored as a hash."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class ApiToken(Base):
    """A store's API token. Only the SHA-256 of the token is kept: it is shown once, when
    made. `lookup` is the token's public middle part, which finds the row without the
    secret; a revoked token keeps its row so the owner can see what it was and when."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(80))
    scope: Mapped[str] = mapped_column(String(8))  # read | write
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    # Who made it: the owner's email or the Shopify shop's domain.
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
