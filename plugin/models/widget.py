"""The storefront widget: its settings per store, and click counts (no personal data)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class WidgetSettings(Base):
    """What the owner chose for their click-to-chat widget. `settings` is a JSON document
    validated by widget.settings.clean(); anything missing falls back to safe defaults."""

    __tablename__ = "widget_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), unique=True
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WidgetCounter(Base):
    """How often a widget event happened on one day, page path and product.

    Beacons carry no cookie and no personal data: the page path (no query string), a product
    id or SKU, and the event kind (open, click, optin)."""

    __tablename__ = "widget_counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(255), default="")
    product: Mapped[str] = mapped_column(String(64), default="")
    count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("store_id", "day", "kind", "path", "product"),)
