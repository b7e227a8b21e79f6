"""Back-in-stock alerts: how much stock a variant has, how many waiting shoppers a restock
may release, and the words of the alert. Pure: no I/O, no database.

Releasing in proportion to units means 500 people are not told about 3 units: a variant
may release at most RELEASES_PER_UNIT × its available units within any RELEASE_WINDOW
(a rolling hour). The rest stay waiting, in the order they asked, for more stock or for
the next window (the housekeeping sweep releases again once the hour has passed).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

# Shoppers released per available unit within one window: some alerted shoppers do not
# buy, so twice the units keeps the units selling without telling everyone.
RELEASES_PER_UNIT = 2
# The window the quota counts over: a rolling hour.
RELEASE_WINDOW = timedelta(hours=1)
# In stock with no known quantity (WooCommerce without managed stock): this many per window.
UNKNOWN_UNITS_BATCH = 20
# A subscription lapses this long after it was made, unless the store sets its own days.
DEFAULT_EXPIRY_DAYS = 90
# The outbox cause of a subscription's alert: with the fixed step, it is written once.
CAUSE_PREFIX = "stock_alert:"
STEP = "back_in_stock"
TEMPLATE = "back_in_stock"
# The starter template's variables, in {{n}} order (plugin.domain.starter_templates).
VARIABLES = ("first_name", "product_title", "product_url")
# Words for a shopper whose first name we do not know (WhatsApp refuses empty parameters).
NAME_FALLBACKS = {"en": "there", "es": "cliente", "pt": "cliente", "hi": "ग्राहक",
                  "id": "Kak", "ar": "عميلنا العزيز"}
# The answer to the shopper's confirming message (free-form: their window is open), in the
# starter languages; {products} lists what they asked for.
CONFIRMED_TEXTS = {
    "en": "You're on the list: we'll send you one message here when {products} is back in "
          "stock. Reply STOP if you change your mind.",
    "es": "¡Listo! Te enviaremos un mensaje aquí cuando {products} vuelva a estar disponible. "
          "Responde STOP si cambias de opinión.",
    "pt": "Pronto! Vamos enviar uma mensagem aqui quando {products} voltar ao estoque. "
          "Responda PARAR se mudar de ideia.",
    "hi": "हो गया! {products} वापस स्टॉक में आने पर हम आपको यहाँ एक संदेश भेजेंगे। "
          "मन बदलने पर STOP लिखें।",
    "id": "Siap! Kami akan mengirim satu pesan di sini saat {products} tersedia lagi. "
          "Balas STOP jika berubah pikiran.",
    "ar": "تم! سنرسل لك رسالة واحدة هنا عندما يتوفر {products} من جديد. "
          "أرسل STOP إذا غيرت رأيك.",
}


@dataclass(frozen=True, slots=True)
class Stock:
    """A variant's stock as far as we know: `in_stock` None when unknown; `units` None when
    the quantity is not tracked (or not reported)."""

    in_stock: bool | None
    units: int | None


def stock_of(levels: Mapping[str, Any], availability: str | None) -> Stock:
    """The stock a catalog row records: per-location quantities when a stock webhook gave
    any (a negative quantity counts as none), else the listing's availability."""
    known = [q for q in levels.values() if isinstance(q, int) and not isinstance(q, bool)]
    if known:
        units = sum(max(q, 0) for q in known)
        return Stock(units > 0, units)
    if availability in ("in stock", "out of stock"):
        return Stock(availability == "in stock", None)
    return Stock(None, None)


def release_quota(stock: Stock, released_in_window: int) -> int:
    """How many more waiting shoppers may be released now (never negative)."""
    if stock.in_stock is not True:
        return 0
    allowed = (UNKNOWN_UNITS_BATCH if stock.units is None
               else RELEASES_PER_UNIT * stock.units)
    return max(allowed - released_in_window, 0)


def cause(subscription_id: int) -> str:
    """The outbox cause of one subscription's alert."""
    return f"{CAUSE_PREFIX}{subscription_id}"


def subscription_of(cause_: str) -> int | None:
    """The subscription id an outbox cause names, or None for any other message."""
    if not cause_.startswith(CAUSE_PREFIX):
        return None
    rest = cause_[len(CAUSE_PREFIX):]
    return int(rest) if rest.isdigit() else None


def first_name_or_fallback(first_name: str, language: str) -> str:
    """The shopper's first name, or a word that stands in for it in `language`."""
    name = " ".join(first_name.split())
    return name or NAME_FALLBACKS.get(language.split("_")[0].lower(), NAME_FALLBACKS["en"])


def product_label(catalog_title: str) -> str:
    """The product and variant as the alert names them, from the catalog's "Product –
    Variant" title; a variant named like its product (WooCommerce's simple products) once."""
    product, sep, variant = catalog_title.partition(" – ")
    return product if sep and variant.strip() == product.strip() else catalog_title


def confirmed_text(products: list[str], language: str | None) -> str:
    """The answer to a shopper who confirmed subscriptions to `products`, in `language`
    ("pt_BR" reads as "pt") or else English."""
    code = (language or "en").replace("-", "_").split("_")[0].lower()
    return CONFIRMED_TEXTS.get(code, CONFIRMED_TEXTS["en"]).format(products=", ".join(products))
