"""Owner accounts: first-run set-up links, sign-in, and password-reset links."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from plugin.auth.passwords import check_password, hash_password
from plugin.domain.errors import SignInError
from plugin.infra import db
from plugin.models import OneTimeToken, Owner, WebSession

# A first-run set-up link stays valid this long; `storechat owners setup-link` makes another.
SETUP_LINK_LIFETIME = timedelta(hours=24)
# A password-reset link works for this long, and only until the password changes.
RESET_LINK_SECONDS = 3600

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    """The email as stored: trimmed and lower-case."""
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """Why an email address is not acceptable, or None."""
    if not _EMAIL.match(email) or len(email) > 255:
        return "Enter an email address such as you@example.com."
    return None


def has_owner(session: Session) -> bool:
    """True once the first owner account exists."""
    return bool(session.scalar(select(func.count()).select_from(Owner)))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_setup_token(session: Session) -> str:
    """A one-time token for creating the first owner (stored hashed)."""
    token = secrets.token_urlsafe(24)
    session.add(OneTimeToken(purpose="setup", token_hash=_hash(token),
                             expires_at=db.utcnow() + SETUP_LINK_LIFETIME))
    return token


def setup_token_valid(session: Session, token: str) -> bool:
    """True if the set-up token exists, is unused and has not expired."""
    return session.scalars(select(OneTimeToken.id).where(
        OneTimeToken.purpose == "setup", OneTimeToken.token_hash == _hash(token),
        OneTimeToken.used_at.is_(None), OneTimeToken.expires_at > db.utcnow(),
    )).first() is not None


def create_first_owner(session: Session, token: str, email: str, password: str) -> Owner:
    """Use a set-up token (once) to create the first owner account."""
    if has_owner(session):
        raise SignInError("StoreChat already has an owner: sign in instead.")
    used = session.execute(update(OneTimeToken).where(
        OneTimeToken.purpose == "setup", OneTimeToken.token_hash == _hash(token),
        OneTimeToken.used_at.is_(None), OneTimeToken.expires_at > db.utcnow(),
    ).values(used_at=db.utcnow())).rowcount
    if used != 1:
        raise SignInError("This set-up link is not valid any more: run `storechat owners "
                           "setup-link` for a new one.")
    owner = Owner(email=normalise_email(email), password_hash=hash_password(password))
    session.add(owner)
    session.flush()
    return owner


def authenticate(session: Session, email: str, password: str) -> Owner | None:
    """The owner with this email and password, or None (same time either way)."""
    owner = session.scalars(select(Owner).where(Owner.email == normalise_email(email))).first()
    if owner is None:
        check_password(_DUMMY_HASH, password)
        return None
    return owner if check_password(owner.password_hash, password) else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="storechat-reset")


def _fingerprint(owner: Owner) -> str:
    # Part of the current hash: a changed password invalidates every earlier link.
    return hashlib.sha256(owner.password_hash.encode()).hexdigest()[:16]


def reset_token(owner: Owner) -> str:
    """A signed reset token for this owner, valid until used or RESET_LINK_SECONDS pass."""
    return _serializer().dumps({"owner": owner.id, "fp": _fingerprint(owner)})


def owner_for_reset(session: Session, token: str) -> Owner:
    """The owner a reset token is for; SignInError if expired, used or forged."""
    try:
        data = _serializer().loads(token, max_age=RESET_LINK_SECONDS)
    except SignatureExpired:
        raise SignInError("This reset link has expired: ask for a new one.") from None
    except BadSignature:
        raise SignInError("This reset link is not valid.") from None
    owner = session.get(Owner, data.get("owner")) if isinstance(data, dict) else None
    if owner is None or data.get("fp") != _fingerprint(owner):
        raise SignInError("This reset link has already been used: ask for a new one.")
    return owner


def set_password(session: Session, owner: Owner, password: str) -> None:
    """Change the password and end every session of this owner."""
    owner.password_hash = hash_password(password)
    session.execute(delete(WebSession).where(WebSession.owner_id == owner.id))
