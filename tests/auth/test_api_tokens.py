"""API tokens: shown once, kept only as a hash, refused once revoked, bounded per store."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text

from plugin.auth import api_tokens
from plugin.auth.api_tokens import Scope, TokenRefused
from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import ApiToken


def _store(app: Flask) -> int:
    with app.app_context(), db.transaction() as session:
        return demo_store.get_or_create(session).id


def test_a_token_is_stored_only_as_its_hash(app: Flask) -> None:
    store_id = _store(app)
    with app.app_context():
        with db.transaction() as session:
            row, token = api_tokens.issue(session, store_id, "  Warehouse   sync ", Scope.READ,
                                          "owner@example.com")
        assert token.startswith("sc_live_") and len(token) > 60
        stored = db.session().execute(text("SELECT * FROM api_tokens")).mappings().one()
        assert token not in " ".join(str(v) for v in stored.values())
        assert stored["secret_hash"] == hashlib.sha256(token.encode()).hexdigest()
        assert stored["name"] == "Warehouse sync" and stored["scope"] == "read"
        assert api_tokens.display(row) == token[:len("sc_live_") + 12] + "_…"
        assert api_tokens.verify(db.session(), token).token.id == row.id


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character of the secret
    lambda t: t.replace("sc_live_", "sc_test_"),
    lambda t: t[:20],
    lambda t: "",
    lambda t: "sc_live_" + "0" * 12 + t[20:],  # another lookup, same secret
])
def test_anything_but_the_exact_token_is_invalid(app: Flask, mangle) -> None:  # type: ignore[no-untyped-def]
    store_id = _store(app)
    with app.app_context():
        with db.transaction() as session:
            _row, token = api_tokens.issue(session, store_id, "t", Scope.WRITE, "x")
        verified = api_tokens.verify(db.session(), mangle(token))
        assert verified.token is None and verified.refusal == "invalid"


def test_a_revoked_token_is_told_apart_only_with_its_whole_secret(app: Flask) -> None:
    store_id = _store(app)
    with app.app_context():
        with db.transaction() as session:
            row, token = api_tokens.issue(session, store_id, "t", Scope.WRITE, "x")
            assert api_tokens.revoke(session, row) is True
            assert api_tokens.revoke(session, row) is False
        assert api_tokens.verify(db.session(), token).refusal == "revoked"
        assert api_tokens.verify(db.session(), token[:-2] + "zz").refusal == "invalid"


def test_use_is_noted_at_most_once_a_minute(app: Flask) -> None:
    store_id = _store(app)
    with app.app_context():
        with db.transaction() as session:
            row, _token = api_tokens.issue(session, store_id, "t", Scope.READ, "x")
        session = db.session()
        token = session.get(ApiToken, row.id)
        api_tokens.note_use(session, token)
        first = session.scalars(select(ApiToken.last_used_at)).one()
        assert first is not None
        token.last_used_at = first
        api_tokens.note_use(session, token)
        assert session.scalars(select(ApiToken.last_used_at)).one() == first
        token.last_used_at = first - api_tokens.LAST_USED_RESOLUTION - timedelta(seconds=1)
        api_tokens.note_use(session, token)
        assert session.scalars(select(ApiToken.last_used_at)).one() > first


def test_a_token_needs_a_name_and_a_store_has_a_bounded_number(app: Flask) -> None:
    store_id = _store(app)
    with app.app_context():
        with pytest.raises(TokenRefused, match="name"), db.transaction() as session:
            api_tokens.issue(session, store_id, "   ", Scope.READ, "x")
        with db.transaction() as session:
            rows = [api_tokens.issue(session, store_id, f"t{i}", Scope.READ, "x")[0]
                    for i in range(api_tokens.MAX_ACTIVE_PER_STORE)]
        with pytest.raises(TokenRefused, match="revoke"), db.transaction() as session:
            api_tokens.issue(session, store_id, "one more", Scope.READ, "x")
        with db.transaction() as session:
            api_tokens.revoke(session, session.get(ApiToken, rows[0].id))
        with db.transaction() as session:
            api_tokens.issue(session, store_id, "one more", Scope.READ, "x")
