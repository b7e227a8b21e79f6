"""The one-time token passed to WC-Auth as `user_id`: it names the owner and the store URL
(signed, so nothing else needs storing), and a one_time_tokens row makes it work once."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from plugin import db
from plugin.models import OneTimeToken

# The owner must approve in WordPress within this long (WC-Auth may first ask them to log in).
TOKEN_MAX_AGE_SECONDS = 60 * 60
_SALT = "storechat.woocommerce.connect"


@dataclass(frozen=True, slots=True)
class PendingConnection:
    """Who started a connection, to which store."""

    owner_id: int
    store_url: str
    nonce: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _hash(nonce: str) -> str:
    return hashlib.sha256(f"wc_connect:{nonce}".encode()).hexdigest()


def issue(session: Session, owner_id: int, store_url: str) -> str:
    """A fresh token for this owner and store; valid once, for TOKEN_MAX_AGE_SECONDS."""
    nonce = secrets.token_urlsafe(18)
    session.add(OneTimeToken(purpose="wc_connect", token_hash=_hash(nonce),
                             expires_at=db.utcnow() + timedelta(seconds=TOKEN_MAX_AGE_SECONDS)))
    return _serializer().dumps({"o": owner_id, "u": store_url, "n": nonce})


def peek(token: str) -> PendingConnection | None:
    """What a token says, if it is ours and not too old (used or not)."""
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return PendingConnection(int(data["o"]), str(data["u"]), str(data["n"]))
    except (KeyError, TypeError, ValueError):
        return None


def redeem(session: Session, token: str) -> PendingConnection | None:
    """The pending connection, marking its token used; None if forged, expired or used."""
    pending = peek(token)
    if pending is None:
        return None
    now = db.utcnow()
    used = session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.token_hash == _hash(pending.nonce),
               OneTimeToken.purpose == "wc_connect",
               OneTimeToken.used_at.is_(None), OneTimeToken.expires_at > now)
        .values(used_at=now))
    return pending if used.rowcount == 1 else None
