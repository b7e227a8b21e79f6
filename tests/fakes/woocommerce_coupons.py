"""The fake WooCommerce site's coupons: `GET coupons?code=` and `POST coupons`.

As WooCommerce does: a code is stored lower-case and unique (a second one answers 400
woocommerce_rest_coupon_code_already_exists), `code` filters the list exactly, a percent
coupon's amount above 100 is refused, and `date_expires_gmt` is kept as given.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from tests.fakes.woocommerce import FakeWooCommerce


def coupons_route(site: FakeWooCommerce, request: Request) -> Response:
    """GET (filtered by `code`) or POST coupons."""
    from tests.fakes.woocommerce import _body, _error, _json
    if request.method == "GET":
        wanted = request.args.get("code", "").strip().lower()
        with site._lock:
            rows = [c for c in site.coupons.values() if not wanted or c["code"] == wanted]
        return site._list(request, sorted(rows, key=lambda row: row["id"]))
    body = _body(request)
    code = str(body.get("code") or "").strip().lower()
    if not code:
        return _error("rest_missing_callback_param", "Missing parameter(s): code", 400)
    if body.get("discount_type") == "percent" and float(body.get("amount") or 0) > 100:
        return _error("woocommerce_rest_invalid_coupon_amount",
                      "Percentage discounts cannot be greater than 100%.", 400)
    with site._lock:
        site.coupon_creates += 1
        if any(c["code"] == code for c in site.coupons.values()):
            return _error("woocommerce_rest_coupon_code_already_exists",
                          "The coupon code already exists", 400)
        row: dict[str, Any] = {
            "id": next(site._ids), "code": code,
            "discount_type": body.get("discount_type", "fixed_cart"),
            "amount": f"{float(body.get('amount') or 0):.2f}",
            "individual_use": bool(body.get("individual_use")),
            "usage_limit": body.get("usage_limit"),
            "usage_limit_per_user": body.get("usage_limit_per_user"),
            "usage_count": 0,
            "date_expires_gmt": body.get("date_expires_gmt") or body.get("date_expires"),
            "description": body.get("description", "")}
        site.coupons[row["id"]] = row
    return _json(json.loads(json.dumps(row)), 201)
