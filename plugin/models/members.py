"""A store's team: the people who work in it beside its owner, and the invitations out.

The owner is `Store.owner_id` (or the Shopify shop itself); everyone else is a member with a
role (plugin.auth.roles). A member is an ordinary account (`Owner`): one account may own
stores of its own and work in others'.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class StoreMember(Base):
    """One person's role in one store. Deleting the row ends their access at their next
    request: roles are read per request, never kept in the session."""

    __tablename__ = "store_members"
    __table_args__ = (UniqueConstraint("store_id", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"),
                                          index=True)
    role: Mapped[str] = mapped_column(String(16))  # agent | admin
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoreInvite(Base):
    """An invitation to join a store. Only the SHA-256 of the link's secret is kept: the
    link is shown once. It works once (`used_at`), until `expires_at`; resending gives a new
    secret and a new expiry, which kills the old link."""

    __tablename__ = "store_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True)
    email: Mapped[str] = mapped_column(String(255))  # stored lower-case
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Who sent it: the owner's email or the Shopify shop's domain, for the Team page.
    invited_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
