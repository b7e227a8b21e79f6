"""Shopify's GraphQL bulk operation for the whole catalog: the query, the operation's state,
and a streaming reader of the JSONL file it writes.

How Shopify writes the file (Admin API 2025-10, `groupObjects: true`): one JSON object per
line; a product is a line without `__parentId`, and each node of its nested connections
(variants, media) is a later line whose `__parentId` is the product's id. With grouping on,
a product's children come right after it, before the next product, so a product is complete
when the next product line (or the end of the file) arrives: the reader holds one product
and its children, never the file. Grouping is asked for explicitly because newer API
versions turn it off by default, and without it children may come anywhere after their
parent.

Ids are read as the numeric ids the REST webhooks carry ("gid://shopify/Product/42" → "42"),
so a product read here and the same product in a `products/update` body are one product.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from adapters.fields import optional_money, text
from adapters.shopify import payloads
from adapters.shopify.admin import AdminError
from plugin.domain.events import EventKind, ProductEvent, Variant

Raw = dict[str, Any]

# Statuses after which an operation never changes again (lower case, as we report them).
FINISHED_STATUSES = frozenset({"completed", "failed", "canceled", "expired"})
# Shopify's userErrors code when an operation of the app is already running on the shop.
IN_PROGRESS_CODE = "OPERATION_IN_PROGRESS"

# The one top-level connection (products) with two nested ones: 3 of the 5 connections and
# 2 levels of nesting Shopify allows. `first:` is left out: a bulk query reads everything.
PRODUCTS_QUERY = """{
  products {
    edges { node {
      id title handle status vendor productType descriptionHtml onlineStoreUrl
      variants { edges { node {
        id title sku price compareAtPrice inventoryQuantity inventoryPolicy
        inventoryItem { id tracked }
        image { url }
      } } }
      media { edges { node {
        id
        ... on MediaImage { image { url } }
      } } }
    } }
  }
}"""

RUN_MUTATION = """mutation StoreChatCatalogExport($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: true) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}"""

STATE_QUERY = """query StoreChatExportState($id: ID!) {
  node(id: $id) { ... on BulkOperation {
    id status errorCode objectCount rootObjectCount fileSize url partialDataUrl
  } }
}"""


class ExportRefused(AdminError):
    """Shopify would not start the export; `code` is its userErrors code (e.g.
    OPERATION_IN_PROGRESS, then `running_id` names the operation already running)."""

    def __init__(self, message: str, code: str = "", running_id: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.running_id = running_id


class ExportFileError(AdminError):
    """The export's file could not be read to its end (network, or a line that is not
    Shopify's JSON): the products read so far are not the whole catalog."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportState:
    """Where a bulk operation stands, as `node(id:)` reports it (statuses in lower case)."""

    export_id: str
    status: str  # created | running | completed | failed | canceling | canceled | expired
    url: str | None  # the JSONL file once completed (valid for 7 days); None before
    error: str  # Shopify's errorCode in lower case ("" when none)
    object_count: int  # products, variants and media read so far
    root_object_count: int = 0  # products read so far
    partial_url: str | None = None  # what a failed operation managed to write, if anything

    @property
    def finished(self) -> bool:
        """True once the status can no longer change."""
        return self.status in FINISHED_STATUSES

    @classmethod
    def from_node(cls, node: Raw) -> ExportState:
        """From the BulkOperation object of STATE_QUERY (counts arrive as strings)."""
        return cls(export_id=text(node.get("id")),
                   status=text(node.get("status")).lower(),
                   url=text(node.get("url")) or None,
                   error=text(node.get("errorCode")).lower(),
                   object_count=_count(node.get("objectCount")),
                   root_object_count=_count(node.get("rootObjectCount")),
                   partial_url=text(node.get("partialDataUrl")) or None)


def started_id(result: Raw) -> str:
    """The new operation's id from RUN_MUTATION's `bulkOperationRunQuery`; ExportRefused
    when Shopify answered userErrors instead."""
    errors = [e for e in payloads.objects(result.get("userErrors"), "userErrors")]
    operation = payloads.obj(result.get("bulkOperation"), "bulkOperation")
    if errors or not text(operation.get("id")):
        message = "; ".join(filter(None, (text(e.get("message")) for e in errors))) \
            or "Shopify did not start the export"
        code = next((text(e.get("code")) for e in errors if text(e.get("code"))), "")
        running = _running_id(message)
        if not code and running:  # some answers leave the code out; the message says it
            code = IN_PROGRESS_CODE
        raise ExportRefused(message, code, running)
    return text(operation["id"])


def _running_id(message: str) -> str:
    start = message.find("gid://shopify/BulkOperation/")
    if start < 0:
        return ""
    end = start + len("gid://shopify/BulkOperation/")
    while end < len(message) and message[end].isdigit():
        end += 1
    return message[start:end]


