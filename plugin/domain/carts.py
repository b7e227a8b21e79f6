"""A cart a shopper sent from the WhatsApp catalog: which lines we can check out, and what
we answer. Pure: the pipeline (plugin.pipeline.carts) maps retailer ids through its own
catalog table and calls the store; this module only decides and words.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# At most this many unknown items are named in an answer (a long list helps nobody).
NAMED_UNKNOWN_MAX = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class CartLine:
    """One line of the shopper's cart, as Meta sent it."""

    retailer_id: str
    quantity: int


def cart_lines(product_items: Iterable[Mapping[str, Any]]) -> list[CartLine]:
    """The cart's lines with a positive quantity, one per retailer id (quantities of a
    retailer id listed twice are added up), in the order the shopper sent them."""
    quantities: dict[str, int] = {}
    for item in product_items:
        retailer_id = str(item.get("product_retailer_id") or "").strip()
        quantity = item.get("quantity")
        if not retailer_id or not isinstance(quantity, int) or isinstance(quantity, bool) \
                or quantity <= 0:
            continue
        quantities[retailer_id] = quantities.get(retailer_id, 0) + quantity
    return [CartLine(retailer_id=r, quantity=q) for r, q in quantities.items()]


def _unknown_sentence(unknown: Iterable[str]) -> str:
    names = list(unknown)
    if not names:
        return ""
    shown = ", ".join(names[:NAMED_UNKNOWN_MAX])
    more = f" and {len(names) - NAMED_UNKNOWN_MAX} more" if len(names) > NAMED_UNKNOWN_MAX \
        else ""
    return (f"We could not find {'this item' if len(names) == 1 else 'these items'} in our "
            f"shop any more, so {'it is' if len(names) == 1 else 'they are'} not in your "
            f"checkout: {shown}{more}.")


def pay_link_text(store_name: str, pay_url: str, unknown: Iterable[str] = ()) -> str:
    """The answer carrying the checkout link (naming items we could not add)."""
    parts = [f"Thank you for your order{f' at {store_name}' if store_name else ''}! "
             f"Pay and confirm it here: {pay_url}"]
    missing = _unknown_sentence(unknown)
    if missing:
        parts.append(missing)
    return "\n\n".join(parts)


def nothing_known_text(unknown: Iterable[str]) -> str:
    """The answer to a cart none of whose items we know."""
    return (_unknown_sentence(unknown) or "Your cart was empty.") + \
        " Please pick your items from our catalog again."


def delayed_text() -> str:
    """The answer while the store does not answer (the checkout is retried)."""
    return ("Thank you for your order! Our shop is a little slow to answer right now; "
            "we will send your payment link here as soon as it is ready.")


def failed_text() -> str:
    """The answer when the store cannot make the checkout at all."""
    return ("Thank you for your order! We could not prepare your payment link, so the shop "
            "will get back to you here to complete it.")
