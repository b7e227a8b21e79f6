"""The sandbox catalog's own tables: what a store with no WhatsApp token "sent to Meta".

They stand in for Meta's side (items held, batch verdicts), so listing and reconciliation
work without Meta; nothing of the sync's own bookkeeping lives here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class SandboxCatalogItem(Base):
    """An item the sandbox catalog holds, as Meta would list it."""

    __tablename__ = "sandbox_catalog_items"
    __table_args__ = (UniqueConstraint("catalog_id", "retailer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_id: Mapped[str] = mapped_column(String(64))
    retailer_id: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SandboxCatalogBatch(Base):
    """A batch the sandbox catalog took: its handle and the problems it found."""

    __tablename__ = "sandbox_catalog_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_id: Mapped[str] = mapped_column(String(64))
    handle: Mapped[str] = mapped_column(String(255), unique=True)
    problems: Mapped[list[Any]] = mapped_column(default=list)  # ItemProblem fields as dicts
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
