"""How StoreChat reaches a shop's Admin API: one pooled httpx client, and the URL seam.

`shopifyapp` builds its URLs as https://<shop>.myshopify.com/… and offers no base-URL
setting, only an injectable `http_client`. So the client we inject carries a transport that
rewrites those URLs to STORECHAT_SHOPIFY_ADMIN_URL (e.g. http://127.0.0.1:9101/{shop}) when
that is set; with the default (https://{shop}) nothing is rewritten.
"""
from __future__ import annotations

import re

import httpx
from flask import current_app

DEFAULT_ADMIN_URL = "https://{shop}"
# Shopify answers token and GraphQL calls in well under a second; these bound a hung call.
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 15.0
# One pool serves every shop of the process.
MAX_CONNECTIONS = 50

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


def is_shop_domain(value: str) -> bool:
    """True for a well-formed <name>.myshopify.com domain (DESIGN §7)."""
    return bool(SHOP_DOMAIN.fullmatch(value))


def admin_base(admin_url: str, shop_domain: str) -> str:
    """The base URL of a shop's admin: https://<shop> normally, the fake's URL in tests."""
    return admin_url.format(shop=shop_domain).rstrip("/")


class AdminUrlTransport(httpx.BaseTransport):
    """Sends requests for https://<shop>.myshopify.com/… to `admin_url` instead."""

    def __init__(self, admin_url: str, inner: httpx.BaseTransport | None = None) -> None:
        self._admin_url = admin_url
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Rewrite a shop URL onto the configured base, then send."""
        host = request.url.host
        if request.url.scheme == "https" and is_shop_domain(host):
            base = httpx.URL(admin_base(self._admin_url, host))
            url = base.copy_with(path=base.path.rstrip("/") + request.url.path,
                                 query=request.url.query or None)
            headers = httpx.Headers(request.headers)
            headers["Host"] = url.netloc.decode("ascii")
            request = httpx.Request(request.method, url, headers=headers,
                                    stream=request.stream, extensions=request.extensions)
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the wrapped transport's connections."""
        self._inner.close()


def make_http(admin_url: str) -> httpx.Client:
    """A pooled client with timeouts that reaches shops at `admin_url`."""
    transport = None if admin_url == DEFAULT_ADMIN_URL else AdminUrlTransport(admin_url)
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(READ_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS),
    )


def http() -> httpx.Client:
    """The current app's shared Shopify client (created on first use)."""
    extensions = current_app.extensions
    if "storechat.shopify_http" not in extensions:
        extensions["storechat.shopify_http"] = make_http(
            current_app.config["STORECHAT"].shopify_admin_url)
    return extensions["storechat.shopify_http"]
