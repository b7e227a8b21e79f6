"""Amounts as a shopper reads them: "€49.90", "49,90 €", "R$ 49,90", "₹1,29,900.00".

Pure and table-driven for the six languages StoreChat writes messages in (the starter
templates' languages). The rules follow CLDR for those locales: symbol placement and spacing,
decimal and group separators, Spanish's minimum grouping of two digits (1299,00 € but
12.990,00 €), the Indian lakh grouping in Hindi. Arabic uses Latin digits, as most Arabic
storefronts do. A currency without a known symbol shows its ISO code.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"

# Minor units per ISO 4217 where they differ from 2. IDR is shown without decimals: the
# rupiah has had no coins below 1 in use for decades and shops price in whole rupiah.
CURRENCY_DIGITS: dict[str, int] = {
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "PYG": 0, "IDR": 0,
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3, "IQD": 0,
}

# Symbols every locale shares; each locale may override some.
_SYMBOLS: dict[str, str] = {
    "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥", "BRL": "R$", "USD": "US$",
    "IDR": "Rp", "MXN": "MX$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "CNY": "CN¥",
    "ILS": "₪", "KRW": "₩", "VND": "₫", "PHP": "₱", "NGN": "₦", "TRY": "TRY",
}


@dataclass(frozen=True, slots=True)
class _Style:
    decimal: str
    group: str
    prefix: bool  # the symbol goes before the amount
    space: bool  # a no-break space between symbol and amount
    min_grouping: int = 1  # digits that must precede the first group before grouping
    indian: bool = False  # 12,34,567 grouping
    symbols: tuple[tuple[str, str], ...] = ()


_STYLES: dict[str, _Style] = {
    "en": _Style(".", ",", prefix=True, space=False, symbols=(("USD", "$"),)),
    "es": _Style(",", ".", prefix=False, space=True, min_grouping=2),
    "pt_BR": _Style(",", ".", prefix=True, space=True, symbols=(("USD", "US$"),)),
    "hi": _Style(".", ",", prefix=True, space=False, indian=True, symbols=(("USD", "$"),)),
    "id": _Style(",", ".", prefix=True, space=False, symbols=(("USD", "US$"),)),
    "ar": _Style(".", ",", prefix=False, space=True,
                 symbols=(("SAR", "ر.س."), ("AED", "د.إ."), ("EGP", "ج.م."), ("KWD", "د.ك."),
                          ("QAR", "ر.ق."), ("BHD", "د.ب."), ("OMR", "ر.ع."), ("JOD", "د.أ."),
                          ("MAD", "د.م."), ("USD", "US$"))),
}


def style_key(locale: str | None) -> str:
    """The formatting style for a locale: pt_BR for any Portuguese, else the base language,
    else English."""
    code = (locale or "").replace("-", "_")
    base = code.split("_")[0].lower()
    if base == "pt":
        return "pt_BR"
    return base if base in _STYLES else "en"


def format_money(amount: Decimal, currency: str, locale: str | None = "en") -> str:
    """`amount` in `currency` as written in `locale`; the bare number when no currency."""
    style = _STYLES[style_key(locale)]
    code = (currency or "").upper()
    digits = CURRENCY_DIGITS.get(code, 2)
    quantum = Decimal(1).scaleb(-digits)
    value = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    number = _number(abs(value), digits, style)
    if not code:
        return ("-" if value < 0 else "") + number
    symbol = dict(style.symbols).get(code) or _SYMBOLS.get(code) or code
    gap = NBSP if (style.space or symbol.isalpha() and symbol.isascii()) else ""
    text = f"{symbol}{gap}{number}" if style.prefix else f"{number}{gap}{symbol}"
    return ("-" if value < 0 else "") + text


def _number(value: Decimal, digits: int, style: _Style) -> str:
    whole, _, fraction = f"{value:.{digits}f}".partition(".")
    grouped = _group(whole, style)
    return f"{grouped}{style.decimal}{fraction}" if digits else grouped


def _group(whole: str, style: _Style) -> str:
    if len(whole) < 4 or len(whole) < 3 + style.min_grouping:
        return whole
    head, tail = whole[:-3], whole[-3:]
    size = 2 if style.indian else 3
    groups: list[str] = []
    while len(head) > size:
        groups.insert(0, head[-size:])
        head = head[:-size]
    groups.insert(0, head)
    return style.group.join([*groups, tail])
