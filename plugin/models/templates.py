"""Message templates synced from the WABA, and the automations that use them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class TemplateSource:
    """Where a template row came from."""

    META = "meta"  # read from the WABA by a sync (written in WhatsApp Manager)
    APP = "app"  # written in StoreChat's template editor
    STARTER = "starter"  # one of StoreChat's starter templates


class Template(Base):
    """A WhatsApp message template as Meta knows it (name + language is its identity).

    A template written in StoreChat keeps the owner's draft (`draft`, the editor's values,
    samples included) and is DRAFT until submitted; then Meta's status (PENDING, APPROVED,
    REJECTED with `reason`, PAUSED, DISABLED) arrives by webhook and by sync."""

    __tablename__ = "templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(20))  # UTILITY | MARKETING | AUTHENTICATION
    status: Mapped[str] = mapped_column(String(20), default="APPROVED")
    components: Mapped[list[Any]] = mapped_column(default=list)
    meta_id: Mapped[str | None] = mapped_column(String(64))  # Meta's template id
    quality: Mapped[str | None] = mapped_column(String(20))  # GREEN | YELLOW | RED | UNKNOWN
    reason: Mapped[str | None] = mapped_column(String(255))  # why Meta rejected or paused it
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(10), default=TemplateSource.META,
                                        server_default=TemplateSource.META)
    parameter_format: Mapped[str | None] = mapped_column(String(12))  # POSITIONAL | NAMED
    draft: Mapped[dict[str, Any] | None] = mapped_column()  # the editor's values, if written here
    submitted_at: Mapped[datetime | None] = mapped_column()  # last sent for Meta's review
    # A media header's sample file (image, video or PDF) and its type, uploaded to Meta at
    # each submission: a rejected template is resubmitted without choosing the file again.
    header_sample: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    header_sample_type: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("store_id", "name", "language"),)


class Automation(Base):
    """One journey of a store: which template a domain event sends, with its variables,
    conditions, delay and switch. Several journeys may share a trigger (order confirmation
    and COD confirmation both follow ORDER_PLACED, told apart by their conditions)."""

    __tablename__ = "automations"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    journey: Mapped[str] = mapped_column(String(60))  # e.g. "order_confirmation"; the outbox step
    trigger: Mapped[str] = mapped_column(String(60))  # a domain EventKind value
    template: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16), default="en")
    variables: Mapped[list[Any]] = mapped_column(default=list)  # order fields, in {{n}} order
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    delay_seconds: Mapped[int] = mapped_column(default=0)
    enabled: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (UniqueConstraint("store_id", "journey"),)
