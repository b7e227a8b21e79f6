"""Cross-sell after delivery: which products go with what a shopper bought, and the words
of the suggestion. Pure: no I/O, no database.

"Goes with" is read from the store's own order history first: two products bought in one
order are a pair, and a pair's count is how many orders held both (counted once per order,
however often the order is delivered to us). Products never bought together with these
fall back to the same category: Shopify's product type, WooCommerce's first category (the
platforms' product webhooks carry neither collections nor a category tree, so this is the
nearest thing both give). Whatever is suggested is in stock and was never bought by this
shopper.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import permutations

# The journey (and outbox step) of the flow, and its starter template.
JOURNEY = "cross_sell"
TEMPLATE = "cross_sell"
# Outbox cause of one offer's message: "cross_sell:<offer id>".
CAUSE_PREFIX = "cross_sell:"
# Days after delivery the suggestion goes, unless the owner sets another delay.
DEFAULT_DELAY_DAYS = 7
# Products suggested at most (a multi-product message shows them; a template names them).
MAX_SUGGESTIONS = 3
# An order with more distinct products than this counts only its first ones: pairs grow
# with the square of the lines, and a 200-line wholesale order says little about taste.
MAX_COUNTED_PRODUCTS = 30
# WooCommerce's default category, which every unsorted product has: no kinship at all.
NO_CATEGORY = frozenset({"", "uncategorized", "uncategorised"})
# The starter template's body variables, in {{n}} order; its URL button carries the token.
VARIABLES = ("first_name", "product_titles")


def distinct_products(product_ids: Iterable[str]) -> list[str]:
    """An order's product ids, each once, in order, empty ids left out, at most
    MAX_COUNTED_PRODUCTS."""
    return list(dict.fromkeys(p for p in product_ids if p))[:MAX_COUNTED_PRODUCTS]


def pairs(product_ids: Iterable[str]) -> list[tuple[str, str]]:
    """Every ordered pair (a, b), a ≠ b, of an order's distinct products: stored both ways
    so that "what goes with a" is a lookup by a."""
    return list(permutations(distinct_products(product_ids), 2))


def category_key(category: str) -> str:
    """A category as compared ("Shirts " and "shirts" are one); '' for none."""
    key = " ".join(category.split()).lower()
    return "" if key in NO_CATEGORY else key


def choose(*, together: Sequence[tuple[str, int]], same_category: Sequence[str],
           bought: Iterable[str], in_stock: Mapping[str, bool],
           limit: int = MAX_SUGGESTIONS) -> list[str]:
    """The products to suggest, best first: bought together most often (ties by id), then
    from the same category, never one in `bought`, only those `in_stock` says are; at most
    `limit`."""
    owned = set(bought)
    ranked = [p for p, _count in sorted(together, key=lambda pc: (-pc[1], pc[0]))]
    chosen: list[str] = []
    for product in [*ranked, *same_category]:
        if len(chosen) >= limit:
            break
        if product in owned or product in chosen or not in_stock.get(product, False):
            continue
        chosen.append(product)
    return chosen


def cause(offer_id: int) -> str:
    """The outbox cause of one offer's message."""
    return f"{CAUSE_PREFIX}{offer_id}"


def titles(names: Sequence[str], language: str) -> str:
    """Product names as one phrase: "A, B and C" in the shopper's language."""
    names = [n for n in (" ".join(n.split()) for n in names) if n]
    if len(names) <= 1:
        return names[0] if names else ""
    word = _AND.get(language.replace("-", "_").split("_")[0].lower(), "and")
    return f"{', '.join(names[:-1])} {word} {names[-1]}"


_AND = {"en": "and", "es": "y", "pt": "e", "hi": "और", "id": "dan", "ar": "و"}
