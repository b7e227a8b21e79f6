"""A pending WooCommerce order for a cart sent from WhatsApp: the shopper pays it at its
`payment_url` (WooCommerce's own "pay for order" page), so StoreChat never handles payment.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.woocommerce.client import RequestError, WooClient

# Our marker in the order's meta data: which WhatsApp cart it was made for.
WAMID_META_KEY = "_storechat_wamid"


@dataclass(frozen=True, slots=True, kw_only=True)
class WooLine:
    """One line of the order: a simple product, or a variation of a variable product."""

    product_id: str
    variation_id: str | None
    quantity: int


def create_pending_order(api: WooClient, lines: Sequence[WooLine], *, phone: str | None,
                         note: str, wamid: str) -> tuple[str, str]:
    """POST orders (status pending, not paid): the new order's id and its payment URL.
    RequestError when the store answers without either."""
    body: dict[str, Any] = {
        "status": "pending", "set_paid": False,
        "customer_note": note,
        "line_items": [_line(line) for line in lines],
        "meta_data": [{"key": WAMID_META_KEY, "value": wamid}],
    }
    if phone:
        body["billing"] = {"phone": phone}
    order = api.post("orders", body)
    if not isinstance(order, dict) or not order.get("id") or not order.get("payment_url"):
        raise RequestError("orders: the store made no order with a payment URL")
    return str(order["id"]), str(order["payment_url"])


def _line(line: WooLine) -> dict[str, Any]:
    item: dict[str, Any] = {"product_id": _id(line.product_id), "quantity": line.quantity}
    if line.variation_id:
        item["variation_id"] = _id(line.variation_id)
    return item


def _id(value: str) -> int:
    """WooCommerce ids are whole numbers; anything else was never one of its products."""
    if not value.isascii() or not value.isdigit():
        raise RequestError(f"orders: {value!r} is not a WooCommerce product id")
    return int(value)
