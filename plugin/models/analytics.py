"""Analytics rollups: daily message figures per store, flow and figure, kept as events
arrive so that the dashboard reads a few hundred rows, never the message table."""
from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base


class MessageRollup(Base):
    """How many messages of one flow, written on one day (the store's calendar), reached one
    figure (plugin.domain.message_flows.Figure), with its detail ("" or a code or reason)."""

    __tablename__ = "message_rollups"
    __table_args__ = (UniqueConstraint("store_id", "day", "flow", "figure", "detail",
                                       name="uq_message_rollups_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    day: Mapped[date]
    flow: Mapped[str] = mapped_column(String(80))
    figure: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(String(255), default="")
    n: Mapped[int] = mapped_column(default=0)
