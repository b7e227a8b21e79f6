"""Who may open the admin: owner accounts (sessions, CSRF, throttling, reset, WordPress
links) and Shopify owners (App Bridge ID tokens)."""
from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def check_csrf() -> None:
    """Refuse (400) a cookie-authenticated form that lacks its CSRF token.

    Called by the sign-in pages and by the admin guard once it knows the caller uses a
    session cookie. Webhooks (signed) and Shopify's admin (ID tokens in a header) do not
    ride on cookies, so they cannot be forged cross-site and skip this.
    """
    if request.method in _UNSAFE_METHODS:
        csrf.protect()


def init_app(app: Flask) -> None:
    """Install server-side sessions, CSRF protection, the Shopify verifier and the pages."""
    from plugin.auth import (  # noqa: F401 - owners and joining add routes to the blueprint
        embedded,
        joining,
        owners,
        sessions,
        shopify,
        views,
    )

    app.session_interface = sessions.DatabaseSessionInterface()
    app.config.setdefault("SESSION_COOKIE_NAME", sessions.COOKIE_NAME)
    # Tokens in forms last as long as the session; a stale page just needs a reload.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    shopify.init_app(app)
    embedded.init_app(app)
    app.register_blueprint(views.blueprint)
