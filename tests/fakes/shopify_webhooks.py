"""Shopify's side of webhooks: deliveries with the real headers and HMAC, and its retries.

Shopify signs the raw body (base64 HMAC-SHA256 with the app secret), names the event in
X-Shopify-Event-Id (the same on every retry) and the delivery in X-Shopify-Webhook-Id, and
retries a delivery that did not get a 2xx within 5 seconds (8 times over 4 hours; here,
immediately, `retries` times).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

# Shopify gives up on a delivery that takes longer than this.
DELIVERY_TIMEOUT_SECONDS = 5.0


@dataclass
class WebhookSender:
    """Delivers webhooks for one shop to one address, as Shopify does."""

    url: str
    secret: str
    shop: str
    api_version: str = "2025-10"
    retries: int = 3
    statuses: list[int] = field(default_factory=list)

    def send(self, topic: str, payload: dict[str, Any], *, event_id: str | None = None,
             body: bytes | None = None) -> int:
        """Deliver once, retrying like Shopify until a 2xx; the last status."""
        raw = body if body is not None else json.dumps(payload).encode()
        event_id = event_id or str(uuid.uuid4())
        signature = base64.b64encode(
            hmac.new(self.secret.encode(), raw, hashlib.sha256).digest()).decode()
        status = 0
        for _attempt in range(1 + self.retries):
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": signature,
                "X-Shopify-Shop-Domain": self.shop,
                "X-Shopify-API-Version": self.api_version,
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Webhook-Id": str(uuid.uuid4()),  # a new one per delivery
                "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
            }
            try:
                status = httpx.post(self.url, content=raw, headers=headers,
                                    timeout=DELIVERY_TIMEOUT_SECONDS).status_code
            except httpx.TransportError:
                status = 0
            self.statuses.append(status)
            if 200 <= status < 300:
                break
        return status
