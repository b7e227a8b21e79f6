"""Admin pages inside Shopify's admin keep the shop's context from page to page.

Shopify's admin frames our pages and vouches for the shop with a short-lived App Bridge ID
token; no cookie of ours can be relied on in that third-party iframe. So, while a shop is
the principal:
- every URL built for a protected admin page carries `embedded=1&shop=<domain>`, so a link
  or a redirect followed inside the iframe passes through Shopify's bounce page, which
  reloads it with a fresh `id_token`;
- `static/embedded.js` (loaded right after App Bridge by base.html) puts a fresh ID token on
  each POST form's action and on each same-origin fetch, as a form cannot set headers;
- flashed notices ride on the redirect as a signed `notice` parameter instead of the session.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, current_app, g, get_flashed_messages, request
from itsdangerous import BadSignature, URLSafeSerializer

from plugin.auth.guard import PROTECTED
from plugin.infra.responses import APP_BRIDGE_SOURCE

APP_BRIDGE_URL = f"{APP_BRIDGE_SOURCE}app-bridge.js"
_NOTICE_SALT = "storechat.embedded-notice"


def is_embedded() -> bool:
    """True while a Shopify shop (not an owner account) is this request's principal."""
    principal = g.get("principal")
    return principal is not None and principal.kind == "shop"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_NOTICE_SALT)


def notices() -> list[tuple[str, str]]:
    """The (category, text) notices a redirect carried here, if their signature holds."""
    raw = request.args.get("notice")
    if not raw or not is_embedded():
        return []
    try:
        return [(str(c), str(t)) for c, t in _serializer().loads(raw)]
    except (BadSignature, TypeError, ValueError):
        return []


def _keep_context(endpoint: str, values: dict[str, Any]) -> None:
    if not is_embedded() or endpoint.rpartition(".")[0] not in PROTECTED:
        return
    values.setdefault("embedded", 1)
    values.setdefault("shop", g.principal.label)


def _carry_notices(response: Response) -> Response:
    """On a same-site redirect, move flashed messages into a signed `notice` parameter."""
    if not is_embedded() or not 300 <= response.status_code < 400:
        return response
    location = response.headers.get("Location", "")
    target = urlsplit(location)
    if target.netloc and target.netloc != request.host:
        return response
    flashed = get_flashed_messages(with_categories=True)
    if flashed:
        separator = "&" if target.query else "?"
        notice = _serializer().dumps([list(item) for item in flashed])
        response.headers["Location"] = f"{location}{separator}{urlencode({'notice': notice})}"
    return response


def init_app(app: Flask) -> None:
    """Keep the embedded context in generated URLs, redirects and templates."""
    app.url_defaults(_keep_context)
    app.after_request(_carry_notices)

    @app.context_processor
    def embedded_context() -> dict[str, Any]:
        embedded = is_embedded()
        settings = app.config["STORECHAT"]
        return {"embedded": embedded, "embedded_notices": notices,
                "shopify_api_key": settings.shopify_api_key if embedded else "",
                "app_bridge_url": APP_BRIDGE_URL}
