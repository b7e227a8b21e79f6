"""Readers for the pieces Shopify's webhook bodies share: ids, money, addresses, line items.

These helpers keep raw dicts inside the adapter. They raise plain `ValueError` for a value of
the wrong shape; `adapters.shopify.webhooks.parse_event` turns that into a `PayloadError`. A field
that is merely absent or null reads as empty, because Shopify leaves many fields null.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from adapters.fields import money, optional_money, text
from plugin.domain.events import (
    CustomerRef,
    EventKind,
    LineItem,
    ProductEvent,
    Tracking,
    Variant,
)
from plugin.domain.phones import to_e164

Raw = dict[str, Any]


def obj(value: Any, name: str) -> Raw:
    """The JSON object `value`; {} for null or absent; ValueError for anything else."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name} is not an object")
    return value


def objects(value: Any, name: str) -> list[Raw]:
    """A JSON array of objects; [] for null or absent; ValueError for anything else."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError(f"{name} is not an array of objects")
    return value


def ident(value: Any, name: str) -> str:
    """A Shopify id as a string (ids are 64-bit integers, sometimes strings); required."""
    text = optional_ident(value, name)
    if not text:
        raise ValueError(f"{name} is missing")
    return text


def optional_ident(value: Any, name: str) -> str:
    """Like `ident`, but '' when the id is absent or null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ValueError(f"{name} is not an id")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a JS-produced body may carry an id as 1.2e17
    if isinstance(value, str):
        return value.strip()
    raise ValueError(f"{name} is not an id")


