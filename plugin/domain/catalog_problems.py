"""Meta's per-item catalog errors and warnings, told to the store owner in plain words.

Meta's batch results name a field and a rule in its own jargon ("image_link: Invalid image
URL"); the owner needs to know what to fix in the store. `plain_reason` keeps Meta's text
beside the sentence, so support can still search for it.
"""
from __future__ import annotations

# (words in Meta's message, what the owner reads), first match wins; lower case.
_PLAIN: tuple[tuple[tuple[str, ...], str], ...] = (
    (("image",), "WhatsApp could not use the product's image: check that it is a JPEG or PNG "
                 "of at least 500×500 pixels that opens without signing in."),
    (("sale_price", "sale price"), "The sale price is not accepted: it must be lower than "
                                   "the regular price."),
    (("price", "currency"), "The price is not accepted: check the variant's price and the "
                            "store's currency."),
    (("availability", "inventory"), "WhatsApp did not understand the stock status."),
    (("title", "name"), "The product's title is missing or too long (at most 150 "
                        "characters)."),
    (("description",), "The description is missing or too long (at most 5,000 "
                       "characters)."),
    (("link", "url"), "The product's page address is not accepted: it must be a public "
                      "https:// page of the store."),
    (("policy", "commerce", "prohibited", "rejected"), "Meta's commerce policies do not allow "
                                                       "this product in a catalog."),
    (("duplicate", "retailer"), "WhatsApp reports a clash with another item's id; retry the "
                                "item, and reconcile the catalog if it persists."),
)
_FALLBACK = "WhatsApp did not accept this item."


def plain_reason(message: str, warning: bool = False) -> str:
    """The owner's sentence for one of Meta's item messages, followed by Meta's own text."""
    lowered = message.lower()
    plain = next((words for keys, words in _PLAIN if any(k in lowered for k in keys)),
                 _FALLBACK)
    if warning:
        plain = "Listed, with a warning: " + plain[0].lower() + plain[1:]
    text = message.strip() or "no details"
    return f"{plain} (WhatsApp said: “{text}”)"
