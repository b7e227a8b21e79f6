"""Campaigns: a template sent to a segment's reachable customers (plugin.domain.campaigns
holds the rules), the discount codes made for them, and the clicks on their links.

A campaign's messages are ordinary outbox rows (cause "campaign:<id>"), written held and
released in slices by the runner (plugin.pipeline.campaigns.runner)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class Campaign(Base):
    """One campaign of a store. Times are naive UTC; the pages show them in the store's
    zone. `run_until` is the runner's lease: a run that stops (a dead worker, a lost job)
    lets it lapse, and the sweeper queues the run again."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(120))
    template: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))
    # [{"source": "field"|"text"|"discount", "value": …, "fallback": …}], one per variable.
    variables: Mapped[list[Any]] = mapped_column(default=list)
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("segments.id", ondelete="SET NULL"))
    # The segment's definition when the campaign started: a later edit does not move it.
    definition: Mapped[dict[str, Any] | None]
    # {"mode": "none"|"shared"|"unique", "percent": int, "hours": int}
    discount: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Where the link of a URL button leads (the store's front page when empty).
    link_url: Mapped[str] = mapped_column(String(2000), default="")
    # A template with an image, video or document header: the file it shows, by link or by
    # the media id of an upload to the store's number ({"kind", "link"} or {"kind", "id",
    # "filename"}); None for templates without one.
    header_media: Mapped[dict[str, Any] | None]
    state: Mapped[str] = mapped_column(String(16), default="draft")
    reason: Mapped[str | None] = mapped_column(String(255))
    scheduled_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    attribution_days: Mapped[int] = mapped_column(default=5)
    # The share of recipients, in percent, held out (never messaged) to measure the lift.
    holdout_percent: Mapped[int] = mapped_column(default=0, server_default="0")
    # Recipients written so far (materialisation resumes after `written_through`, a
    # customer id) and in all once written.
    written_through: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    run_until: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_campaigns_state_run_until", "state", "run_until"),)


class CampaignCode(Base):
    """A discount code of a campaign: the shared one (no customer) or one recipient's.
    `created_at` is set once the store has it, so a retry makes only the missing ones."""

    __tablename__ = "campaign_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("campaign_id", "code"),
                      Index("ix_campaign_codes_campaign_id_created_at", "campaign_id",
                            "created_at"))


class CampaignClick(Base):
    """The first click on one campaign message's link."""

    __tablename__ = "campaign_clicks"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"),
                                            primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    clicked_at: Mapped[datetime] = mapped_column(default=utcnow)
