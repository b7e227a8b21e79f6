"""A store's team: inviting people by a signed link, joining, changing roles, removing.

An invitation is a signed link (itsdangerous, so a tampered link is refused before any
lookup) around a random secret whose hash is a `store_invites` row: it works once, until it
expires or is withdrawn. Resending gives it a new secret and a new expiry, so only the
newest link works. Joining needs the invited email: a person who already has an account
joins with it (signed in); anyone else chooses a password and gets an account that starts
with this one store. Roles are read per request (plugin.auth.tenancy), so a change or a
removal takes effect at the member's next request.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plugin.auth import invite_links
from plugin.auth.accounts import email_problem, normalise_email
from plugin.auth.passwords import hash_password
from plugin.auth.roles import Role
from plugin.domain.errors import SignInError
from plugin.infra import db
from plugin.models import Owner, Store, StoreInvite, StoreMember

# Long enough to reach someone over a weekend, short enough that a forgotten link dies.
INVITE_LIFETIME = timedelta(days=3)
# A store's team stays small enough to read on one page (and an owner's mistake stays
# small): more pending invitations than this are refused.
MAX_PENDING = 50
_SALT = "storechat-store-invite"


@dataclass(frozen=True, slots=True)
class Member:
    """A person in a store's team, as the Team page lists them."""

    id: int
    email: str
    role: Role
    since: datetime


@dataclass(frozen=True, slots=True)
class Invitation:
    """A usable invitation, as the join page needs it."""

    id: int
    store_id: int
    store_name: str
    email: str
    role: Role


def _new_secret(row: StoreInvite) -> str:
    """Give the invitation a fresh secret and expiry; the signed token for its link."""
    secret = invite_links.new_secret()
    row.token_hash = invite_links.secret_hash(secret)
    row.created_at = db.utcnow()
    row.expires_at = row.created_at + INVITE_LIFETIME
    return invite_links.signed(_SALT, secret)


def members(session: Session, store_id: int) -> list[Member]:
    """The store's members (its owner aside), oldest first."""
    rows = session.execute(
        select(StoreMember, Owner.email).join(Owner, Owner.id == StoreMember.owner_id)
        .where(StoreMember.store_id == store_id)
        .order_by(StoreMember.created_at, StoreMember.id))
    return [Member(id=m.id, email=email, role=Role.member_role(m.role) or Role.AGENT,
                   since=m.created_at) for m, email in rows]


def pending(session: Session, store_id: int) -> list[StoreInvite]:
    """The store's invitations nobody has used yet (expired ones too), newest first."""
    return list(session.scalars(
        select(StoreInvite).where(StoreInvite.store_id == store_id,
                                  StoreInvite.used_at.is_(None))
        .order_by(StoreInvite.created_at.desc(), StoreInvite.id.desc())))


def _problem_with(session: Session, store: Store, email: str) -> str | None:
    """Why `email` cannot be invited to `store`, or None."""
    problem = email_problem(email)
    if problem:
        return problem
    account = session.scalars(select(Owner).where(Owner.email == email)).first()
    if account is not None and account.id == store.owner_id:
        return f"{email} owns this store already."
    if account is not None and session.scalars(select(StoreMember.id).where(
            StoreMember.store_id == store.id, StoreMember.owner_id == account.id)).first():
        return f"{email} is in the team already: change their role below instead."
    open_ones = pending(session, store.id)
    if any(row.email == email and row.expires_at > db.utcnow() for row in open_ones):
        return f"{email} has a pending invitation already: resend it instead."
    if len(open_ones) >= MAX_PENDING:
        return (f"This store has {MAX_PENDING} pending invitations: withdraw some "
                "before sending more.")
    return None


def invite(session: Session, store: Store, email: str, role: str,
           invited_by: str) -> tuple[StoreInvite, str]:
    """Invite `email` into `store` as `role`: (the invitation, the signed token for its
    link). SignInError saying why when the email or role is not acceptable."""
    email = normalise_email(email)
    wanted = Role.member_role(role)
    if wanted is None:
        raise SignInError("Choose a role: agent or admin.")
    problem = _problem_with(session, store, email)
    if problem:
        raise SignInError(problem)
    row = StoreInvite(store_id=store.id, email=email, role=wanted.name.lower(),
                      invited_by=invited_by[:255])
    token = _new_secret(row)
    session.add(row)
    session.flush()
    return row, token


