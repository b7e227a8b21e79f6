"""Owner invitations and open sign-up: the ways a second owner account comes to exist.

An invitation is a signed link (itsdangerous, so a tampered link is refused before any
lookup) around a random secret whose hash is a `one_time_tokens` row: it works once, until
it expires or its inviter withdraws it. Accepting it creates a new, separate owner account:
each owner has their own stores (plugin.auth.tenancy), so an invited owner starts with none
and never sees the inviter's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plugin.auth import invite_links
from plugin.auth.accounts import email_problem, normalise_email
from plugin.auth.passwords import hash_password
from plugin.domain.errors import SignInError
from plugin.infra import db
from plugin.models import OneTimeToken, Owner

PURPOSE = "owner_invite"
# Long enough to reach someone over a weekend, short enough that a forgotten link dies.
INVITE_LIFETIME = timedelta(days=3)
_SALT = "storechat-owner-invite"


@dataclass(frozen=True, slots=True)
class PendingInvite:
    """An invitation not used yet, as its inviter sees it."""

    id: int
    email: str
    created_at: datetime
    expires_at: datetime
    expired: bool


def email_taken(session: Session, email: str) -> bool:
    """True when an owner account already uses this (normalised) email."""
    return session.scalars(select(Owner.id).where(Owner.email == email)).first() is not None


def create(session: Session, email: str, invited_by: int | None) -> tuple[str, str]:
    """Invite `email`: (the normalised email, the signed token for its link).
    SignInError when the email is not acceptable or already has an account."""
    email = normalise_email(email)
    problem = email_problem(email)
    if problem:
        raise SignInError(problem)
    if email_taken(session, email):
        raise SignInError(f"{email} already has an owner account: they can sign in.")
    secret = invite_links.new_secret()
    session.add(OneTimeToken(purpose=PURPOSE, token_hash=invite_links.secret_hash(secret),
                             data={"email": email, "invited_by": invited_by},
                             expires_at=db.utcnow() + INVITE_LIFETIME))
    return email, invite_links.signed(_SALT, secret)


def _row(session: Session, token: str) -> OneTimeToken:
    """The invitation's row if the link is genuine and still usable; SignInError saying why
    not otherwise."""
    token_hash = invite_links.hash_of_token(_SALT, token)
    row = session.scalars(select(OneTimeToken).where(
        OneTimeToken.purpose == PURPOSE, OneTimeToken.token_hash == token_hash)).first()
    return invite_links.usable(
        row,
        withdrawn="This invitation was withdrawn: ask the owner who sent it for a new one.",
        expired="This invitation has expired: ask the owner who sent it for a new one.")


def invited_email(session: Session, token: str) -> str:
    """The email a usable invitation is for; SignInError otherwise."""
    return str((_row(session, token).data or {}).get("email", ""))


def accept(session: Session, token: str, password: str) -> Owner:
    """Use the invitation (once, even when two tabs submit together) to create the owner
    account, with no store; SignInError when it cannot be used."""
    row = _row(session, token)
    data = row.data or {}
    spent = session.execute(update(OneTimeToken).where(
        OneTimeToken.id == row.id, OneTimeToken.used_at.is_(None),
    ).values(used_at=db.utcnow())).rowcount
    if spent != 1:
        raise SignInError("This invitation has already been used: sign in instead.")
    email = str(data.get("email", ""))
    if email_taken(session, email):
        raise SignInError(f"{email} already has an owner account: sign in instead.")
    inviter = data.get("invited_by")
    owner = Owner(email=email, password_hash=hash_password(password),
                  invited_by_id=inviter if isinstance(inviter, int)
                  and session.get(Owner, inviter) is not None else None)
    _add_owner(session, owner, f"{email} already has an owner account: sign in instead.")
    return owner


def sign_up(session: Session, email: str, password: str) -> Owner:
    """Open sign-up: a new owner account with no store; SignInError for an unacceptable or
    taken email (the caller has checked the password and the rate limit)."""
    email = normalise_email(email)
    problem = email_problem(email)
    if problem:
        raise SignInError(problem)
    if email_taken(session, email):
        raise SignInError("That email already has an account: sign in, or reset its password.")
    owner = Owner(email=email, password_hash=hash_password(password))
    _add_owner(session, owner, "That email already has an account: sign in, or reset its "
                               "password.")
    return owner


def _add_owner(session: Session, owner: Owner, taken: str) -> None:
    """Insert the owner; SignInError(`taken`) when the same email was committed meanwhile
    (a sign-up and an invitation, or two invitations, for one email at once): the unique
    email refuses the second, which was an IntegrityError and a 500."""
    session.add(owner)
    try:
        session.flush()
    except IntegrityError:
        raise SignInError(taken) from None


def _sent_by(owner_id: int) -> ColumnElement[bool]:
    return OneTimeToken.data["invited_by"].as_integer() == owner_id


def pending(session: Session, owner_id: int) -> list[PendingInvite]:
    """The invitations this owner sent that nobody has used yet, newest first."""
    now = db.utcnow()
    rows = session.scalars(select(OneTimeToken).where(
        OneTimeToken.purpose == PURPOSE, OneTimeToken.used_at.is_(None), _sent_by(owner_id),
    ).order_by(OneTimeToken.created_at.desc(), OneTimeToken.id.desc()))
    return [PendingInvite(id=r.id, email=str((r.data or {}).get("email", "")),
                          created_at=r.created_at, expires_at=r.expires_at,
                          expired=r.expires_at <= now) for r in rows]


def invited(session: Session, owner_id: int) -> list[Owner]:
    """The owner accounts created from this owner's invitations, oldest first."""
    return list(session.scalars(select(Owner).where(Owner.invited_by_id == owner_id)
                                .order_by(Owner.created_at, Owner.id)))


def revoke(session: Session, owner_id: int, invite_id: int) -> bool:
    """Withdraw one of this owner's unused invitations; False when there is no such one
    (another owner's invitation counts as none)."""
    return session.execute(delete(OneTimeToken).where(
        OneTimeToken.id == invite_id, OneTimeToken.purpose == PURPOSE,
        OneTimeToken.used_at.is_(None), _sent_by(owner_id),
    )).rowcount == 1
