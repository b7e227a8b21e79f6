"""What the fake Graph does to one commerce item, as Meta does: reads a batch request,
checks an item (`check_item`: required fields on a new item, "12.50 USD" prices in a known
currency with its decimals, title and description limits, https links, availability and
condition values), applies it by retailer id, and reads it out as GET /products shows it
(prices formatted for people, read names such as `name` and `image_url`).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from plugin.domain.catalog_items import currency_digits

# Meta's commerce limits on an item's text (Commerce Manager product fields).
TITLE_LIMIT = 150
DESCRIPTION_LIMIT = 5000
ADDITIONAL_IMAGES_LIMIT = 20
AVAILABILITY = frozenset({"in stock", "out of stock", "preorder", "available for order",
                          "discontinued"})
CONDITIONS = frozenset({"new", "refurbished", "used"})
REQUIRED = ("title", "description", "availability", "condition", "price", "link",
            "image_link")
PRICE = re.compile(r"(?P<amount>[0-9]+(?:\.(?P<decimals>[0-9]+))?) (?P<currency>[A-Z]{3})")
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def malformed(entry: Any) -> str:
    """Meta's refusal at submission of a request it cannot read ('' when readable)."""
    if not isinstance(entry, dict) or entry.get("method") not in ("UPDATE", "DELETE", "CREATE"):
        return "method must be one of CREATE, UPDATE, DELETE"
    data = entry.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        return "data.id (the item's retailer id) is required"
    return ""


def apply_request(catalog: Any, entry: dict[str, Any], line: int, upsert: bool,
                  errors: list[dict[str, Any]], warnings: list[dict[str, Any]]) -> None:
    """Apply one readable request to a FakeCatalog, noting Meta's errors and warnings."""
    data = entry["data"]
    rid = data["id"]
    if entry["method"] == "DELETE":
        catalog.items.pop(rid, None)
        catalog.position.pop(rid, None)
        return
    existing = catalog.items.get(rid)
    if existing is None and entry["method"] == "UPDATE" and not upsert:
        errors.append({"line": line, "id": rid, "message": "Item does not exist"})
        return
    merged = {**(existing or {}), **data}
    problems, notes = check_item(merged, new=existing is None)
    errors += [{"line": line, "id": rid, "message": m} for m in problems]
    warnings += [{"line": line, "id": rid, "message": m} for m in notes]
    if problems:
        return  # Meta saves nothing of an item with an error
    catalog.items[rid] = merged
    if rid not in catalog.position:
        catalog.position[rid] = len(catalog.order)
        catalog.order.append(rid)


def check_item(data: dict[str, Any], *, new: bool) -> tuple[list[str], list[str]]:
    """Meta's verdict on one commerce item: (errors, warnings), in Meta's manner."""
    errors = [f"Missing required field: {name}" for name in REQUIRED
              if new and not str(data.get(name) or "").strip()]
    price = str(data.get("price") or "")
    if price and not _price_ok(price):
        errors.append(f"Invalid price: '{price}' must be a positive amount and a supported "
                      "ISO 4217 currency code, like 12.50 USD")
    sale = str(data.get("sale_price") or "")
    if sale and not _price_ok(sale):
        errors.append(f"Invalid sale_price: '{sale}' must be an amount and a supported "
                      "currency code, like 9.99 USD")
    elif sale and _price_ok(price) and (sale.split()[1] != price.split()[1]
                                        or Decimal(sale.split()[0]) > Decimal(price.split()[0])):
        errors.append("sale_price must be in the price's currency and not above the price")
    if len(str(data.get("title") or "")) > TITLE_LIMIT:
        errors.append(f"title is longer than {TITLE_LIMIT} characters")
    description = str(data.get("description") or "")
    if len(description) > DESCRIPTION_LIMIT:
        errors.append(f"description is longer than {DESCRIPTION_LIMIT} characters")
    if re.search(r"<[a-zA-Z/][^>]*>", description):
        warnings = ["description contains HTML tags, which are shown as text"]
    else:
        warnings = []
    for name in ("link", "image_link"):
        value = str(data.get(name) or "")
        if value and not value.startswith("https://"):
            errors.append(f"Invalid {name}: '{value}' must be an https URL")
    extra = data.get("additional_image_link") or []
    if not isinstance(extra, list) or len(extra) > ADDITIONAL_IMAGES_LIMIT \
            or any(not str(u).startswith("https://") for u in extra):
        errors.append(f"additional_image_link must be a list of at most "
                      f"{ADDITIONAL_IMAGES_LIMIT} https URLs")
    if data.get("availability") and data["availability"] not in AVAILABILITY:
        errors.append(f"Invalid availability: '{data['availability']}'")
    if data.get("condition") and data["condition"] not in CONDITIONS:
        errors.append(f"Invalid condition: '{data['condition']}'")
    if not (data.get("brand") or data.get("gtin") or data.get("mpn")):
        warnings.append("Add a brand, gtin or mpn so shoppers can find the item")
    return errors, warnings


def _price_ok(value: str) -> bool:
    found = PRICE.fullmatch(value)
    if not found:
        return False
    digits = currency_digits(found["currency"])
    decimals = len(found["decimals"] or "")
    return digits is not None and decimals <= digits and Decimal(found["amount"]) > 0


def read_item(item: dict[str, Any], asked: Any) -> dict[str, Any]:
    """The item as GET /products reads it out (read names differ from write names)."""
    price = str(item.get("price") or "")
    currency = price.split()[1] if _price_ok(price) else ""
    known = {"id": str(abs(hash(item["id"])) % 10**15), "retailer_id": item["id"],
             "name": item.get("title", ""), "description": item.get("description", ""),
             "price": _shown(price), "sale_price": _shown(str(item.get("sale_price") or "")),
             "currency": currency, "availability": item.get("availability", ""),
             "condition": item.get("condition", ""), "image_url": item.get("image_link", ""),
             "url": item.get("link", ""), "brand": item.get("brand", ""),
             "retailer_product_group_id": item.get("item_group_id", "")}
    return {name: known[name] for name in asked if name in known}


def _shown(price: str) -> str:
    """A stored "1234.50 USD" as Meta shows it: "$1,234.50" (or "1,234.50 KWD")."""
    if not _price_ok(price):
        return price
    amount, currency = price.split()
    whole, _, fraction = amount.partition(".")
    text = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
