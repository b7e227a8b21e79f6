"""Invitation links, for owners and for team members alike: a signed token (itsdangerous, so
a tampered link is refused before any lookup) around a random secret of which only the hash
is stored, and the checks that say why a link no longer works."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Protocol, TypeVar

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from plugin.domain.errors import SignInError
from plugin.infra import db


class InviteRow(Protocol):
    """What every stored invitation has: when it was used and when it expires."""

    used_at: datetime | None
    expires_at: datetime


def secret_hash(secret: str) -> str:
    """The stored form of a link's secret (the secret itself is never stored)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """A fresh random secret for a link."""
    return secrets.token_urlsafe(24)


def signed(salt: str, secret: str) -> str:
    """The token that goes into the link for `secret`, signed for one kind of invitation."""
    return _serializer(salt).dumps(secret)


def hash_of_token(salt: str, token: str) -> str:
    """The stored hash a genuine link's token stands for; SignInError for a tampered one."""
    try:
        secret = _serializer(salt).loads(token)
    except BadSignature:
        raise SignInError("This invitation link is not valid: check that it was copied "
                          "whole, or ask for a new one.") from None
    return secret_hash(secret if isinstance(secret, str) else "")


Row = TypeVar("Row", bound=InviteRow)


def usable(row: Row | None, withdrawn: str, expired: str) -> Row:
    """The invitation's row if it can still be used; SignInError saying why not (`withdrawn`
    when there is no row, `expired` after its time, or already used)."""
    if row is None:
        raise SignInError(withdrawn)
    if row.used_at is not None:
        raise SignInError("This invitation has already been used: sign in instead.")
    if row.expires_at <= db.utcnow():
        raise SignInError(expired)
    return row


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)
