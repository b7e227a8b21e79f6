"""The fake WooCommerce site's coupons: `GET coupons?code=`, `POST coupons` and
`POST coupons/batch`.

As WooCommerce does: a code is stored lower-case and unique (a second one answers 400
woocommerce_rest_coupon_code_already_exists), `code` filters the list exactly, a percent
coupon's amount above 100 is refused, and `date_expires_gmt` is kept as given.

The batch (WC_REST_Controller::batch_items): `create`, `update` and `delete` lists, at most
`site.batch_limit` objects in all (the `woocommerce_rest_batch_items_limit` filter, 100 by
default; more is a 413 woocommerce_rest_request_entity_too_large and nothing is done); the
answer is 200 with a list per action given, in the order sent, each item the coupon or
`{"id": 0, "error": {"code", "message", "data"}}` when that one item failed: one item's
error never stops the others. Deletes are forced, as the batch does.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from tests.fakes.woocommerce import FakeWooCommerce

BATCH_ACTIONS = ("create", "update", "delete")
# Fields an update may change (the others are WooCommerce's own: id, usage_count…).
_EDITABLE = ("discount_type", "amount", "individual_use", "usage_limit",
             "usage_limit_per_user", "date_expires_gmt", "description")


class _Refused(Exception):
    """One coupon WooCommerce would not create or change: its WP_Error."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.error: dict[str, Any] = {"code": code, "message": message,
                                      "data": {"status": status}}


def coupons_route(site: FakeWooCommerce, request: Request) -> Response:
    """GET (filtered by `code`) or POST coupons."""
    from tests.fakes.woocommerce import _body, _error, _json
    if request.method == "GET":
        wanted = request.args.get("code", "").strip().lower()
        with site._lock:
            rows = [c for c in site.coupons.values() if not wanted or c["code"] == wanted]
        return site._list(request, sorted(rows, key=lambda row: row["id"]))
    with site._lock:
        try:
            row = _create(site, _body(request), single=True)
        except _Refused as refused:
            return _error(refused.code, refused.message, refused.status)
    return _json(row, 201)


def batch_route(site: FakeWooCommerce, request: Request) -> Response:
    """POST coupons/batch: create, update and delete, item by item."""
    from tests.fakes.woocommerce import _body, _error, _json
    body = _body(request)
    lists = {a: body[a] for a in BATCH_ACTIONS if isinstance(body.get(a), list) and body[a]}
    total = sum(len(items) for items in lists.values())
    with site._lock:
        site.coupon_batches.append(len(lists.get("create", [])))
        if total > site.batch_limit:
            return _error("woocommerce_rest_request_entity_too_large",
                          f"Unable to accept more than {site.batch_limit} items for this "
                          "request.", 413)
        answer: dict[str, list[Any]] = {}
        for action, items in lists.items():
            answer[action] = [_batch_item(site, action, item) for item in items]
    return _json(answer)


def _batch_item(site: FakeWooCommerce, action: str, item: Any) -> dict[str, Any]:
    try:
        if action == "create":
            return _create(site, item if isinstance(item, dict) else {})
        if action == "update":
            return _update(site, item if isinstance(item, dict) else {})
        return _delete(site, item)
    except _Refused as refused:
        return {"id": _id(item.get("id") if isinstance(item, dict) else item),
                "error": refused.error}


def _create(site: FakeWooCommerce, body: dict[str, Any], single: bool = False) -> dict[str, Any]:
    """A new coupon from `body` (under the site's lock); every valid attempt counted, by
    code (and in `coupon_creates` for a single POST coupons)."""
    code = str(body.get("code") or "").strip().lower()
    if not code:
        raise _Refused("rest_missing_callback_param", "Missing parameter(s): code", 400)
    _check_amount(body)
    site.coupon_attempts[code] += 1
    site.coupon_creates += single
    if code in site.refused_coupons:
        raise _Refused(*site.refused_coupons[code], 400)
    if any(c["code"] == code for c in site.coupons.values()):
        raise _Refused("woocommerce_rest_coupon_code_already_exists",
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
    return _copy(row)


def _update(site: FakeWooCommerce, body: dict[str, Any]) -> dict[str, Any]:
    row = site.coupons.get(_id(body.get("id")))
    if row is None:
        raise _Refused("woocommerce_rest_shop_coupon_invalid_id", "Invalid ID.", 400)
    _check_amount({"discount_type": row["discount_type"], **body})
    for name in _EDITABLE:
        if name in body:
            row[name] = (f"{float(body[name] or 0):.2f}" if name == "amount" else body[name])
    return _copy(row)


def _delete(site: FakeWooCommerce, coupon_id: Any) -> dict[str, Any]:
    row = site.coupons.pop(_id(coupon_id), None)
    if row is None:
        raise _Refused("woocommerce_rest_shop_coupon_invalid_id", "Invalid ID.", 404)
    return _copy(row)


def _check_amount(body: dict[str, Any]) -> None:
    if body.get("discount_type") == "percent" and float(body.get("amount") or 0) > 100:
        raise _Refused("woocommerce_rest_invalid_coupon_amount",
                       "Percentage discounts cannot be greater than 100%.", 400)


def _copy(row: dict[str, Any]) -> dict[str, Any]:
    """The row as the JSON answer carries it, apart from the site's own."""
    copied: dict[str, Any] = json.loads(json.dumps(row))
    return copied


def _id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
