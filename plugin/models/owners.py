"""Owner accounts, their server-side sessions, and single-use tokens (set-up links, nonces)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from plugin.infra.db import utcnow
from plugin.models.base import Base


class Owner(Base):
    """A person who signs in to StoreChat and owns stores (Shopify owners use App Home)."""

    __tablename__ = "owners"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    # Who invited this owner (plugin.auth.invites); None for the first owner, open sign-ups
    # and invitations printed on the command line. Inviting shares no store. A plain id,
    # not a foreign key: SQLite can only add one by rebuilding `owners`, and dropping the
    # old table would fire the ON DELETE actions of every session and store. Readers
    # treat an id with no owner as None.
    invited_by_id: Mapped[int | None]


class WebSession(Base):
    """A browser session kept on the server; the cookie holds only a random token whose
    SHA-256 is stored here, so a database leak does not hand out live sessions."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owners.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class OneTimeToken(Base):
    """A token that works once: a first-run set-up link, an owner invitation, or a sign-in
    link's nonce."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))  # setup | owner_invite | wp_signin | …
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # What the token stands for, when it is not self-describing (a WC-Auth user_id).
    data: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
