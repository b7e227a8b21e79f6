"""POST /webhooks/woocommerce/<store key>: WooCommerce webhooks and the companion plugin.

WooCommerce signs each webhook with that webhook's own secret (base64 HMAC-SHA256 of the
raw body, `\\/` escaping and all) and names it in X-WC-Webhook-ID. It never retries and
disables a webhook after repeated failures, so this receiver answers 2xx for anything it
could authenticate, whatever the payload means: only bad signatures and unreadable
bodies are refused. The companion WordPress plugin's cart events are signed with the
store's connection secret instead (X-StoreChat-Hmac-Sha256, like the demo platform).
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue

from plugin.pipeline.inbound import body_hash
from plugin.platforms import stores
from webhooks.receive import json_object, raw_body, store_and_answer
from webhooks.signatures import verify_base64_hmac

blueprint = Blueprint("webhooks_woocommerce", __name__)

# WooCommerce's "ping" when a webhook is created: a form body, not JSON.
PING = re.compile(rb"^webhook_id=\d+$")
# Topics the companion plugin sends (signed with the connection secret).
PLUGIN_TOPICS = frozenset({"cart.updated", "checkout.updated"})


@blueprint.post("/webhooks/woocommerce/<store_key>")
def receive(store_key: str) -> ResponseReturnValue:
    """Verify, store and acknowledge one WooCommerce or companion-plugin delivery."""
    body = raw_body()
    store = stores.webhook_target(store_key, "woocommerce")
    if store is None:
        abort(404)
    if PING.match(body.strip()):
        return Response(status=200)  # the webhook exists and we answered: that is all
    plugin_topic = request.headers.get("X-StoreChat-Topic", "").strip()
    if plugin_topic:
        return _plugin_event(store, plugin_topic, body)
    webhook_id = request.headers.get("X-WC-Webhook-ID", "").strip()
    signature = request.headers.get("X-WC-Webhook-Signature")
    if not verify_base64_hmac([_webhook_secret(store, webhook_id)], body, signature):
        # A webhook created seconds ago may not be in this process's cache yet: look once
        # more in the database before refusing.
        store = stores.webhook_target(store_key, "woocommerce", fresh=True) or store
        if not verify_base64_hmac([_webhook_secret(store, webhook_id)], body, signature):
            abort(401, description="signature does not match this webhook's secret")
    topic = request.headers.get("X-WC-Webhook-Topic", "").strip()
    data = json_object(body)
    resource = request.headers.get("X-WC-Webhook-Resource", "").strip() or topic.split(".")[0]
    headers = {"topic": topic, "webhook_id": webhook_id,
               "delivery_id": request.headers.get("X-WC-Webhook-Delivery-ID", ""),
               "source": request.headers.get("X-WC-Webhook-Source", "")}
    return store_and_answer(source="woocommerce", dedupe_key=_dedupe_key(store.key, resource,
                                                                         data, body),
                            topic=topic or "unknown", body=body, store_id=store.store_id,
                            headers=headers)


def _webhook_secret(store: stores.WebhookTarget, webhook_id: str) -> bytes:
    return str(store.credentials.get("webhooks", {}).get(webhook_id, "")).encode()


def _dedupe_key(store_key: str, resource: str, data: dict[str, object], body: bytes) -> str:
    """Resource id + date_modified_gmt: the Delivery-ID is not unique, and the same state
    polled by reconciliation must land on the same key."""
    resource_id, modified = data.get("id"), data.get("date_modified_gmt")
    if resource_id is not None and modified:
        return f"{store_key}:{resource}:{resource_id}:{modified}"
    return f"{store_key}:{body_hash(body)}"


def _plugin_event(store: stores.WebhookTarget, topic: str, body: bytes) -> ResponseReturnValue:
    if not verify_base64_hmac([store.secret("connection_secret")], body,
                              request.headers.get("X-StoreChat-Hmac-Sha256")):
        abort(401, description="signature does not match the store's connection secret")
    if topic not in PLUGIN_TOPICS:
        abort(400, description=f"unknown companion-plugin topic {topic!r}")
    json_object(body)
    return store_and_answer(source="woocommerce", dedupe_key=f"{store.key}:{body_hash(body)}",
                            topic=topic, body=body, store_id=store.store_id,
                            headers={"topic": topic, "sender": "companion-plugin"})


