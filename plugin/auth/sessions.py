"""Server-side sessions: the cookie carries a random token, the data lives in the database.

Signing in rotates the token (`rotate`), so a token planted before sign-in is worthless
after it; signing out deletes the row, so a copied cookie dies with it.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, select
from werkzeug.datastructures import CallbackDict

from plugin.infra import db
from plugin.models import WebSession

COOKIE_NAME = "storechat_session"
# A session ends after this long, signed in or not; owners sign in again after it.
SESSION_LIFETIME = timedelta(days=14)


def token_hash(token: str) -> str:
    """What the database stores for a cookie token."""
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """Session data loaded from a WebSession row (or a new, empty session)."""

    def __init__(self, initial: dict[str, Any] | None = None, token: str | None = None) -> None:
        def on_update(_self: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.modified = False
        self.rotate_requested = False

    def rotate(self) -> None:
        """Give this session a new token when it is saved (call on sign-in)."""
        self.rotate_requested = True
        self.modified = True


class DatabaseSessionInterface(SessionInterface):
    """Flask session interface over the web_sessions table."""

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(COOKIE_NAME)
        if not token:
            return ServerSession()
        row = db.session().scalars(
            select(WebSession).where(WebSession.token_hash == token_hash(token),
                                     WebSession.expires_at > db.utcnow())
        ).first()
        if row is None:
            return ServerSession()
        return ServerSession(dict(row.data), token=token)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        cookie = dict(domain=self.get_cookie_domain(app), path=self.get_cookie_path(app),
                      secure=self.get_cookie_secure(app), httponly=True,
                      samesite=self.get_cookie_samesite(app))
        if session.accessed:
            response.vary.add("Cookie")
        if not session.modified:
            return
        with db.transaction() as tx:
            if session.token and (session.rotate_requested or not session):
                tx.execute(delete(WebSession).where(WebSession.token_hash == token_hash(session.token)))
            if not session:
                response.delete_cookie(COOKIE_NAME, **{k: v for k, v in cookie.items()
                                                       if k in ("domain", "path")})
                return
            owner_id = session.get("owner_id")
            expires = db.utcnow() + SESSION_LIFETIME
            if session.token is None or session.rotate_requested:
                session.token = secrets.token_urlsafe(32)
                tx.add(WebSession(token_hash=token_hash(session.token), owner_id=owner_id,
                                  data=dict(session), expires_at=expires))
            else:
                row = tx.scalars(select(WebSession).where(
                    WebSession.token_hash == token_hash(session.token))).first()
                if row is None:  # signed out elsewhere meanwhile: do not resurrect it
                    return
                row.data = dict(session)
                row.owner_id = owner_id
        response.set_cookie(COOKIE_NAME, session.token, max_age=SESSION_LIFETIME,
                            **cookie)  # type: ignore[arg-type]
