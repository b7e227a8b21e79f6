"""Cart recovery as a store configures it: the steps, their defaults, and the cart fields a
step's template variables can name.

Pure. A store's sequence is stored as one `Automation` row per step (journey
`cart_recovery_<n>`, trigger `checkout_updated`), so the automations editor edits words,
delay and switch as it does for order journeys. A step's `conditions` may carry a discount
(`discount_percent`, `discount_hours`): a single-use code for that cart, created when the
step is really sent, valid for `discount_hours`. Delays are whole minutes (0 allowed); no step
is ever due sooner than MIN_DELAY_MINUTES after the cart's last activity.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from plugin.domain.events import EventKind, LineItem
from plugin.domain.journeys import (
    FALLBACK_LANGUAGE,
    MAX_PARAMETER_CHARS,
    item_summary,
)
from plugin.domain.money import format_money

# The automation trigger every recovery step is stored under (it never matches an order).
TRIGGER = EventKind.CHECKOUT_UPDATED
JOURNEY_PREFIX = "cart_recovery_"
# Shopify's recovery link works only some minutes after the checkout is created.
MIN_DELAY_MINUTES = 15
# A step waits at most this long; longer is a typing mistake (a cart is stale by then).
MAX_DELAY_MINUTES = 30 * 24 * 60
# The discount a step may carry: a percentage off the cart, valid for some hours.
MAX_DISCOUNT_PERCENT = 90
MAX_DISCOUNT_HOURS = 30 * 24
# An order within this many days after a recovery message counts as recovered (per store).
DEFAULT_ATTRIBUTION_DAYS = 7


@dataclass(frozen=True, slots=True)
class StepDefault:
    """A step StoreChat ships: its template (a starter of the same name), variables, delay
    after the last activity, and conditions (a discount on the last step)."""

    step: int
    template: str
    variables: tuple[str, ...]
    delay_minutes: int
    conditions: Mapping[str, Any] = field(default_factory=dict)

    @property
    def journey(self) -> str:
        """The automation's journey name, also the outbox step of its messages."""
        return journey_name(self.step)


DEFAULT_STEPS: tuple[StepDefault, ...] = (
    StepDefault(1, "cart_recovery_1", ("first_name", "first_item", "item_count", "cart_total"),
                60),
    StepDefault(2, "cart_recovery_2", ("first_name", "first_item", "cart_total"), 24 * 60),
    StepDefault(3, "cart_recovery_3",
                ("first_name", "first_item", "discount_percent", "discount_code"), 3 * 24 * 60,
                {"discount_percent": 10, "discount_hours": 48}),
)


def journey_name(step: int) -> str:
    """The journey (and outbox step) of recovery step `step`: cart_recovery_<step>."""
    return f"{JOURNEY_PREFIX}{step}"


def step_number(journey: str) -> int | None:
    """The step of a recovery journey name, or None for any other journey."""
    if not journey.startswith(JOURNEY_PREFIX):
        return None
    tail = journey[len(JOURNEY_PREFIX):]
    return int(tail) if tail.isdigit() and int(tail) > 0 else None


def effective_delay_minutes(delay_minutes: int) -> int:
    """The delay a step really waits: what the owner set, never below MIN_DELAY_MINUTES."""
    return max(delay_minutes, MIN_DELAY_MINUTES)


@dataclass(frozen=True, slots=True)
class Discount:
    """A step's discount: `percent` off the cart, valid `hours` after the step is sent."""

    percent: int
    hours: int


def discount_of(conditions: Mapping[str, Any] | None) -> Discount | None:
    """The discount a step's conditions ask for, or None (none, or out of range)."""
    conditions = conditions or {}
    try:
        percent = int(conditions.get("discount_percent") or 0)
        hours = int(conditions.get("discount_hours") or 48)
    except (TypeError, ValueError):
        return None
    if not 0 < percent <= MAX_DISCOUNT_PERCENT or not 0 < hours <= MAX_DISCOUNT_HOURS:
        return None
    return Discount(percent, hours)


