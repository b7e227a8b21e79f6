"""Operational state shared by every process: worker heartbeats and rate-limit counters."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base


class Heartbeat(Base):
    """When a process last showed it was alive: a worker beats on its own, a web process
    when /healthz probes a write. One row per process name, updated in place."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # "worker host:pid"
    kind: Mapped[str] = mapped_column(String(16), index=True)  # worker | web
    seen_at: Mapped[datetime]


class RateLimitCounter(Base):
    """One fixed-window counter of the limiter on the embedded default (see infra.ratelimit).

    `expires_at` is in epoch seconds, as the `limits` package reports window resets."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[float] = mapped_column(Float, index=True)
