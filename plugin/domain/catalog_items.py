"""One Meta catalog item per product variant, or the reason a variant is kept out.

Pure: the sync (issue 14) calls `map_product` with a `ProductEvent`, the store's public base
URL and our own retailer-id map, and sends only the `CatalogItem`s whose `content_hash`
changed. Nothing here derives a retailer id: it comes from the caller's table, so one variant
can never get two ids from two code paths.
"""
from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from html import unescape
from html.parser import HTMLParser

from plugin.domain.events import ProductEvent, Variant
from plugin.domain.money import CURRENCY_DIGITS

# Meta's catalog field limits (Commerce Manager product fields).
TITLE_LIMIT = 150
DESCRIPTION_LIMIT = 5000
# Meta's commerce catalog best practices allow up to 10 additional images; brand ≤ 100.
ADDITIONAL_IMAGES_LIMIT = 10
BRAND_LIMIT = 100
# ISO 4217 codes with 2 minor units that we accept; CURRENCY_DIGITS (money.py) holds the
# others, so the decimals have one source of truth.
_TWO_DIGIT_CURRENCIES = frozenset(
    "USD EUR GBP INR BRL MXN CAD AUD NZD CNY ILS PHP NGN TRY SAR AED EGP QAR MAD ZAR CHF SEK "
    "NOK DKK PLN CZK HUF RON BGN HKD SGD TWD THB MYR PKR BDT LKR KES GHS ARS COP PEN UYU BOB "
    "CRC DOP GTQ HNL NIO PAB RUB UAH KZT GEL AMD AZN RSD MKD ALL BAM MDL".split()
)
# Elements whose text is never shown to a shopper.
_DROPPED_ELEMENTS = frozenset({"script", "style", "noscript", "template", "iframe"})
# Block elements that end a line of text, so words either side do not run together.
_BREAKING_ELEMENTS = frozenset(
    {"p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
     "section", "article", "header", "footer", "blockquote", "table"}
)
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """A variant as a Meta catalog item (fields named as in items_batch PRODUCT_ITEM data)."""

    retailer_id: str
    item_group_id: str
    title: str
    description: str
    price: str  # "12.50 USD"
    sale_price: str  # "" when the variant is not on sale
    availability: str  # "in stock" | "out of stock"
    condition: str
    brand: str
    link: str
    image_link: str
    additional_image_links: tuple[str, ...]
    currency: str


@dataclass(frozen=True, slots=True)
class KeptOut:
    """A variant that is not sent to Meta, with the reason in the store owner's words."""

    variant_id: str
    reason: str


Listing = CatalogItem | KeptOut


def map_product(
    product: ProductEvent, *, store_base_url: str, retailer_ids: Mapping[str, str]
) -> list[Listing]:
    """One Listing per variant of `product`, in variant order: a CatalogItem or a KeptOut."""
    currency = product.currency.strip().upper()
    digits = currency_digits(currency)
    title = clean_text(product.title, TITLE_LIMIT)
    description = clean_text(product.description_html, DESCRIPTION_LIMIT) or title
    link = product_link(product, store_base_url)
    images = tuple(u for u in product.image_urls if u)
    out: list[Listing] = []
    for variant in product.variants:
        reason = _kept_out_reason(product, variant, title, digits, images, retailer_ids)
        if reason:
            out.append(KeptOut(variant.variant_id, reason))
            continue
        assert digits is not None and variant.price is not None
        image = variant.image_url or images[0]
        extra = tuple(u for u in images if u != image)[:ADDITIONAL_IMAGES_LIMIT]
        out.append(CatalogItem(
            retailer_id=retailer_ids[variant.variant_id],
            item_group_id=product.product_id,
            # Meta's variant guide: every item of a group keeps the product's name, so the
            # name does not change when the shopper picks a size or colour.
            title=title,
            description=description,
            **_prices(variant, currency, digits),
            availability=availability(variant),
            condition="new",
            brand=clean_text(product.vendor, BRAND_LIMIT),
            link=link,
            image_link=image,
            additional_image_links=extra,
            currency=currency,
        ))
    return out



def _kept_out_reason(
    product: ProductEvent, variant: Variant, title: str, digits: int | None,
    images: tuple[str, ...], retailer_ids: Mapping[str, str],
) -> str:
    if digits is None:
        code = product.currency or "none"
        return f"The store's currency ({code}) is not one WhatsApp catalogs accept."
    if variant.price is None or variant.price <= 0:
        return "It has no price (or a price of 0), so WhatsApp would reject it."
    if not (variant.image_url or images):
        return "It has no image; WhatsApp catalogs need at least one."
    if not title:
        return "It has no title."
    if variant.variant_id not in retailer_ids:
        return "It has no catalog id yet; it will be listed on the next sync."
    return ""


