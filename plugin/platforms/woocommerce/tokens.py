"""The one-time token passed to WC-Auth as `user_id`.

It is a random number of 18 digits: WooCommerce hands `user_id` back as a string or, on
some installs, as an integer, and a number survives both. Its hash and what it stands for
(the owner and the store URL) are a one_time_tokens row, which makes it work once.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.infra import db
from plugin.models import OneTimeToken

# The owner must approve in WordPress within this long (WC-Auth may first ask them to log in).
TOKEN_MAX_AGE_SECONDS = 60 * 60
# 18 digits: about 60 bits of chance, and below PHP's largest integer.
TOKEN_DIGITS = 18
PURPOSE = "wc_connect"


@dataclass(frozen=True, slots=True)
class PendingConnection:
    """Who started a connection, to which store."""

    owner_id: int
    store_url: str


def _hash(token: str) -> str:
    return hashlib.sha256(f"{PURPOSE}:{token}".encode()).hexdigest()


def issue(session: Session, owner_id: int, store_url: str) -> str:
    """A fresh numeric token for this owner and store; valid once, for an hour."""
    token = str(10 ** (TOKEN_DIGITS - 1) + secrets.randbelow(9 * 10 ** (TOKEN_DIGITS - 1)))
    session.add(OneTimeToken(purpose=PURPOSE, token_hash=_hash(token),
                             data={"owner": owner_id, "url": store_url},
                             expires_at=db.utcnow() + timedelta(seconds=TOKEN_MAX_AGE_SECONDS)))
    return token


def _pending(row: OneTimeToken | None) -> PendingConnection | None:
    if row is None or not isinstance(row.data, dict):
        return None
    try:
        return PendingConnection(int(row.data["owner"]), str(row.data["url"]))
    except (KeyError, TypeError, ValueError):
        return None


def peek(session: Session, token: str) -> PendingConnection | None:
    """What an unexpired token stands for (used or not), or None."""
    row = session.scalars(select(OneTimeToken).where(
        OneTimeToken.purpose == PURPOSE, OneTimeToken.token_hash == _hash(token.strip()),
        OneTimeToken.expires_at > db.utcnow())).first()
    return _pending(row)


def redeem(session: Session, token: str) -> PendingConnection | None:
    """The pending connection, marking its token used; None if unknown, expired or used."""
    now = db.utcnow()
    token_hash = _hash(token.strip())
    used = session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.token_hash == token_hash, OneTimeToken.purpose == PURPOSE,
               OneTimeToken.used_at.is_(None), OneTimeToken.expires_at > now)
        .values(used_at=now))
    if used.rowcount != 1:
        return None
    return _pending(session.scalars(
        select(OneTimeToken).where(OneTimeToken.token_hash == token_hash)).first())
