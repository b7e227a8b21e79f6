"""Exports made for privacy requests (Shopify's customers/data_request), for the owner."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class DataExport(Base):
    """Everything StoreChat held on one customer when the platform asked for it."""

    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str] = mapped_column(String(64), default="")
    customer_platform_id: Mapped[str] = mapped_column(String(64), default="")
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
