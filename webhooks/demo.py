"""POST /webhooks/demo/<store key>: deliveries from the demo store's platform.

Signed like Shopify's: base64 HMAC-SHA256 of the raw body with the store's webhook secret,
in X-StoreChat-Hmac-Sha256. X-StoreChat-Event-Id names the delivery (retries repeat it).
"""
from __future__ import annotations

from flask import Blueprint, abort, request
from flask.typing import ResponseReturnValue

from plugin.pipeline.inbound import body_hash
from plugin.platforms import stores
from webhooks.receive import json_object, raw_body, store_and_answer
from webhooks.signatures import verify_base64_hmac

blueprint = Blueprint("webhooks_demo", __name__)

SIGNATURE_HEADER = "X-StoreChat-Hmac-Sha256"
TOPIC_HEADER = "X-StoreChat-Topic"
EVENT_ID_HEADER = "X-StoreChat-Event-Id"


@blueprint.post("/webhooks/demo/<store_key>")
def receive(store_key: str) -> ResponseReturnValue:
    """Verify, store and acknowledge one demo-platform delivery."""
    body = raw_body()
    store = stores.webhook_target(store_key, "demo")
    if store is None:
        abort(404)
    if not verify_base64_hmac([store.secret("webhook_secret")], body,
                              request.headers.get(SIGNATURE_HEADER)):
        abort(401, description="signature does not match")
    topic = request.headers.get(TOPIC_HEADER, "").strip()
    if not topic:
        abort(400, description=f"{TOPIC_HEADER} is required")
    json_object(body)
    event_id = request.headers.get(EVENT_ID_HEADER, "").strip()
    dedupe_key = f"{store.key}:{event_id}" if event_id else f"{store.key}:{body_hash(body)}"
    return store_and_answer(source="demo", dedupe_key=dedupe_key, topic=topic, body=body,
                            store_id=store.store_id,
                            headers={"topic": topic, "event_id": event_id})
