"""A cart's recovery discount code at its store: one code per checkout, single use, ending
with the step's deadline (issue 15, item 3). Groundwork: the recovery sequence calls it when
the step is really sent.

The code is derived from the checkout key, so a retry after a crash looks the code up and
finds the one the first try made instead of creating a second.
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from adapters.shopify.admin import QueryError
from adapters.woocommerce.client import RequestError
from plugin.models import Store
from plugin.platforms.shopify import shops
from plugin.platforms.woocommerce import coupons, sites

# Letters and digits a shopper cannot misread (no 0/O, 1/I/L).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# "SC-" and 10 symbols of the key's hash: 31**10 codes, no collision between a store's carts.
CODE_PREFIX = "SC-"
CODE_LENGTH = 10
# A percentage discount is between these, inclusive.
MIN_PERCENT, MAX_PERCENT = 1, 100

LOOKUP_QUERY = """
query discountByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) { id }
}"""

CREATE_MUTATION = """
mutation storechatDiscount($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}"""


def discount_code(checkout_key: str) -> str:
    """The code of the checkout `checkout_key`: the same key always gives the same code."""
    number = int.from_bytes(hashlib.sha256(checkout_key.encode()).digest(), "big")
    symbols = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        symbols.append(ALPHABET[index])
    return CODE_PREFIX + "".join(symbols)


def recovery_discount(store: Store, checkout_key: str, percent: int,
                      expires_at: datetime) -> str:
    """The code of `percent`% off for the cart `checkout_key` at `store`, single use and
    ending at `expires_at`; created at the store unless it is already there. ValueError for
    a percent outside 1–100, an expiry not in the future or an empty key; the platform's
    error (ShopifyError, WooCommerceError) when the store refuses."""
    if not checkout_key:
        raise ValueError("a discount needs the checkout's key")
    if isinstance(percent, bool) or not MIN_PERCENT <= percent <= MAX_PERCENT:
        raise ValueError(f"a discount is {MIN_PERCENT} to {MAX_PERCENT} percent, not {percent}")
    if expires_at.tzinfo is None:
        raise ValueError("a discount's expiry needs a time zone")
    if expires_at <= datetime.now(UTC):
        raise ValueError(f"a discount cannot expire in the past ({expires_at.isoformat()})")
    code = discount_code(checkout_key)
    make_code(store, code, percent, expires_at, single_use=True, purpose="Cart recovery")
    return code


def make_code(store: Store, code: str, percent: int, expires_at: datetime, *,
              single_use: bool, purpose: str) -> None:
    """Create `code` (`percent`% off everything, once per customer, and once in all when
    `single_use`, until `expires_at`, aware) at the store unless it already has it; named
    after `purpose` ("Cart recovery", "Campaign") in the store's admin. ValueError for a
    platform without discounts; the platform's error when the store refuses."""
    if store.platform == "shopify":
        _shopify(store, code, percent, expires_at, single_use, purpose)
    elif store.platform == "woocommerce":
        _woocommerce(store, code, percent, expires_at, single_use, purpose)
    else:
        raise ValueError(f"no discounts for platform {store.platform!r}")


def _shopify(store: Store, code: str, percent: int, expires_at: datetime, single_use: bool,
             purpose: str) -> None:
    api = shops.admin_client(store.id, store.domain)
    if api.execute(LOOKUP_QUERY, {"code": code}).get("codeDiscountNodeByCode"):
        return
    data = api.execute(CREATE_MUTATION, {"basicCodeDiscount": {
        "title": f"{purpose} {code}", "code": code,
        "startsAt": datetime.now(UTC).isoformat(), "endsAt": expires_at.isoformat(),
        **({"usageLimit": 1} if single_use else {}), "appliesOncePerCustomer": True,
        "context": {"all": "ALL"},
        "customerGets": {"value": {"percentage": percent / 100}, "items": {"all": True}},
    }})
    result: dict[str, Any] = data.get("discountCodeBasicCreate") or {}
    errors = result.get("userErrors") or []
    if errors:
        reasons = "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))
        raise QueryError(f"Shopify refused the discount {code}: {reasons}")
    if not (result.get("codeDiscountNode") or {}).get("id"):
        raise QueryError(f"Shopify created no discount {code}")


def _woocommerce(store: Store, code: str, percent: int, expires_at: datetime,
                 single_use: bool, purpose: str) -> None:
    with sites.calling(store) as api:
        try:
            found = api.request("GET", "coupons", params={"code": code}).json()
            if isinstance(found, list) and any(
                    isinstance(c, dict) and str(c.get("code", "")).upper() == code
                    for c in found):
                return
            api.request("POST", "coupons", data=coupons.coupon_fields(
                code, percent, expires_at, single_use=single_use, purpose=purpose))
        except ValueError:
            raise RequestError("the store answered something that is not JSON") from None
