"""API tokens: made for one store by its owner, shown once, kept as a hash, revocable.

A token reads `sc_live_<lookup>_<secret>`: the prefix says what it is (secret scanners and
people recognise it), `lookup` (12 hex characters) finds its row without the secret, and
`secret` carries 256 random bits. The database keeps the SHA-256 of the whole token and
compares it in constant time. A fast hash is enough: unlike a password, a 256-bit random
secret cannot be guessed from its hash, and a slow hash would cost every API call.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from plugin.domain.errors import RequestRefused
from plugin.infra.db import utcnow
from plugin.models import ApiToken

PREFIX = "sc_live_"
# Hex characters of the lookup part: 48 bits, so two tokens practically never collide.
LOOKUP_HEX = 12
# Random bytes of the secret part (256 bits).
SECRET_BYTES = 32
# A store may hold this many tokens that are not revoked: enough for every integration,
# few enough that the list stays readable and a leaked session cannot mint thousands.
MAX_ACTIVE_PER_STORE = 25
NAME_MAX = 80
# last_used_at is written at most this often per token: an exact time would cost a write
# on every call, and the owner only needs to know whether a token is still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Scope(str, enum.Enum):
    """What a token may do: read only, or also change things."""

    READ = "read"
    WRITE = "write"


class TokenRefused(RequestRefused):
    """A token could not be made (no name, too many tokens); the message is for the owner."""


@dataclass(frozen=True, slots=True)
class Verified:
    """The outcome of checking a presented token: its row, or why it was refused."""

    token: ApiToken | None
    refusal: str = ""  # "" | "invalid" | "revoked"


def hash_token(token: str) -> str:
    """What the database keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(value: str) -> bool:
    """True when `value` has our token prefix (and so is not, say, a Shopify ID token)."""
    return value.startswith(PREFIX)


def issue(session: Session, store_id: int, name: str, scope: Scope,
          created_by: str) -> tuple[ApiToken, str]:
    """Make a token for the store; returns its row and the token, which is never stored.
    Raises TokenRefused for an empty name or when the store has too many tokens."""
    name = " ".join(name.split())[:NAME_MAX]
    if not name:
        raise TokenRefused("Give the token a name, so you know later what uses it.")
    active = session.scalar(select(func.count(ApiToken.id)).where(
        ApiToken.store_id == store_id, ApiToken.revoked_at.is_(None))) or 0
    if active >= MAX_ACTIVE_PER_STORE:
        raise TokenRefused(f"A store can have {MAX_ACTIVE_PER_STORE} tokens at most: "
                           "revoke one you no longer use first.")
    lookup = secrets.token_hex(LOOKUP_HEX // 2)
    token = f"{PREFIX}{lookup}_{secrets.token_urlsafe(SECRET_BYTES)}"
    row = ApiToken(store_id=store_id, name=name, scope=scope.value, lookup=lookup,
                   secret_hash=hash_token(token), created_by=created_by[:255])
    session.add(row)
    session.flush()
    return row, token


def verify(session: Session, presented: str) -> Verified:
    """The token's row if `presented` is a live token; else why not (invalid or revoked).
    A revoked token is only told apart once its whole secret matched."""
    lookup = _lookup(presented)
    row = session.scalars(select(ApiToken).where(ApiToken.lookup == lookup)).first() \
        if lookup else None
    if row is None or not hmac.compare_digest(row.secret_hash, hash_token(presented)):
        return Verified(None, "invalid")
    if row.revoked_at is not None:
        return Verified(None, "revoked")
    return Verified(row)


def note_use(session: Session, token: ApiToken) -> None:
    """Record that the token was used now, at most once per LAST_USED_RESOLUTION."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    session.commit()


def revoke(session: Session, token: ApiToken) -> bool:
    """Revoke the token from now on; False when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True


def display(token: ApiToken) -> str:
    """How the owner recognises a token without its secret: `sc_live_<lookup>_…`."""
    return f"{PREFIX}{token.lookup}_…"


def _lookup(presented: str) -> str | None:
    if not presented.startswith(PREFIX):
        return None
    rest = presented[len(PREFIX):]
    lookup, separator, secret = rest.partition("_")
    if len(lookup) != LOOKUP_HEX or not separator or not secret:
        return None
    return lookup