def _prices(variant: Variant, currency: str, digits: int) -> dict[str, str]:
    assert variant.price is not None
    was = variant.compare_at_price
    if was is not None and was > variant.price:
        return {"price": format_price(was, currency, digits),
                "sale_price": format_price(variant.price, currency, digits)}
    return {"price": format_price(variant.price, currency, digits), "sale_price": ""}


def currency_digits(currency: str) -> int | None:
    """Minor units of an ISO 4217 code we accept, or None for an unknown currency."""
    code = currency.strip().upper()
    if code in CURRENCY_DIGITS:
        return CURRENCY_DIGITS[code]
    return 2 if code in _TWO_DIGIT_CURRENCIES else None


def format_price(amount: Decimal, currency: str, digits: int) -> str:
    """`amount` as Meta expects a price: "12.50 USD", "1200 JPY", "3.500 KWD"."""
    value = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{value:.{digits}f} {currency}"


def availability(variant: Variant) -> str:
    """"in stock" or "out of stock": the platform's status first, else the quantity."""
    if variant.in_stock is not None:
        return "in stock" if variant.in_stock else "out of stock"
    if variant.inventory_quantity is None:  # stock not tracked: always sellable
        return "in stock"
    return "in stock" if variant.inventory_quantity > 0 else "out of stock"


def product_link(product: ProductEvent, store_base_url: str) -> str:
    """The product page: the platform's URL, else the Shopify-style /products/<handle>."""
    if product.url:
        return product.url
    base = store_base_url.rstrip("/")
    return f"{base}/products/{product.handle}" if product.handle else base


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_ELEMENTS:
            self._skipping += 1
        elif tag in _BREAKING_ELEMENTS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKING_ELEMENTS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_ELEMENTS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BREAKING_ELEMENTS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def strip_html(html: str) -> str:
    """The visible text of `html`: tags and script/style content gone, entities decoded,
    whitespace collapsed."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    # A second unescape catches double-encoded entities ("&amp;amp;") that shops often store.
    text = unescape("".join(parser.parts))
    text = "".join(" " if unicodedata.category(c) in {"Cc", "Zl", "Zp"} else c for c in text)
    # Angle brackets left as text (from "&lt;script&gt;") would read as markup downstream.
    text = text.replace("<", "‹").replace(">", "›")
    return " ".join(text.split())


def cut(text: str, limit: int) -> str:
    """`text` at most `limit` characters, cut before a whole grapheme (ZWJ and combining
    marks kept with their base) and ended with an ellipsis when shortened."""
    if len(text) <= limit:
        return text
    end = limit - 1
    while end > 0 and _joins_previous(text, end):
        end -= 1
    return text[:end].rstrip() + ELLIPSIS


def _joins_previous(text: str, i: int) -> bool:
    """Whether text[i] belongs to the grapheme that text[i-1] starts or continues."""
    c, prev = text[i], text[i - 1]
    if prev == "\u200d" or c == "\u200d":
        return True
    if unicodedata.combining(c) or unicodedata.category(c) in {"Mn", "Me", "Mc"}:
        return True
    if "\ufe00" <= c <= "\ufe0f" or "\U0001f3fb" <= c <= "\U0001f3ff":  # selectors, skin tones
        return True
    if "\U000e0020" <= c <= "\U000e007f":  # tag sequences (subdivision flags)
        return True
    regional = "\U0001f1e6" <= c <= "\U0001f1ff" and "\U0001f1e6" <= prev <= "\U0001f1ff"
    if regional:  # keep flag pairs whole: count the run of regional indicators before c
        run = 0
        while i - 1 - run >= 0 and "\U0001f1e6" <= text[i - 1 - run] <= "\U0001f1ff":
            run += 1
        return run % 2 == 1
    return False


def clean_text(html: str, limit: int) -> str:
    """Shopper-readable text from store HTML, at most `limit` characters."""
    return cut(strip_html(html or ""), limit)


def content_hash(item: CatalogItem) -> str:
    """A stable hash of everything Meta receives for `item` (same item, same hash)."""
    payload = json.dumps(asdict(item), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