@dataclass(frozen=True, slots=True, kw_only=True)
class CartView:
    """What a recovery message can say about a cart (built from a `Checkout` row)."""

    first_name: str = ""
    items: tuple[LineItem, ...] = ()
    item_count: int = 0
    total: Decimal = Decimal(0)
    currency: str = ""
    link_url: str = ""  # our /t/<token> link to the platform's recovery URL
    discount_code: str = ""
    discount_percent: int = 0
    discount_expires_at: datetime | None = None  # in the store's local time


def cart_view(checkout: Any, *, link_url: str = "", discount_code: str = "",
              discount: Discount | None = None,
              discount_expires_at: datetime | None = None) -> CartView:
    """The CartView of a `Checkout` row (items as stored: dicts with title, variant_title,
    quantity, price, image_url…)."""
    items = tuple(
        LineItem(title=str(item.get("title") or ""), quantity=int(item.get("quantity") or 1),
                 price=Decimal(str(item.get("price") or "0")),
                 variant_id=str(item.get("variant_id") or ""),
                 product_id=str(item.get("product_id") or ""),
                 variant_title=str(item.get("variant_title") or ""),
                 image_url=str(item.get("image_url") or ""))
        for item in (checkout.items or []) if isinstance(item, dict))
    return CartView(first_name=checkout.first_name or "", items=items,
                    item_count=int(checkout.item_count or 0),
                    total=Decimal(str(checkout.total or "0")),
                    currency=checkout.currency or "", link_url=link_url,
                    discount_code=discount_code,
                    discount_percent=discount.percent if discount else 0,
                    discount_expires_at=discount_expires_at)


def first_item(cart: CartView) -> str:
    """The first item as a shopper reads it: "Linen shirt (Blue / M)"."""
    item = next((i for i in cart.items if i.title), None)
    if item is None:
        return ""
    variant = item.variant_title.strip()
    if variant and variant.lower() not in ("default title", "default"):
        return f"{item.title} ({variant})"
    return item.title


def first_image(cart: CartView) -> str:
    """The first item's image URL (https only), for a template's image header; '' if none."""
    for item in cart.items:
        if item.image_url.lower().startswith("https://"):
            return item.image_url
    return ""


CART_FIELDS: dict[str, Callable[[CartView, str], str]] = {
    "first_name": lambda c, _l: c.first_name,
    "first_item": lambda c, _l: first_item(c),
    "item_count": lambda c, _l: str(c.item_count) if c.item_count else "",
    "item_summary": lambda c, lang: item_summary(c.items, lang),
    "cart_total": lambda c, lang: format_money(c.total, c.currency, lang),
    "cart_url": lambda c, _l: c.link_url,
    "discount_code": lambda c, _l: c.discount_code,
    "discount_percent": lambda c, _l: f"{c.discount_percent}%" if c.discount_percent else "",
    "discount_expires": lambda c, _l: (c.discount_expires_at.strftime("%Y-%m-%d %H:%M")
                                       if c.discount_expires_at else ""),
}
"""The cart fields a recovery step can map to template variables."""

DISCOUNT_FIELDS = frozenset({"discount_code", "discount_percent", "discount_expires"})
"""Fields that need the step to carry a discount."""

# Runs of white space except the no-break space money formatting puts between amount and
# symbol (it keeps "49,90 €" on one line); WhatsApp refuses new lines and tabs in parameters.
_SPACES = re.compile(r"[^\S\u00a0]+")
# Words that stand in for a missing value (WhatsApp refuses empty parameters).
_FALLBACKS: dict[str, str] = {"first_name": "there", "first_item": "your items"}


def render_cart_parameters(cart: CartView, variables: Iterable[str],
                           language: str = FALLBACK_LANGUAGE) -> tuple[str, ...]:
    """The body parameters of a recovery message: each named cart field in `language`, on one
    line, never empty, within WhatsApp's length limit."""
    values = []
    for name in variables:
        getter = CART_FIELDS.get(name)
        value = _SPACES.sub(" ", getter(cart, language) if getter else "").strip()
        value = value or _FALLBACKS.get(name, "-")
        if len(value) > MAX_PARAMETER_CHARS:
            value = value[:MAX_PARAMETER_CHARS - 1].rstrip() + "…"
        values.append(value)
    return tuple(values)


def unknown_fields(variables: Sequence[str]) -> list[str]:
    """The variables that are not cart fields (an editor refuses to save them)."""
    return [name for name in variables if name not in CART_FIELDS]
