"""How the app answers errors and which headers every response carries."""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

# The database is down or overloaded: tell senders to retry instead of failing for good.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeoutError)
RETRY_AFTER_SECONDS = "5"

# Browsers that once reached StoreChat over https refuse plain http to it for a year,
# subdomains included (a first request over http could otherwise be downgraded).
HSTS = "max-age=31536000; includeSubDomains"

ADMIN_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)


# App Bridge's folder on Shopify's CDN: embedded pages load it as their first script.
APP_BRIDGE_SOURCE = "https://cdn.shopify.com/shopifycloud/"


def admin_csp(style_nonce: str | None = None) -> str:
    """The admin's Content-Security-Policy for this request: framed and allowed App Bridge
    only inside a shop's admin; a style nonce for pages that style a Shadow DOM."""
    policy = ADMIN_CSP.format(ancestors=frame_ancestors())
    principal = g.get("principal")
    if principal is not None and principal.kind == "shop":
        policy = policy.replace("script-src 'self'", f"script-src 'self' {APP_BRIDGE_SOURCE}")
    if style_nonce:
        policy = policy.replace("style-src 'self';", f"style-src 'self' 'nonce-{style_nonce}';")
    return policy


def frame_ancestors() -> str:
    """Only the shop's own admin may frame an embedded page; nobody frames the rest."""
    principal = g.get("principal")
    if principal is not None and principal.kind == "shop":
        return f"https://{principal.label} https://admin.shopify.com"
    return "'none'"


# What an error page says in the owner's words: its heading, and what to do next. Other
# statuses show the HTTP name.
ERROR_PAGES = {
    400: ("This request could not be read", "Go back, check what was entered and try again."),
    403: ("This page is not open to you",
          "Sign in with an account that may open it, or ask the store's owner for a role "
          "that does."),
    404: ("Page not found", "It may have been moved or removed, or belong to another account."),
    405: ("This page cannot be opened like that", "Open it from a link in StoreChat."),
    413: ("That was too large to accept", "Send less at once and try again."),
    500: ("Something went wrong on our side",
          "It has been logged. Try again; if it keeps happening, tell whoever runs StoreChat."),
    503: ("StoreChat is not answering right now", "Wait a few seconds and try again."),
}


# Renders an error for a part of the site that answers in its own format (the public API's
# problem+json): (status, title, detail, extra headers) -> the response.
ErrorRenderer = Callable[[int, str, str, list[tuple[str, str]]], Response]
_RENDERERS = "storechat.error_renderers"


def error_renderer(app: Flask, prefix: str, render: ErrorRenderer) -> None:
    """Answer every error under the path `prefix` with `render` instead of JSON or HTML."""
    app.extensions.setdefault(_RENDERERS, {})[prefix] = render


def _renderer() -> ErrorRenderer | None:
    for prefix, render in current_app.extensions.get(_RENDERERS, {}).items():
        if request.path.startswith(prefix) or request.path == prefix.rstrip("/"):
            return render
    return None


def _wants_json() -> bool:
    return request.path.startswith(("/webhooks/", "/healthz")) or request.is_json or (
        request.accept_mimetypes.best == "application/json"
    )


def _error_response(status: int, title: str, detail: str,
                    headers: list[tuple[str, str]] | None = None) -> tuple[Response | str, int]:
    """JSON for API and machine callers, else the styled error page with a way back."""
    render = _renderer()
    if render is not None:
        return render(status, title, detail, headers or []), status
    if _wants_json():
        return jsonify(error=title, detail=detail), status
    heading, advice = ERROR_PAGES.get(status, (title, ""))
    return render_template("error.html", status=status, title=title, heading=heading,
                           detail=detail, advice=advice), status


def init_app(app: Flask) -> None:
    """Register error handlers and security headers."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        # Keep what the error says in headers (Allow on a 405), not its content type.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        body, status = _error_response(error.code or 500, error.name, error.description or "",
                                       headers)
        return body, status, headers

    def database_down(error: Exception):  # type: ignore[no-untyped-def]
        log.error("database unavailable: %s", error.__class__.__name__)
        body, status = _error_response(503, "Service Unavailable",
                                       "The database is not answering; please retry.",
                                       [("Retry-After", RETRY_AFTER_SECONDS)])
        return body, status, {"Retry-After": RETRY_AFTER_SECONDS}

    for exception in DATABASE_DOWN:
        app.register_error_handler(exception, database_down)

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):  # type: ignore[no-untyped-def]
        log.error("unhandled error on %s %s", request.method, request.path,
                  exc_info=error.original_exception)
        return _error_response(500, "Internal Server Error",
                               "Something went wrong on our side; it has been logged.")

    # HSTS only where the public URL is https: browsers ignore it over plain http, and a
    # local http run has no certificate to pin its users to.
    hsts = app.config["STORECHAT"].public_url.startswith("https://")

    @app.after_request
    def security_headers(response: Response) -> Response:
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", admin_csp())
        return response