# --- the file ----------------------------------------------------------------------------

def read_products(lines: Iterable[str | bytes], *, currency: str) -> Iterator[ProductEvent]:
    """One ProductEvent per product line of a bulk file, yielded as soon as the next product
    starts; `currency` (the shop's) goes on every event. Children whose product is not the
    one being read (it vanished mid-export) are skipped; a line that is not a JSON object
    raises ExportFileError."""
    currency = currency.strip().upper()
    product: Raw | None = None
    children: list[Raw] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        row = _row(line, number)
        parent = row.get("__parentId")
        if parent is None:
            if product is not None:
                yield _event(product, children, currency, number)
            product, children = row, []
        elif product is not None and parent == product.get("id"):
            children.append(row)
    if product is not None:
        yield _event(product, children, currency, 0)


def _row(line: str | bytes, number: int) -> Raw:
    try:
        row = json.loads(line)
    except ValueError:
        raise ExportFileError(f"line {number} of the export is not JSON") from None
    if not isinstance(row, dict):
        raise ExportFileError(f"line {number} of the export is not an object")
    return row


def _event(product: Raw, children: list[Raw], currency: str, number: int) -> ProductEvent:
    try:
        return product_event(product, children, currency=currency)
    except (KeyError, TypeError, ValueError) as error:
        where = f"before line {number}" if number else "at the end"
        raise ExportFileError(f"a product {where} of the export cannot be read: "
                              f"{error}") from None


def product_event(product: Raw, children: Iterable[Raw], *, currency: str) -> ProductEvent:
    """A product line and its child lines (variants, media) as a ProductEvent."""
    variants: list[Variant] = []
    images: list[str] = []
    for child in children:
        kind = _kind(text(child.get("id")))
        if kind == "ProductVariant":
            variants.append(_variant(child))
        elif kind == "MediaImage":
            url = text(payloads.obj(child.get("image"), "image").get("url"))
            if url and url not in images:  # an image still processing has none yet
                images.append(url)
    store_url = text(product.get("onlineStoreUrl"))
    return ProductEvent(
        kind=EventKind.PRODUCT_CHANGED,
        product_id=legacy_id(product.get("id"), "product id"),
        title=text(product.get("title")),
        status=payloads.listing_status(text(product.get("status")), published=bool(store_url)),
        handle=text(product.get("handle")),
        variants=tuple(variants),
        description_html=text(product.get("descriptionHtml")),
        vendor=text(product.get("vendor")),
        category=text(product.get("productType")).strip(),
        # No url: the sync builds /products/<handle> on the store's domain, as it does for
        # the products/* webhooks (which carry no page address), so the two never disagree
        # and a webhook never re-sends an unchanged item for a different link.
        url="",
        image_urls=tuple(images),
        currency=currency,
    )


def _variant(data: Raw) -> Variant:
    item = payloads.obj(data.get("inventoryItem"), "inventoryItem")
    tracked = item.get("tracked") is not False  # Shopify tracks new variants by default
    # CONTINUE sells past zero, so such a variant is always in stock for the shopper.
    keeps_selling = text(data.get("inventoryPolicy")).upper() == "CONTINUE"
    return Variant(
        variant_id=legacy_id(data.get("id"), "variant id"),
        title=text(data.get("title")),
        sku=text(data.get("sku")),
        price=optional_money(data.get("price"), "variant price"),
        compare_at_price=optional_money(data.get("compareAtPrice"), "compareAtPrice"),
        inventory_item_id=legacy_id(item.get("id"), "inventory item") if item.get("id") else "",
        inventory_quantity=payloads.count(data.get("inventoryQuantity"), "inventoryQuantity")
        if tracked else None,
        in_stock=True if keeps_selling or not tracked else None,
        image_url=text(payloads.obj(data.get("image"), "image").get("url")),
    )


def legacy_id(gid: Any, name: str) -> str:
    """The numeric id of a GraphQL id ("gid://shopify/ProductVariant/7?x=1" → "7"), as
    webhooks name the same object; ValueError when absent."""
    value = payloads.ident(gid, name)
    return value.split("?", 1)[0].rsplit("/", 1)[-1]


def _kind(gid: str) -> str:
    """The object type of a GraphQL id ("ProductVariant"), '' for anything else."""
    parts = gid.split("?", 1)[0].split("/")
    return parts[-2] if len(parts) >= 5 and gid.startswith("gid://") else ""


def _count(value: Any) -> int:
    # UnsignedInt64 fields arrive as JSON strings ("1500").
    try:
        return int(str(value)) if value is not None else 0
    except ValueError:
        return 0
