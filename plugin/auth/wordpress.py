"""Sign-in links from the WordPress companion plugin: signed, five minutes, once.

The plugin builds `/auth/wordpress?store=KEY&ts=UNIX&nonce=N&signature=HEX`, where the
signature is the hex HMAC-SHA256 of "KEY\\nTS\\nNONCE" under the store's connection secret.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy.orm import Session

from plugin.domain.errors import SignInError
from plugin.infra import db
from plugin.infra.sql import insert_ignore
from plugin.models import OneTimeToken, Store
from plugin.platforms.stores import credentials

LINK_LIFETIME_SECONDS = 300
# Clocks of WordPress hosts drift; accept links stamped slightly in the future.
CLOCK_SKEW_SECONDS = 30


class LinkError(SignInError):
    """The link is expired, reused, forged or for an unknown store."""


def sign(secret: str, store_key: str, ts: int, nonce: str) -> str:
    """The signature the companion plugin puts on a sign-in link."""
    message = f"{store_key}\n{ts}\n{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(session: Session, store: Store | None, ts: str, nonce: str, signature: str,
           now_ts: int) -> Store:
    """The store a valid link signs in to; LinkError otherwise. Uses up the nonce."""
    secret = str(credentials(store).get("connection_secret", "")) if store else ""
    if store is None or not secret or not nonce or len(nonce) > 128:
        raise LinkError("This sign-in link is not valid.")
    try:
        stamp = int(ts)
    except ValueError:
        raise LinkError("This sign-in link is not valid.") from None
    expected = sign(secret, store.key, stamp, nonce)
    if not hmac.compare_digest(expected, signature.lower()):
        raise LinkError("This sign-in link is not valid.")
    if not (now_ts - LINK_LIFETIME_SECONDS <= stamp <= now_ts + CLOCK_SKEW_SECONDS):
        raise LinkError("This sign-in link has expired: open StoreChat from WordPress again.")
    token_hash = hashlib.sha256(f"{store.key}\n{nonce}".encode()).hexdigest()
    fresh = insert_ignore(session, OneTimeToken, {
        "purpose": "wp_signin", "token_hash": token_hash, "created_at": db.utcnow(),
        "expires_at": db.utcnow() + timedelta(seconds=LINK_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS),
        "used_at": db.utcnow(),
    }, ("token_hash",))
    if fresh is None:
        raise LinkError("This sign-in link was already used: open StoreChat from WordPress again.")
    if store.owner_id is None:
        raise LinkError("This store is not linked to a StoreChat owner yet.")
    return store
