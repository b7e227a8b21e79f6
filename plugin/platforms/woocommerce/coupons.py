"""The coupons StoreChat makes at a WooCommerce store: the one shape of a percent coupon (a
cart's code and a campaign's alike), and many of them at once through `POST coupons/batch`.

A batch creates at most CODES_PER_CALL coupons (WooCommerce's default
`woocommerce_rest_batch_items_limit`; more is a 413 and nothing is made). A store that set
the filter lower answers 413 too: the size is halved until the store takes it. The store
answers item by item, in the order sent: the coupon, or `{"id": 0, "error": {code, message,
data}}` for that one coupon, the others made all the same.

A code the store already has (woocommerce_rest_coupon_code_already_exists) was made by an
earlier request whose answer was lost: the client's own retry after a 5xx or a timeout, or a
worker that died before recording it. StoreChat's codes are a hash of the campaign and the
recipient, so no one else makes that code: it counts as made, not as a failure and not as
a second coupon.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.woocommerce.client import RequestError, WooClient

# WooCommerce's default ceiling for one batch request (create + update + delete).
CODES_PER_CALL = 100
# The batch's answer for a code the store already has.
ALREADY_EXISTS = "woocommerce_rest_coupon_code_already_exists"
# HTTP status of a batch over the store's limit (woocommerce_rest_request_entity_too_large).
TOO_LARGE = 413


def coupon_fields(code: str, percent: int, expires_at: datetime, *, single_use: bool,
                  purpose: str) -> dict[str, Any]:
    """The REST body of `code`: `percent`% off, once per customer and once in all when
    `single_use`, not combined with other coupons, until `expires_at` (aware)."""
    # date_expires_gmt: the store's own time zone must not move the deadline.
    return {"code": code, "discount_type": "percent", "amount": str(percent),
            **({"usage_limit": 1} if single_use else {}), "usage_limit_per_user": 1,
            "individual_use": True,
            "date_expires_gmt": expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "description": f"StoreChat {purpose.lower()}"}


@dataclass(frozen=True, slots=True)
class Created:
    """What one batch did: the codes the store now has (made now or before), and those it
    refused ("CODE: error_code: why")."""

    made: list[str]
    refused: list[str]

    def check(self) -> None:
        """RequestError naming the refused codes, if any."""
        if self.refused:
            raise RequestError(f"WooCommerce refused {len(self.refused)} coupons "
                               f"({'; '.join(self.refused[:3])})")


def create_batch(api: WooClient, codes: Sequence[str], percent: int, expires_at: datetime,
                 *, single_use: bool, purpose: str) -> Created:
    """Create `codes` (at most CODES_PER_CALL) in one `coupons/batch` request, each as
    `coupon_fields` says. ValueError beyond CODES_PER_CALL, before any call; the client's
    errors when the request itself fails (RequestError with status 413 over the store's
    limit)."""
    if len(codes) > CODES_PER_CALL:
        raise ValueError(f"at most {CODES_PER_CALL} coupons a batch, not {len(codes)}")
    if not codes:
        return Created([], [])
    answer = api.post("coupons/batch", {"create": [
        coupon_fields(code, percent, expires_at, single_use=single_use, purpose=purpose)
        for code in codes]})
    results = answer.get("create") if isinstance(answer, dict) else None
    if not isinstance(results, list):
        raise RequestError("coupons/batch did not answer a list of created coupons")
    made, refused = [], []
    for position, code in enumerate(codes):
        item = results[position] if position < len(results) else None
        item = item if isinstance(item, dict) else {}
        error = item.get("error")
        if isinstance(error, dict):
            if error.get("code") == ALREADY_EXISTS:
                made.append(code)  # an earlier request, whose answer was lost, made it
            else:
                refused.append(f"{code}: {error.get('code', '?')}: {error.get('message', '')}")
        elif item.get("id") and str(item.get("code", "")).lower() == code.lower():
            made.append(code)
        else:
            refused.append(f"{code}: not in the store's answer")
    return Created(made, refused)


def create_all(api: WooClient, codes: Sequence[str], percent: int, expires_at: datetime,
               record: Callable[[list[str]], None], *, single_use: bool,
               purpose: str) -> None:
    """Create `codes` a batch at a time (CODES_PER_CALL, or fewer at a store whose limit is
    lower), handing each batch's made codes to `record` as soon as the store answers, so a
    crash loses at most one batch's record. RequestError naming the refused codes of the
    first batch with any (its made codes recorded first, later batches not sent)."""
    size, start = CODES_PER_CALL, 0
    while start < len(codes):
        chunk = codes[start:start + size]
        try:
            created = create_batch(api, chunk, percent, expires_at, single_use=single_use,
                                   purpose=purpose)
        except RequestError as error:
            if error.status != TOO_LARGE or size == 1:
                raise
            size = max(1, size // 2)  # the store lowered woocommerce_rest_batch_items_limit
            continue
        record(created.made)
        created.check()
        start += len(chunk)
