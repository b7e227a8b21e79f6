"""Team members for tests: accounts with a role in a store, and invitation links."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from plugin.auth import members
from plugin.infra import db
from plugin.models import Owner, Store, StoreInvite, StoreMember
from tests.conftest import create_owner


def add_member(app: Flask, store_id: int, email: str, role: str = "agent") -> int:
    """Put the account with `email` (made if missing, with the tests' password) in the
    store's team as `role`; returns the account's id."""
    with app.app_context():
        account_id = db.session().scalars(select(Owner.id).where(Owner.email == email)).first()
    if account_id is None:
        account_id = create_owner(app, email)
    with app.app_context(), db.transaction() as session:
        session.add(StoreMember(store_id=store_id, owner_id=account_id, role=role))
    return account_id


def member_id(app: Flask, store_id: int, email: str) -> int | None:
    """The id of the membership row of `email` in the store, or None."""
    with app.app_context():
        return db.session().scalars(
            select(StoreMember.id).join(Owner, Owner.id == StoreMember.owner_id)
            .where(StoreMember.store_id == store_id, Owner.email == email)).first()


def invite_token(app: Flask, store_id: int, email: str, role: str = "agent") -> str:
    """An invitation into the store, made as the Team page makes it; the token of its link
    (open it at /join/<token>)."""
    with app.test_request_context(), db.transaction() as session:
        store = session.get(Store, store_id)
        assert store is not None
        _, token = members.invite(session, store, email, role, "tests")
        return token


def expire_invites(app: Flask, store_id: int) -> None:
    """Make every invitation of the store a minute past its expiry."""
    with app.app_context(), db.transaction() as session:
        session.execute(update(StoreInvite).where(StoreInvite.store_id == store_id)
                        .values(expires_at=db.utcnow() - timedelta(minutes=1)))


def add_store(app: Flask, owner_id: int | None, name: str) -> int:
    """A WooCommerce store of `owner_id` called `name`; returns its id."""
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain=f"https://{name.lower()}.example",
                      name=name, country="PT", owner_id=owner_id)
        session.add(store)
        session.flush()
        return store.id
