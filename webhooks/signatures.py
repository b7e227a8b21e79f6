"""Webhook signature checks: small pure functions over the raw body, failing closed."""
from __future__ import annotations

import base64
import hashlib
import hmac


def hmac_sha256_base64(secret: bytes, body: bytes) -> str:
    """The base64 HMAC-SHA256 of `body`, as Shopify, WooCommerce and the demo store send it."""
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def verify_base64_hmac(secrets: list[bytes], body: bytes, signature: str | None) -> bool:
    """True if `signature` matches the body under any of `secrets` (current, old).

    No secret configured, or no signature sent, means False: an unsigned request is never
    accepted. Comparison is constant-time.
    """
    if not signature:
        return False
    candidate = signature.strip().encode()
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = hmac_sha256_base64(secret, body).encode()
        # Check every secret, so timing does not say which one matched.
        matched |= hmac.compare_digest(expected, candidate)
    return matched
