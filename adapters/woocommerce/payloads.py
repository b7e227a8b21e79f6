"""Readers for the pieces WooCommerce's REST v3 bodies share: ids, money, people, tracking.

These helpers keep raw dicts inside the adapter. They raise plain `ValueError` for a value of
the wrong shape; `adapters.woocommerce.webhooks.parse_event` turns that into a `PayloadError`.
WooCommerce is PHP underneath, which explains the quirks handled here: "none" is often `0`
or `""` rather than null, numbers arrive as strings (and prices sometimes as floats), and an
empty PHP array is serialised as `[]` even where an object is expected.
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

# Meta keys of shipment-tracking plugins, read in this order of preference (see
# `tracking`). A list of shipments, newest last: WooCommerce Shipment Tracking and
# Advanced Shipment Tracking (AST) both store it under this key.
SHIPMENT_ITEMS_KEY = "_wc_shipment_tracking_items"
# YITH WooCommerce Order & Shipment Tracking: one shipment, flat keys, with or without "_".
YITH_NUMBER_KEYS = ("ywot_tracking_code", "_ywot_tracking_code")
YITH_COMPANY_KEYS = ("ywot_carrier_name", "_ywot_carrier_name", "ywot_carrier_id",
                     "_ywot_carrier_id")
YITH_URL_KEYS = ("ywot_carrier_url", "_ywot_carrier_url")
# Generic flat keys that many small plugins and custom snippets write.
GENERIC_NUMBER_KEYS = ("_tracking_number", "tracking_number")
GENERIC_URL_KEYS = ("_tracking_url", "tracking_url", "_tracking_link", "tracking_link")
GENERIC_COMPANY_KEYS = ("_tracking_provider", "tracking_provider", "_tracking_carrier",
                        "tracking_carrier")
# Inside one shipment item: the display name first, the provider slug last.
ITEM_COMPANY_KEYS = ("custom_tracking_provider", "formatted_tracking_provider",
                     "tracking_provider")
ITEM_URL_KEYS = ("custom_tracking_link", "formatted_tracking_link", "ast_tracking_link",
                 "tracking_link")
# The shopper's language: the companion plugin's own key, then WPML's.
LOCALE_KEYS = ("_storechat_locale", "wpml_language", "_wpml_language")
# TrackShip / AST: a list of carrier updates, newest last, each {"status": ...}.
SHIPMENT_STATUS_KEY = "shipment_status"


def obj(value: Any, name: str) -> Raw:
    """The JSON object `value`; {} for null, absent or `[]` (PHP's empty array), else
    ValueError."""
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name} is not an object")
    return value


def objects(value: Any, name: str) -> list[Raw]:
    """A JSON array of objects; [] for null; a PHP array with gaps in its keys arrives as an
    object ({"0": {...}, "2": {...}}) and is read as its values; else ValueError."""
    if value is None:
        return []
    items = list(value.values()) if isinstance(value, dict) else value
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError(f"{name} is not an array of objects")
    return items


def ident(value: Any, name: str) -> str:
    """A WooCommerce id (a positive integer, sometimes a string) as a string; required."""
    text_id = optional_ident(value, name)
    if not text_id:
        raise ValueError(f"{name} is missing")
    return text_id


def optional_ident(value: Any, name: str) -> str:
    """Like `ident`, but '' for null, '' or 0: WooCommerce's way of saying "none"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ValueError(f"{name} is not an id")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{name} is negative")
        return str(value) if value else ""
    if isinstance(value, str):
        stripped = value.strip()
        return "" if stripped == "0" else stripped
    raise ValueError(f"{name} is not an id")


def count(value: Any, name: str) -> int | None:
    """A whole number (quantity, stock); None when null or ''; ValueError otherwise."""
    if value is None or value == "":
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


def line_items(value: Any, name: str = "line_items") -> tuple[LineItem, ...]:
    """Order or cart lines: name, quantity and unit price (`price`, 0 when absent), and
    the product and variation ids (a simple product's line has variation_id 0: its variant
    is the product itself, as the catalog lists it)."""
    return tuple(
        LineItem(
            title=text(item.get("name")),
            quantity=count(item.get("quantity"), "line item quantity") or 0,
            price=money(item.get("price"), "line item price", Decimal("0")),
            product_id=_nonzero(optional_ident(item.get("product_id"), "product_id")),
            variant_id=(_nonzero(optional_ident(item.get("variation_id"), "variation_id"))
                        or _nonzero(optional_ident(item.get("product_id"), "product_id"))),
        )
        for item in objects(value, name)
    )


def _nonzero(ident_: str) -> str:
    """An id as WooCommerce writes "none": 0 reads as ''."""
    return "" if ident_ in ("", "0") else ident_


def cart_items(value: Any, name: str = "items") -> tuple[LineItem, ...]:
    """The companion plugin's cart lines: `line_items` plus, from plugin 1.1 on, the product
    and variation ids, the variation as a shopper reads it, and the main image (http(s) only;
    anything else reads as none). Older plugins send none of these: they read as ''."""
    return tuple(
        LineItem(
            title=text(item.get("name")),
            quantity=count(item.get("quantity"), "line item quantity") or 0,
            price=money(item.get("price"), "line item price", Decimal("0")),
            product_id=optional_ident(item.get("product_id"), "product_id"),
            variant_id=optional_ident(item.get("variation_id"), "variation_id"),
            variant_title=text(item.get("variant_title")).strip(),
            image_url=_web_url(item.get("image_url")),
        )
        for item in objects(value, name)
    )


def _web_url(value: Any) -> str:
    url = text(value).strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


def e164(phone: Any, *countries: Any) -> str | None:
    """The phone in E.164, read as a national number of the first country that makes it valid."""
    for country in [*countries, None]:
        found = to_e164(text(phone), text(country).strip() or None)
        if found:
            return found
    return None


def customer_platform_id(customer_id: Any, email: str | None, phone: str | None,
                         raw_phone: Any = "") -> str:
    """str(customer_id) for a registered shopper; for a guest "guest:" + the lower-cased
    e-mail, else the E.164 phone, else the phone as typed; '' when nothing names them."""
    registered = optional_ident(customer_id, "customer_id")
    if registered:
        return registered
    handle = (email or "").strip().lower() or phone or text(raw_phone).strip()
    return f"guest:{handle}" if handle else ""


def customer_ref(platform_id: str, *, first_name: Any, last_name: Any, phone: str | None,
                 email: str | None, locale: Any = None) -> CustomerRef | None:
    """A CustomerRef, or None when nothing identifies the shopper."""
    if not platform_id:
        return None
    return CustomerRef(platform_id=platform_id, first_name=text(first_name).strip(),
                       last_name=text(last_name).strip(), phone=phone, email=email or None,
                       locale=text(locale).strip() or None)


def meta_values(meta_data: Any) -> dict[str, Any]:
    """meta_data as key → value, the first entry winning as in WooCommerce's get_meta().

    Never raises: meta belongs to plugins and may hold anything, so a malformed entry is
    skipped rather than costing the order its message.
    """
    found: dict[str, Any] = {}
    entries = list(meta_data.values()) if isinstance(meta_data, dict) else meta_data
    if not isinstance(entries, list):
        return found
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            found.setdefault(entry["key"], entry.get("value"))
    return found


def tracking(meta: dict[str, Any]) -> Tracking | None:
    """Where the order's latest shipment can be followed, from shipment-tracking meta."""
    for candidate in (_shipment_items(meta.get(SHIPMENT_ITEMS_KEY)),
                      _flat(meta, YITH_NUMBER_KEYS, YITH_URL_KEYS, YITH_COMPANY_KEYS),
                      _flat(meta, GENERIC_NUMBER_KEYS, GENERIC_URL_KEYS, GENERIC_COMPANY_KEYS)):
        if candidate is not None:
            return candidate
    return None


def _shipment_items(value: Any) -> Tracking | None:
    """The newest item of a `_wc_shipment_tracking_items` list that has a number or a link."""
    items = list(value.values()) if isinstance(value, dict) else value
    if not isinstance(items, list):
        return None
    shipments = [item for item in items if isinstance(item, dict)]
    for item in reversed(shipments):
        found = _tracking(_first(item, ("tracking_number",)), _first(item, ITEM_URL_KEYS),
                          _first(item, ITEM_COMPANY_KEYS))
        if found is not None and (found.number or found.url):
            return found
    return None


def _flat(meta: dict[str, Any], numbers: Iterable[str], urls: Iterable[str],
          companies: Iterable[str]) -> Tracking | None:
    found = _tracking(_first(meta, numbers), _first(meta, urls), _first(meta, companies))
    return found if found is not None and (found.number or found.url) else None


def _tracking(number: str, url: str, company: str) -> Tracking | None:
    # A link goes into a WhatsApp message: only http(s), never javascript: or a bare path.
    # YITH-style carrier URLs may hold a [TRACK_CODE] placeholder for the number.
    url = url.replace("[TRACK_CODE]", number)
    if not url.lower().startswith(("https://", "http://")):
        url = ""
    found = Tracking(number=number, url=url, company=company)
    return found if (number or url or company) else None


def _first(source: dict[str, Any], keys: Iterable[str]) -> str:
    return next((text(source.get(key)).strip() for key in keys
                 if text(source.get(key)).strip()), "")


def http_url(value: Any) -> str:
    """`value` when it is an absolute http(s) URL, else ''."""
    url = text(value).strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


def locale(meta: dict[str, Any]) -> str | None:
    """The shopper's language from order meta ("es", "pt_BR"), or None."""
    found = _first(meta, LOCALE_KEYS)
    return found[:16] if found else None


def shipment_status(meta: dict[str, Any]) -> str:
    """The carrier's newest shipment status from shipment-tracking meta; '' when none."""
    value = meta.get(SHIPMENT_STATUS_KEY)
    updates = list(value.values()) if isinstance(value, dict) else value
    if isinstance(updates, str):
        return updates.strip().lower()
    if not isinstance(updates, list):
        return ""
    for update in reversed(updates):
        if isinstance(update, dict) and text(update.get("status")).strip():
            return text(update.get("status")).strip().lower()
    return ""


# stock_status values a shopper can still buy ("onbackorder" ships later but sells now).
SELLABLE_STOCK_STATUSES = frozenset({"instock", "onbackorder"})


def catalog_product(data: Raw, variations: Iterable[Raw] = (), *, currency: str) -> ProductEvent:
    """A REST v3 product (and, when variable, its `variations` objects) with everything the
    catalog maps; a simple product is one variant under its own id."""
    name = text(data.get("name")).strip()
    brands = objects(data.get("brands"), "brands")
    if text(data.get("type")) == "variable":
        variants = tuple(_catalog_variant(v, title="") for v in variations)
    else:
        variants = (_catalog_variant(data, title=name),)
    return ProductEvent(
        kind=EventKind.PRODUCT_CHANGED,
        product_id=ident(data.get("id"), "product id"),
        title=name,
        status=text(data.get("status")).strip(),
        handle=text(data.get("slug")).strip(),
        description_html=text(data.get("description")) or text(data.get("short_description")),
        vendor=text(brands[0].get("name")).strip() if brands else "",
        category=_first_category(data.get("categories")),
        url=http_url(data.get("permalink")),
        image_urls=tuple(u for u in (http_url(i.get("src"))
                                     for i in objects(data.get("images"), "images")) if u),
        currency=currency,
        variants=variants,
    )


def _first_category(value: Any) -> str:
    """The product's first category by name ('' when none, or only "Uncategorized")."""
    for category in objects(value, "categories"):
        name = text(category.get("name")).strip()
        if name and name.lower() not in ("uncategorized", "uncategorised"):
            return name
    return ""


def _catalog_variant(data: Raw, *, title: str) -> Variant:
    options = [text(a.get("option")).strip()
               for a in objects(data.get("attributes"), "attributes")]
    on_sale = bool(text(data.get("sale_price")).strip())
    status = text(data.get("stock_status")).strip()
    image = data.get("image")
    return Variant(
        variant_id=ident(data.get("id"), "variant id"),
        title=title or " / ".join(filter(None, options)),
        sku=text(data.get("sku")).strip(),
        price=optional_money(data.get("price") or None, "price"),
        compare_at_price=optional_money(data.get("regular_price") or None, "regular_price")
        if on_sale else None,
        inventory_quantity=count(data.get("stock_quantity"), "stock_quantity"),
        in_stock=(status in SELLABLE_STOCK_STATUSES) if status else None,
        image_url=http_url(image.get("src")) if isinstance(image, dict) else "",
    )
