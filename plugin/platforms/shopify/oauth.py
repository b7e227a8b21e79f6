"""Authorization-code install, the parts that are pure: shop names, the authorize URL,
the callback's HMAC and age (through ShopifyAPI's `shopify.Session`), the code exchange.
"""
from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import Any

import httpx
import shopify  # ShopifyAPI

from plugin.domain.errors import ShopifyError
from plugin.platforms.shopify.client import DEFAULT_ADMIN_URL, admin_base, is_shop_domain

# Shopify's callback must reach us within this long of its timestamp (ShopifyAPI: one day;
# ours is tighter because the state it carries lives only as long as the attempt).
CALLBACK_MAX_AGE_SECONDS = 60 * 60


class InstallError(ShopifyError):
    """The install cannot go on; the message is safe to show to the owner."""


def normalise_shop(raw: str) -> str | None:
    """`Acme.myshopify.com`, `https://acme.myshopify.com/` → `acme.myshopify.com`; else None."""
    shop = raw.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    return shop if is_shop_domain(shop) else None


def _session_class(api_key: str, secret: str) -> type[shopify.Session]:
    # ShopifyAPI keeps its key and secret on the Session class; a subclass per call keeps
    # them out of process-wide state (several apps, or a rotated secret, side by side).
    return type("StoreChatSession", (shopify.Session,), {"api_key": api_key, "secret": secret})


def authorize_url(admin_url: str, api_key: str, api_version: str, shop: str, scopes: str,
                  redirect_uri: str, state: str) -> str:
    """Where the owner approves the install: the shop's /admin/oauth/authorize page."""
    session = _session_class(api_key, "")(shop, api_version)
    url = session.create_permission_url([s.strip() for s in scopes.split(",") if s.strip()],
                                        redirect_uri, state)
    if admin_url != DEFAULT_ADMIN_URL:
        url = admin_base(admin_url, shop) + url.removeprefix(f"https://{shop}")
    return url


def hmac_valid(params: Mapping[str, Any], secrets: list[str]) -> bool:
    """True when the query's `hmac` is Shopify's signature with one of `secrets`."""
    if "hmac" not in params:
        return False
    return any(_session_class("", secret).validate_hmac(dict(params))
               for secret in secrets if secret)


def fresh(params: Mapping[str, Any], now: float | None = None) -> bool:
    """True when the callback's timestamp is recent (replays of old callbacks fail)."""
    try:
        stamp = int(str(params.get("timestamp", "")))
    except ValueError:
        return False
    now = time.time() if now is None else now
    return now - CALLBACK_MAX_AGE_SECONDS <= stamp <= now + 60


def same(a: str, b: str) -> bool:
    """Constant-time string equality."""
    return hmac.compare_digest(a.encode(), b.encode())


def exchange_code(http: httpx.Client, admin_url: str, shop: str, api_key: str, secret: str,
                  code: str) -> dict[str, Any]:
    """Trade the callback's code for an expiring offline token; raises InstallError."""
    try:
        response = http.post(f"{admin_base(admin_url, shop)}/admin/oauth/access_token",
                             json={"client_id": api_key, "client_secret": secret,
                                   "code": code, "expiring": 1},
                             headers={"Accept": "application/json"})
    except httpx.HTTPError:
        raise InstallError("Shopify did not answer; please try again.") from None
    try:
        grant = response.json()
    except ValueError:
        grant = {}
    if response.status_code != 200 or not isinstance(grant, dict) or not grant.get("access_token"):
        raise InstallError("Shopify did not accept the install; please start again.")
    now = time.time()
    return {
        "token": grant["access_token"], "scope": grant.get("scope", ""),
        "refresh_token": grant.get("refresh_token"),
        "expires": _at(now, grant.get("expires_in")),
        "refresh_token_expires": _at(now, grant.get("refresh_token_expires_in")),
    }


def _at(now: float, seconds: Any) -> str | None:
    if seconds is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + float(seconds)))