def resend(session: Session, store_id: int, invite_id: int) -> tuple[StoreInvite, str] | None:
    """A new link (and a new expiry) for one of the store's unused invitations; the old
    link stops working. None when there is no such invitation."""
    row = session.scalars(select(StoreInvite).where(
        StoreInvite.id == invite_id, StoreInvite.store_id == store_id,
        StoreInvite.used_at.is_(None))).first()
    if row is None:
        return None
    return row, _new_secret(row)


def withdraw(session: Session, store_id: int, invite_id: int) -> bool:
    """Delete one of the store's unused invitations; False when there is no such one."""
    return session.execute(delete(StoreInvite).where(
        StoreInvite.id == invite_id, StoreInvite.store_id == store_id,
        StoreInvite.used_at.is_(None))).rowcount == 1


def change_role(session: Session, store_id: int, member_id: int, role: str) -> Member | None:
    """Give a member of the store another role; None when there is no such member.
    SignInError for a role members cannot have."""
    wanted = Role.member_role(role)
    if wanted is None:
        raise SignInError("Choose a role: agent or admin.")
    row = session.scalars(select(StoreMember).where(
        StoreMember.id == member_id, StoreMember.store_id == store_id)).first()
    if row is None:
        return None
    row.role = wanted.name.lower()
    email = session.get(Owner, row.owner_id)
    return Member(id=row.id, email=email.email if email else "", role=wanted,
                  since=row.created_at)


def remove(session: Session, store_id: int, member_id: int) -> str | None:
    """Take a member out of the store's team (their account stays); their email, or None
    when there is no such member."""
    row = session.scalars(select(StoreMember).where(
        StoreMember.id == member_id, StoreMember.store_id == store_id)).first()
    if row is None:
        return None
    account = session.get(Owner, row.owner_id)
    session.delete(row)
    return account.email if account else ""


def _row(session: Session, token: str) -> StoreInvite:
    """The invitation's row if the link is genuine and still usable; SignInError saying why
    not otherwise."""
    token_hash = invite_links.hash_of_token(_SALT, token)
    row = session.scalars(select(StoreInvite).where(StoreInvite.token_hash == token_hash)).first()
    return invite_links.usable(
        row,
        withdrawn="This invitation was withdrawn or sent again with a new link: ask the "
                  "store's owner for the newest one.",
        expired="This invitation has expired: ask the store's owner to send it again.")


def invitation(session: Session, token: str) -> Invitation:
    """What a usable invitation is for; SignInError saying why when it is not usable."""
    row = _row(session, token)
    store = session.get(Store, row.store_id)
    return Invitation(id=row.id, store_id=row.store_id,
                      store_name=(store.name or store.domain) if store else "",
                      email=row.email, role=Role.member_role(row.role) or Role.AGENT)


def account_for(session: Session, email: str) -> Owner | None:
    """The account that signs in with `email`, if there is one."""
    return session.scalars(select(Owner).where(Owner.email == normalise_email(email))).first()


def join(session: Session, token: str, account: Owner) -> Invitation:
    """Use the invitation (once, even when two tabs submit together) to put `account` in the
    store's team; SignInError when it cannot be used or is for another email."""
    found = invitation(session, token)
    if account.email != found.email:
        raise SignInError(f"This invitation is for {found.email}, and you are signed in as "
                          f"{account.email}: sign out, then open the link again.")
    spent = session.execute(update(StoreInvite).where(
        StoreInvite.id == found.id, StoreInvite.used_at.is_(None),
    ).values(used_at=db.utcnow())).rowcount
    if spent != 1:
        raise SignInError("This invitation has already been used: sign in instead.")
    store = session.get(Store, found.store_id)
    if store is not None and store.owner_id == account.id:
        return found  # the owner opened their own link: they keep owning it
    existing = session.scalars(select(StoreMember).where(
        StoreMember.store_id == found.store_id, StoreMember.owner_id == account.id)).first()
    if existing is not None:
        existing.role = found.role.name.lower()
        return found
    session.add(StoreMember(store_id=found.store_id, owner_id=account.id,
                            role=found.role.name.lower()))
    session.flush()
    return found


def join_new(session: Session, token: str, password: str) -> tuple[Owner, Invitation]:
    """Create the invited email's account with `password` and join with it; SignInError
    when the invitation cannot be used or the email has an account (sign in instead)."""
    found = invitation(session, token)
    if account_for(session, found.email) is not None:
        raise SignInError(f"{found.email} already has an account: sign in to join.")
    account = Owner(email=found.email, password_hash=hash_password(password))
    session.add(account)
    try:
        session.flush()
    except IntegrityError:  # the same email signed up meanwhile
        raise SignInError(f"{found.email} already has an account: sign in to join.") from None
    return account, join(session, token, account)
