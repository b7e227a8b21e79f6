"""POST /webhooks/shopify: every Shopify topic, including the compliance topics.

Verified by Shopify's own `shopifyapp` (HMAC of the raw body with the current or the old
app secret); no configured secret means every delivery is refused. Deduped on
X-Shopify-Event-Id (one per event, stable across retries), else X-Shopify-Webhook-Id.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from adapters.json_body import loads
from plugin.auth.shopify import to_response
from plugin.domain.errors import PayloadError
from plugin.infra import db
from plugin.models import Store
from plugin.pipeline.inbound import body_hash
from webhooks.receive import raw_body, store_and_answer
from webhooks.signatures import verify_base64_hmac

blueprint = Blueprint("webhooks_shopify", __name__)

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


@blueprint.post("/webhooks/shopify")
def receive() -> ResponseReturnValue:
    """Verify, store and acknowledge one Shopify webhook delivery."""
    body = raw_body()
    verifier = current_app.extensions.get("storechat.shopify")
    if verifier is None:
        # Fail closed: without the app secret no delivery can be authenticated.
        return Response("Shopify is not configured on this StoreChat.", status=401)
    try:
        text = body.decode("utf-8")
        data = loads(text)
    except (UnicodeDecodeError, PayloadError):
        # shopifyapp parses the body to redact its log before it checks the HMAC, and a
        # deeply nested body makes that parse raise. An unreadable body is refused before
        # it gets there: 401 if it is not Shopify's, 400 if it is.
        if not verify_base64_hmac(_secrets(), body, _hmac_header()):
            abort(401, description="HMAC does not match")
        abort(400, description="the body is not UTF-8 JSON")
    result = verifier.verify_webhook_req({"method": request.method,
                                          "headers": dict(request.headers), "body": text})
    if not result.ok:
        return to_response(result)
    topic = request.headers.get("X-Shopify-Topic", "").strip()
    shop_domain = request.headers.get("X-Shopify-Shop-Domain", "").strip().lower()
    if not topic or not SHOP_DOMAIN.match(shop_domain):
        abort(400, description="X-Shopify-Topic and a valid X-Shopify-Shop-Domain are required")
    if not isinstance(data, dict):
        abort(400, description="the body must be a JSON object")
    delivery = (request.headers.get("X-Shopify-Event-Id")
                or request.headers.get("X-Shopify-Webhook-Id") or body_hash(body)).strip()
    store_id = db.session().scalars(
        select(Store.id).where(Store.platform == "shopify", Store.domain == shop_domain)
    ).first()
    headers = {"topic": topic, "shop": shop_domain,
               "webhook_id": request.headers.get("X-Shopify-Webhook-Id", ""),
               "triggered_at": request.headers.get("X-Shopify-Triggered-At", ""),
               "api_version": request.headers.get("X-Shopify-API-Version", "")}
    return store_and_answer(source="shopify", dedupe_key=f"{shop_domain}:{delivery}",
                            topic=topic, body=body, store_id=store_id, headers=headers)


def _secrets() -> list[bytes]:
    """The app secrets a delivery may be signed with: current, then old during rotation."""
    settings = current_app.config["STORECHAT"]
    return [settings.shopify_api_secret.encode(), (settings.shopify_old_api_secret or "").encode()]


def _hmac_header() -> str | None:
    # The header names shopifyapp accepts.
    return (request.headers.get("X-Shopify-Hmac-Sha256")
            or request.headers.get("Shopify-Hmac-Sha256"))