def count(value: Any, name: str) -> int | None:
    """A whole number (quantity, stock); None when null; ValueError when not a whole number."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError(f"{name} is not a whole number")


def line_items(value: Any) -> tuple[LineItem, ...]:
    """Order, checkout or fulfillment line items: title, quantity, unit price, and the
    product and variant ids ('' for a custom line, whose ids are null)."""
    return tuple(
        LineItem(
            title=text(item.get("title")) or text(item.get("name")),
            quantity=count(item.get("quantity"), "line item quantity") or 0,
            price=money(item.get("price"), "line item price", Decimal("0")),
            variant_id=optional_ident(item.get("variant_id"), "variant_id"),
            product_id=optional_ident(item.get("product_id"), "product_id"),
        )
        for item in objects(value, "line_items")
    )


def checkout_items(value: Any) -> tuple[LineItem, ...]:
    """Checkout line items with what a cart reminder shows: ids, variant title and image."""
    return tuple(
        LineItem(
            title=text(item.get("title")) or text(item.get("presentment_title")),
            quantity=count(item.get("quantity"), "line item quantity") or 0,
            price=money(item.get("price"), "line item price", Decimal("0")),
            variant_id=optional_ident(item.get("variant_id"), "variant_id"),
            product_id=optional_ident(item.get("product_id"), "product_id"),
            variant_title=text(item.get("variant_title")),
            image_url=(text(item.get("image_url"))
                       or text(obj(item.get("image"), "image").get("src"))),
        )
        for item in objects(value, "line_items")
    )


def tracking(fulfillment: Raw) -> Tracking | None:
    """Where a fulfillment can be followed; None when it carries no tracking at all."""
    numbers = [text(n) for n in _array(fulfillment.get("tracking_numbers"))]
    urls = [text(u) for u in _array(fulfillment.get("tracking_urls"))]
    found = Tracking(
        number=text(fulfillment.get("tracking_number")) or next(filter(None, numbers), ""),
        url=text(fulfillment.get("tracking_url")) or next(filter(None, urls), ""),
        company=text(fulfillment.get("tracking_company")),
        # Set by carriers that estimate (fulfillment events carry it; REST bodies may).
        estimated_delivery=text(fulfillment.get("estimated_delivery_at")),
    )
    return found if (found.number or found.url or found.company) else None


def first_e164(candidates: Iterable[tuple[Any, Any]]) -> str | None:
    """The first (raw phone, country code) pair that makes a valid E.164 number."""
    for raw, country in candidates:
        phone = to_e164(text(raw), text(country) or None)
        if phone:
            return phone
    return None


def address_phones(*addresses: Raw) -> list[tuple[Any, Any]]:
    """(phone, country_code) pairs from Shopify address objects, in the given order."""
    return [(address.get("phone"), address.get("country_code")) for address in addresses]


def country_of(*addresses: Raw) -> str:
    """The first country code among the addresses: the country national numbers belong to."""
    return next((text(a.get("country_code")) for a in addresses if text(a.get("country_code"))),
                "")


def customer_ref(customer: Raw, *, phone: str | None, email: Any = None,
                 names_from: Raw | None = None, locale: Any = None) -> CustomerRef:
    """A CustomerRef from a Shopify customer object; platform_id '' for a guest."""
    names = names_from or {}
    return CustomerRef(
        platform_id=optional_ident(customer.get("id"), "customer id"),
        first_name=text(customer.get("first_name")) or text(names.get("first_name")),
        last_name=text(customer.get("last_name")) or text(names.get("last_name")),
        phone=phone,
        email=text(customer.get("email")) or text(email) or None,
        locale=text(locale) or text(customer.get("locale")) or None,
    )


def _array(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def catalog_product(data: Raw, *, currency: str, store_base_url: str = "") -> ProductEvent:
    """A REST-shaped product (`products/update` body) with everything the catalog maps:
    description, vendor, images (variant images by image_id), compare-at prices, stock."""
    images = objects(data.get("images"), "images")
    srcs = {key: text(i.get("src")) for i in images
            if (key := optional_ident(i.get("id"), "image id"))}
    handle = text(data.get("handle"))
    base = store_base_url.rstrip("/")
    return ProductEvent(
        kind=EventKind.PRODUCT_CHANGED,
        product_id=ident(data.get("id"), "product id"),
        title=text(data.get("title")),
        # A REST body says "unpublished from the Online Store" with published_at: null.
        status=listing_status(text(data.get("status")),
                              published="published_at" not in data
                              or data.get("published_at") is not None),
        handle=handle,
        description_html=text(data.get("body_html")),
        vendor=text(data.get("vendor")),
        category=text(data.get("product_type")).strip(),
        url=f"{base}/products/{handle}" if base and handle else "",
        image_urls=tuple(s for s in (text(i.get("src")) for i in images) if s),
        currency=currency,
        variants=tuple(_catalog_variant(v, srcs)
                       for v in objects(data.get("variants"), "variants")),
    )


# ProductEvent.status for an active product that is not on the Online Store: its page does
# not open for shoppers, so the sync keeps it out like a draft.
UNPUBLISHED = "unpublished"


def listing_status(status: str, *, published: bool) -> str:
    """A product's status in lower case ("active", "draft", "archived", "unlisted"), or
    UNPUBLISHED for an active product that is not published to the Online Store."""
    status = status.strip().lower()
    return UNPUBLISHED if status == "active" and not published else status


def _catalog_variant(v: Raw, srcs: dict[str, str]) -> Variant:
    tracked = bool(text(v.get("inventory_management")))
    # "continue" sells past zero, so such a variant is always in stock for the shopper.
    keeps_selling = text(v.get("inventory_policy")) == "continue"
    return Variant(
        variant_id=ident(v.get("id"), "variant id"),
        title=text(v.get("title")),
        sku=text(v.get("sku")),
        price=optional_money(v.get("price"), "variant price"),
        compare_at_price=optional_money(v.get("compare_at_price"), "compare_at_price"),
        inventory_item_id=optional_ident(v.get("inventory_item_id"), "inventory item"),
        inventory_quantity=count(v.get("inventory_quantity"), "inventory_quantity")
        if tracked else None,
        in_stock=True if keeps_selling or not tracked else None,
        image_url=srcs.get(optional_ident(v.get("image_id"), "image id") or "-", ""),
    )
