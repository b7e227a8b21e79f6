"""The fake Shopify's products and bulk query operations (FakeShopify.bulk).

It behaves like Shopify (Admin API 2025-10) where StoreChat depends on it:
- `bulkOperationRunQuery` starts an operation in CREATED; while one of the app's query
  operations is CREATED or RUNNING on the shop, another is refused with Shopify's userError
  ("A bulk query operation for this app and shop is already in progress: <gid>.", code
  OPERATION_IN_PROGRESS) and no operation;
- `currentBulkOperation` and `node(id:)` report it; each look moves it one step,
  CREATED → RUNNING → COMPLETED (`hold()` keeps it RUNNING until `complete()`), with
  objectCount / rootObjectCount as strings (UnsignedInt64);
- on completion the catalog is read as it is *then* (a product deleted while the operation
  runs is not in the file) and written to a temporary file, served at a loopback URL (so
  serving it costs no generation), and the signed `bulk_operations/finish` webhook is sent
  to the app when a sender was given;
- the JSONL file: one line per product, then its variants and media as lines with
  `__parentId` right after it (groupObjects true); with groupObjects false every child is
  written after all the products, which Shopify allows ("after the parent, not directly");
- a catalog can be a generator function (`generated`), so 100,000 variants stream out
  without ever being held.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from werkzeug.wrappers import Response

Product = dict[str, Any]
Catalog = Callable[[], Iterable[Product]]
Notify = Callable[[str, dict[str, Any]], int]  # (topic, payload) → HTTP status

IN_PROGRESS = "A bulk query operation for this app and shop is already in progress: {id}."
# Bytes per piece when serving a file.
FILE_CHUNK = 256 * 1024
FILE_PATH = re.compile(r"^/bulk-results/(?P<id>\d+)\.jsonl$")


@dataclass
class Operation:
    """One bulk query operation of the app on a shop."""

    id: str
    shop: str
    query: str
    group_objects: bool
    status: str = "CREATED"
    held: bool = False
    file: IO[bytes] | None = None  # the JSONL file, written at completion
    size: int = 0
    error_code: str | None = None  # Shopify's errorCode once FAILED
    objects: int = 0
    roots: int = 0
    url: str | None = None


@dataclass
class FakeBulk:
    """Products per shop and the bulk operations over them."""

    catalogs: dict[str, dict[str, Product] | Catalog] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    senders: dict[str, Notify] = field(default_factory=dict)
    downloads: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(4046676525245))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # --- arranging ---------------------------------------------------------------------

    def add_product(self, shop: str, product_id: int, *, variants: int = 1,
                    **fields: Any) -> Product:
        """A product as the bulk query selects it, with `variants` variants (or the given
        `variants_data`), one image, ACTIVE and on the Online Store unless told."""
        product = product_lines(product_id, variants, **fields)
        with self._lock:
            catalog = self.catalogs.setdefault(shop, {})
            assert isinstance(catalog, dict), "this shop's catalog is generated"
            catalog[product["id"]] = product
        return product

    def delete_product(self, shop: str, product_id: int) -> None:
        """The merchant deletes a product (at once, even while an operation runs)."""
        with self._lock:
            catalog = self.catalogs.get(shop)
            assert isinstance(catalog, dict)
            catalog.pop(f"gid://shopify/Product/{product_id}", None)

    def generated(self, shop: str, products: int, variants_each: int) -> None:
        """A catalog made on demand: `products` products of `variants_each` variants."""
        self.catalogs[shop] = lambda: (product_lines(n, variants_each)
                                       for n in range(1, products + 1))

    def deliver_to(self, shop: str, notify: Notify) -> None:
        """Send this shop's `bulk_operations/finish` webhooks through `notify`."""
        self.senders[shop] = notify

    def hold(self, shop: str) -> None:
        """Keep the shop's running operation RUNNING until `complete` (a long export)."""
        with self._lock:
            self._current(shop).held = True

    def complete(self, shop: str, base_url: str = "") -> Operation:
        """Finish the shop's operation now (file written, webhook sent)."""
        with self._lock:
            operation = self._current(shop)
            operation.held = False
            operation.status = "RUNNING"
        return self._advance(operation, base_url or operation.url or "")

    def fail(self, shop: str, error_code: str = "INTERNAL_SERVER_ERROR") -> None:
        """End the shop's operation as FAILED with `error_code`."""
        with self._lock:
            operation = self._current(shop)
            operation.status = "FAILED"
            operation.error_code = error_code
        self._notify(operation, error_code)

    # --- GraphQL -------------------------------------------------------------------------

    def resolve(self, shop: str, query: str, variables: dict[str, Any],
                base_url: str) -> dict[str, Any]:
        """The bulk fields of one GraphQL document (empty when it asks none)."""
        data: dict[str, Any] = {}
        if re.search(r"\bbulkOperationRunQuery\s*\(", query):
            data["bulkOperationRunQuery"] = self._run(shop, query, variables)
        if re.search(r"\bcurrentBulkOperation\b", query):
            operation = self._latest(shop)
            data["currentBulkOperation"] = (self._state(operation, base_url)
                                            if operation else None)
        match = re.search(r"\bnode\s*\(\s*id:", query)
        if match and "BulkOperation" in query:
            operation = self.operations.get(str(variables.get("id", "")))
            data["node"] = (self._state(operation, base_url)
                            if operation is not None and operation.shop == shop else None)
        return data

    def _run(self, shop: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        inner = str(variables.get("query") or "")
        if not re.search(r"\bproducts\b", inner):
            return {"bulkOperation": None, "userErrors": [
                {"field": ["query"], "message": "Bulk queries must contain at least one "
                 "connection.", "code": "INVALID"}]}
        group = not re.search(r"groupObjects:\s*false", query)
        with self._lock:
            running = next((o for o in self.operations.values() if o.shop == shop
                            and o.status in ("CREATED", "RUNNING")), None)
            if running is not None:
                return {"bulkOperation": None, "userErrors": [
                    {"field": None, "message": IN_PROGRESS.format(id=running.id),
                     "code": "OPERATION_IN_PROGRESS"}]}
            operation = Operation(id=f"gid://shopify/BulkOperation/{next(self._ids)}",
                                  shop=shop, query=inner, group_objects=group)
            self.operations[operation.id] = operation
        return {"bulkOperation": {"id": operation.id, "status": "CREATED"}, "userErrors": []}

    def _state(self, operation: Operation, base_url: str) -> dict[str, Any]:
        """The operation as Shopify shows it; looking moves it on one step."""
        if operation.status == "CREATED":
            operation.status = "RUNNING"
        elif operation.status == "RUNNING" and not operation.held:
            self._advance(operation, base_url)
        return {"id": operation.id, "status": operation.status,
                "errorCode": operation_error(operation), "type": "QUERY",
                "objectCount": str(operation.objects),
                "rootObjectCount": str(operation.roots),
                "fileSize": None if operation.file is None else str(operation.size),
                "url": operation.url if operation.status == "COMPLETED" else None,
                "partialDataUrl": None}

    def _advance(self, operation: Operation, base_url: str) -> Operation:
        """RUNNING → COMPLETED: write the file from the catalog as it is now (streamed to a
        temporary file, as Shopify writes to its storage), count it, tell the app."""
        with self._lock:
            if operation.status != "RUNNING":
                return operation
            catalog = self.catalogs.get(operation.shop, {})
            products = catalog.values() if isinstance(catalog, dict) else catalog()
            operation.file = tempfile.TemporaryFile()
            # Closed when the operation goes (the fake has no end of its own to close it at).
            weakref.finalize(operation, operation.file.close)
            for product in products:
                operation.roots += 1
                operation.objects += 1 + len(product["variants"]) + len(product["media"])
                for chunk in jsonl([product], group_objects=True):
                    operation.file.write(chunk)
            if not operation.group_objects:  # children after all the parents, not grouped
                operation.file.seek(0)
                rows = [json.loads(line) for line in operation.file]
                operation.file.seek(0)
                operation.file.truncate()
                for row in sorted(rows, key=lambda r: "__parentId" in r):
                    operation.file.write(_line(row))
            operation.file.flush()  # served with pread, below the file object's buffer
            operation.size = operation.file.tell()
            operation.url = (f"{base_url.rstrip('/')}/{operation.shop}/bulk-results/"
                             f"{operation.id.rsplit('/', 1)[-1]}.jsonl")
            operation.status = "COMPLETED"
        self._notify(operation, None)
        return operation

    def _notify(self, operation: Operation, error_code: str | None) -> None:
        notify = self.senders.get(operation.shop)
        if notify is None:
            return
        notify("bulk_operations/finish", {
            "admin_graphql_api_id": operation.id, "completed_at": None, "created_at": None,
            "error_code": error_code.lower() if error_code else None,
            "status": operation.status.lower(), "type": "query"})

    def _current(self, shop: str) -> Operation:
        operation = self._latest(shop)
        assert operation is not None, f"no bulk operation on {shop}"
        return operation

    def _latest(self, shop: str) -> Operation | None:
        mine = [o for o in self.operations.values() if o.shop == shop]
        return mine[-1] if mine else None

    # --- the file ------------------------------------------------------------------------

    def serve(self, shop: str, rest: str) -> Response | None:
        """The JSONL file of a completed operation, streamed; None for another path."""
        match = FILE_PATH.match(rest)
        if match is None:
            return None
        operation = self.operations.get(f"gid://shopify/BulkOperation/{match['id']}")
        if operation is None or operation.shop != shop or operation.file is None:
            return Response("<Error><Code>NoSuchKey</Code></Error>", 404,
                            mimetype="application/xml")
        with self._lock:
            self.downloads += 1
        return Response(_chunks(operation.file.fileno(), operation.size),
                        mimetype="application/jsonl",
                        headers={"Content-Length": str(operation.size)})


def _chunks(fileno: int, size: int) -> Iterator[bytes]:
    """The file's bytes in pieces; pread, so several downloads may read it at once."""
    for offset in range(0, size, FILE_CHUNK):
        yield os.pread(fileno, FILE_CHUNK, offset)


def operation_error(operation: Operation) -> str | None:
    """The errorCode Shopify shows: None unless the operation failed."""
    return operation.error_code if operation.status == "FAILED" else None


def product_lines(product_id: int, variants: int = 1, **fields: Any) -> Product:
    """A product as the bulk query selects it: its own fields plus `variants` and `media`
    lists (written as child lines). Keyword fields replace the defaults; `variants_data`
    gives the variants as they are."""
    gid = f"gid://shopify/Product/{product_id}"
    variant_rows = fields.pop("variants_data", None) or [
        {"id": f"gid://shopify/ProductVariant/{product_id * 1000 + n}",
         "title": f"Size {n}" if variants > 1 else "Default Title",
         "sku": f"SKU-{product_id}-{n}", "price": "12.50", "compareAtPrice": None,
         "inventoryQuantity": 5, "inventoryPolicy": "DENY",
         "inventoryItem": {"id": f"gid://shopify/InventoryItem/{product_id * 1000 + n}",
                           "tracked": True},
         "image": None}
        for n in range(1, variants + 1)]
    media = fields.pop("media", None)
    if media is None:
        media = [{"id": f"gid://shopify/MediaImage/{product_id}",
                  "image": {"url": f"https://cdn.shopify.com/s/files/p{product_id}.jpg"}}]
    handle = fields.get("handle", f"product-{product_id}")
    return {"id": gid, "title": f"Product {product_id}", "handle": handle,
            "status": "ACTIVE", "vendor": "Acme", "descriptionHtml": "<p>Soft linen.</p>",
            "onlineStoreUrl": f"https://acme.example/products/{handle}",
            **fields, "variants": variant_rows, "media": media}


def jsonl(products: Iterable[Product], *, group_objects: bool = True) -> Iterator[bytes]:
    """The bulk file's lines, as Shopify writes them (`\\/` is not escaped: Shopify's JSON
    writer leaves slashes alone), one product at a time when grouped."""
    later: list[bytes] = []
    for product in products:
        own = {k: v for k, v in product.items() if k not in ("variants", "media")}
        yield _line(own)
        children = [_line({**child, "__parentId": product["id"]})
                    for child in (*product["variants"], *product["media"])]
        if group_objects:
            yield b"".join(children)
        else:
            later.extend(children)
    yield from later


def _line(row: dict[str, Any]) -> bytes:
    return json.dumps(row, separators=(",", ":")).encode() + b"\n"
