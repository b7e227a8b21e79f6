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

from plugin.auth.shopify import to_response
from plugin.infra import db
from plugin.models import Store
from plugin.pipeline.inbound import body_hash
from webhooks.receive import json_object, raw_body, store_and_answer

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
    except UnicodeDecodeError:
        abort(400, description="the body is not UTF-8")
    result = verifier.verify_webhook_req({"method": request.method,
                                          "headers": dict(request.headers), "body": text})
    if not result.ok:
        return to_response(result)
    topic = request.headers.get("X-Shopify-Topic", "").strip()
    shop_domain = request.headers.get("X-Shopify-Shop-Domain", "").strip().lower()
    if not topic or not SHOP_DOMAIN.match(shop_domain):
        abort(400, description="X-Shopify-Topic and a valid X-Shopify-Shop-Domain are required")
    json_object(body)
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
