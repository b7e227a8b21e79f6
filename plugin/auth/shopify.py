"""Shopify owners: every admin request carries an App Bridge ID token, verified by
Shopify's own `shopifyapp` package. Its failure responses (the bounce page redirect, or
401 with X-Shopify-Retry-Invalid-Session-Request) are returned exactly as it builds them.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, request
from shopify_app import ShopifyApp
from sqlalchemy import select

from plugin.auth.tenancy import Principal
from plugin.infra import db
from plugin.models import Store

log = logging.getLogger(__name__)

# Where shopifyapp sends a document request that arrived without an ID token.
PATCH_ID_TOKEN_PATH = "/shopify/patch-id-token"


def init_app(app: Flask) -> None:
    """Create the app's ShopifyApp verifier when the Shopify app credentials are set."""
    settings = app.config["STORECHAT"]
    if settings.shopify_api_key and settings.shopify_api_secret:
        app.extensions["storechat.shopify"] = ShopifyApp(
            client_id=settings.shopify_api_key,
            client_secret=settings.shopify_api_secret,
            old_client_secret=settings.shopify_old_api_secret or None,
        )


def is_embedded_request() -> bool:
    """True when the request speaks for a Shopify admin session (header or query token)."""
    authorization = request.headers.get("Authorization", "")
    return (authorization.lower().startswith("bearer ") or "id_token" in request.args
            or request.args.get("embedded") == "1")


def request_input() -> dict[str, Any]:
    """The request as shopifyapp's ID-token checks want it: method, all headers, full URL.

    The body is left out: those checks read the token from the headers and the URL, and use
    the body only to redact it for their log, parsing it first, so a body nested too deep
    to parse would crash the check (RecursionError) before it looked at the token.
    """
    return {
        "method": request.method,
        "headers": dict(request.headers),
        "url": request.url,
        "body": "",
    }


def to_response(result: Any) -> Response:
    """shopifyapp's response, verbatim (status, body and headers)."""
    log.info("shopify: %s - %s", result.log.code, result.log.detail)
    return Response(result.response.body, status=result.response.status,
                    headers=result.response.headers)


def authenticate() -> Principal | Response:
    """The shop's principal for a verified ID token, or the response to send instead."""
    app_verifier: ShopifyApp | None = current_app.extensions.get("storechat.shopify")
    if app_verifier is None:
        # Not configured as a Shopify app: no token can be valid. Fail closed.
        return Response("Shopify is not configured on this StoreChat.", status=401)
    result = app_verifier.verify_app_home_req(request_input(), PATCH_ID_TOKEN_PATH)
    if not result.ok:
        return to_response(result)
    domain = f"{result.shop}.myshopify.com"
    store = db.session().scalars(
        select(Store).where(Store.platform == "shopify", Store.domain == domain)).first()
    if store is None:
        return Response("This shop has not installed StoreChat.", status=403)
    return Principal(kind="shop", shop_store_id=store.id, label=domain)


def patch_id_token_page() -> Response:
    """The bounce page that fetches a fresh ID token and reloads the app."""
    app_verifier: ShopifyApp | None = current_app.extensions.get("storechat.shopify")
    if app_verifier is None:
        return Response("Shopify is not configured on this StoreChat.", status=404)
    return to_response(app_verifier.app_home_patch_id_token(request_input()))
