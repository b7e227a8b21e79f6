"""Conversation analytics kept as events arrive: daily figures of replies, resolutions and
survey scores, the words shoppers wrote per day and language, each conversation's reply
clock, and what Meta last said about the store's number."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class ConversationRollup(Base):
    """One daily figure of a store's conversations (plugin.domain.conversation_figures
    names them): a count, or a sum of business seconds, under a detail ("", "any", "team",
    "automatic", a score)."""

    __tablename__ = "conversation_rollups"
    __table_args__ = (UniqueConstraint("store_id", "day", "figure", "detail",
                                       name="uq_conversation_rollups_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    day: Mapped[date]
    figure: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(String(24), default="")
    # Seconds summed over a busy day's replies outgrow 32 bits only in theory; BIGINT is free.
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class KeywordRollup(Base):
    """How many of the messages shoppers wrote on one day, in one language, used a word or
    a two-word phrase (stop words left out)."""

    __tablename__ = "keyword_rollups"
    __table_args__ = (
        UniqueConstraint("store_id", "day", "language", "term", name="uq_keyword_rollups_key"),
        # The trends read a period's terms grouped by language and term: in this index's
        # order, with n in it, neither a sort nor a table lookup (about half the time).
        Index("ix_keyword_rollups_trends", "store_id", "language", "term", "day", "n"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    day: Mapped[date]
    language: Mapped[str] = mapped_column(String(8))
    term: Mapped[str] = mapped_column(String(80))
    n: Mapped[int] = mapped_column(default=0)


class ReplyClock(Base):
    """Where a customer's conversation stands for reply times: since when a message waits
    for any reply and for a person's, and whether the current conversation (from its first
    message after a resolution) has had its first reply of each kind."""

    __tablename__ = "reply_clocks"
    __table_args__ = (UniqueConstraint("store_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # False once resolved: the shopper's next message starts a new conversation.
    open: Mapped[bool] = mapped_column(default=True)
    waiting_since: Mapped[datetime | None]
    team_waiting_since: Mapped[datetime | None]
    first_pending: Mapped[bool] = mapped_column(default=True)
    team_first_pending: Mapped[bool] = mapped_column(default=True)


class NumberHealth(Base):
    """What Meta last reported about one of the store's numbers (phone_number_quality_update)
    or its WhatsApp Business Account (account_update)."""

    __tablename__ = "number_health"
    __table_args__ = (UniqueConstraint("store_id", "waba_id", "display_phone_number"),
                      Index("ix_number_health_store_id", "store_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    waba_id: Mapped[str] = mapped_column(String(64))
    # "" for the account's own row (account_update names no number).
    display_phone_number: Mapped[str] = mapped_column(String(32), default="")
    # None until Meta flags or unflags the number.
    flagged: Mapped[bool | None]
    quality_event: Mapped[str] = mapped_column(String(40), default="")
    messaging_limit: Mapped[str] = mapped_column(String(40), default="")
    business_limit: Mapped[str] = mapped_column(String(40), default="")
    account_event: Mapped[str] = mapped_column(String(60), default="")
    account_detail: Mapped[str] = mapped_column(String(255), default="")
    # When Meta says the latest event happened (its entry time); older events do not undo it.
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
