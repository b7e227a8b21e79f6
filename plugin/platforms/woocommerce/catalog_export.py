"""A WooCommerce store's whole catalog, page by page: `products` 100 at a time and, for a
variable product, its `variations`, through the store's checked client (egress).

Paging is by id, oldest first, so products created during the read land on later pages.
A product deleted during the read shifts every later one a place back, and plain page
numbers would then skip one: when X-WP-Total drops between two pages the read steps back
as many pages as were emptied and skips the ids already seen. (A deletion exactly offset by
a creation between two page requests cannot be seen this way; the next sync finds it.)
One page of products and one product's variations are held at a time.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from typing import Any

from adapters.woocommerce import payloads
from adapters.woocommerce.client import (
    PER_PAGE,
    RequestError,
    WooClient,
)
from plugin.domain.errors import PayloadError
from plugin.domain.events import ProductEvent
from plugin.models import Store
from plugin.platforms.woocommerce import sites

log = logging.getLogger(__name__)

# Oldest first by id: new products go to the end instead of shifting the pages being read.
LIST_PARAMS = {"orderby": "id", "order": "asc"}
# WooCommerce's answer for a product id it does not have (deleted while we read).
GONE_STATUS = 404


def read_products(store: Store) -> Iterator[ProductEvent]:
    """Every product of `store` (any status: drafts and private ones come with their
    status, so the sync can keep them out) with its variations, one at a time, priced in
    the store's currency. WooError when the store fails; refused keys or a refused address
    also mark the store, as every other call to it does."""
    currency = (store.currency or "").strip().upper()
    with sites.calling(store) as api:
        for product in _products(api):
            event = _event(api, product, currency)
            if event is not None:
                yield event


def read_product(store: Store, product_id: str) -> ProductEvent | None:
    """One product of `store` with its variations, read as `read_products` reads each (so
    a webhook's product is mapped the same way as the full sync's); None when the store no
    longer has it. Errors as `read_products`."""
    with sites.calling(store) as api:
        try:
            product = _json(api.request("GET", f"products/{product_id}"))
            if not isinstance(product, dict):
                raise RequestError("products/<id> did not answer an object")
            return _event(api, product, (store.currency or "").strip().upper())
        except RequestError as error:
            if error.status == GONE_STATUS:
                return None
            raise


def _products(api: WooClient) -> Iterator[dict[str, Any]]:
    """Every product object once, in id order, across pages that may shift under us."""
    page, last_id, known_total = 1, 0, None
    while True:
        response = api.request("GET", "products",
                               params={**LIST_PARAMS, "per_page": PER_PAGE, "page": page})
        items = _objects(_json(response), "products")
        total = _header(response.headers.get("X-WP-Total"), len(items))
        pages = _header(response.headers.get("X-WP-TotalPages"), page)
        if known_total is not None and total < known_total and page > 1:
            # Products were deleted since the last page: later ones moved back by as many
            # places, so step back as many pages; the ids already yielded are skipped.
            page = max(1, page - math.ceil((known_total - total) / PER_PAGE))
            known_total = total
            continue
        known_total = total
        fresh = [item for item in items if _id(item) > last_id]
        yield from fresh
        last_id = max([last_id, *(_id(item) for item in fresh)])
        if page >= pages or not items:
            return
        page += 1


def _event(api: WooClient, product: dict[str, Any], currency: str) -> ProductEvent | None:
    """The product with its variations; None when it was deleted while we read it."""
    variations: list[dict[str, Any]] = []
    if product.get("type") == "variable":
        try:
            for page in api.pages(f"products/{_id(product)}/variations"):
                variations.extend(_objects(page, "variations"))
        except RequestError as error:
            if error.status == GONE_STATUS:
                log.info("woocommerce: product %s went away during the read", product.get("id"))
                return None
            raise
    try:
        return payloads.catalog_product(product, variations, currency=currency)
    except ValueError as error:  # a product without an id, a variant without one
        raise PayloadError(f"product {product.get('id')!r}: {error}") from None


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        raise RequestError("the store answered something that is not JSON",
                           response.status_code) from None


def _objects(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise RequestError(f"{name} did not answer a list")
    return [item for item in value if isinstance(item, dict)]


def _id(item: dict[str, Any]) -> int:
    try:
        return int(item.get("id") or 0)
    except (TypeError, ValueError):
        return 0


def _header(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
