"""Sessions: a database row for a signed-in owner, a signed cookie for everyone else.

An anonymous visitor's session holds only a CSRF token and flashed messages. Storing a row
for it let every cookie-less GET of /signin add a row kept for 14 days, so it lives in a
signed cookie instead (itsdangerous, keyed by the app's secret): nothing is stored until
someone signs in. Flask-WTF's tokens still bind to it, so a form posted without the token
given to this browser is refused.

Signed in, the cookie carries a random token and the data lives in `web_sessions`. Signing in
rotates the token (`rotate`), so a cookie planted before sign-in is worthless after it;
signing out deletes the row, so a copied cookie dies with it. The sweeper deletes rows past
their expiry. One cookie name serves both: a server token never contains a ".", a signed
cookie always does.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin, session_json_serializer
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select
from werkzeug.datastructures import CallbackDict

from plugin.infra import db
from plugin.models import WebSession

COOKIE_NAME = "storechat_session"
# A session ends after this long, signed in or not; owners sign in again after it.
SESSION_LIFETIME = timedelta(days=14)
# Separates visitor cookies from every other thing the app signs with its secret key.
_VISITOR_SALT = "storechat.visitor-session"


def token_hash(token: str) -> str:
    """What the database stores for a cookie token."""
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """Session data from a WebSession row, from a visitor cookie, or new and empty."""

    def __init__(self, initial: dict[str, Any] | None = None, token: str | None = None) -> None:
        def on_update(_self: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token  # the server token; None while anonymous
        self.modified = False
        self.rotate_requested = False

    def rotate(self) -> None:
        """Give this session a new token when it is saved (call on sign-in)."""
        self.rotate_requested = True
        self.modified = True


class DatabaseSessionInterface(SessionInterface):
    """Flask session interface: web_sessions rows once signed in, a signed cookie before."""

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        value = request.cookies.get(COOKIE_NAME)
        if not value:
            return ServerSession()
        if "." in value:
            return ServerSession(_visitor_data(app, value))
        row = db.session().scalars(
            select(WebSession).where(WebSession.token_hash == token_hash(value),
                                     WebSession.expires_at > db.utcnow())
        ).first()
        if row is None:
            return ServerSession()
        return ServerSession(dict(row.data), token=value)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        if session.accessed:
            response.vary.add("Cookie")
        if not session.modified:
            return
        signed_in = session.get("owner_id") is not None
        if session.token and (session.rotate_requested or not signed_in):
            with db.transaction() as tx:  # signed out, or a new token on sign-in
                tx.execute(delete(WebSession).where(
                    WebSession.token_hash == token_hash(session.token)))
            session.token = None
        if not signed_in:
            value = _serializer(app).dumps(dict(session)) if session else None
        elif self._store_row(session):
            value = session.token
        else:
            return
        cookie = dict(domain=self.get_cookie_domain(app), path=self.get_cookie_path(app))
        if value is None:
            response.delete_cookie(COOKIE_NAME, **cookie)  # type: ignore[arg-type]
            return
        response.set_cookie(COOKIE_NAME, value, max_age=SESSION_LIFETIME, httponly=True,
                            secure=self.get_cookie_secure(app),
                            samesite=self.get_cookie_samesite(app),
                            **cookie)  # type: ignore[arg-type]

    @staticmethod
    def _store_row(session: ServerSession) -> bool:
        """Insert or update the signed-in session's row; False if it was deleted meanwhile."""
        with db.transaction() as tx:
            if session.token is None:
                session.token = secrets.token_urlsafe(32)
                tx.add(WebSession(token_hash=token_hash(session.token),
                                  owner_id=session["owner_id"], data=dict(session),
                                  expires_at=db.utcnow() + SESSION_LIFETIME))
                return True
            row = tx.scalars(select(WebSession).where(
                WebSession.token_hash == token_hash(session.token))).first()
            if row is None:  # signed out elsewhere meanwhile: do not resurrect it
                return False
            row.data = dict(session)
            row.owner_id = session["owner_id"]
            return True


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key or "", salt=_VISITOR_SALT,
                                  serializer=session_json_serializer,
                                  signer_kwargs={"digest_method": hashlib.sha256})


def _visitor_data(app: Flask, value: str) -> dict[str, Any]:
    """A visitor cookie's data; empty when forged, tampered with or too old."""
    try:
        data = _serializer(app).loads(value, max_age=int(SESSION_LIFETIME.total_seconds()))
    except BadSignature:  # SignatureExpired is one too
        return {}
    # A visitor cookie never signs anyone in, whatever it holds.
    return {k: v for k, v in data.items() if k != "owner_id"} if isinstance(data, dict) else {}
