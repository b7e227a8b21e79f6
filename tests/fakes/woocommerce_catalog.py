"""The fake WooCommerce site's catalog: simple and variable products and their variations.

As WooCommerce does: a variable product lists its variation ids in `variations` and its
price as the cheapest variation's; `GET products/<id>/variations` pages like every list
(per_page at most 100, X-WP-Total and X-WP-TotalPages); the variations of a product that no
longer exists are an empty list (the query finds no children), not an error; deleting a
product with force=true removes it and its variations at once.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from tests.fakes.woocommerce import FakeWooCommerce


def add_simple(site: FakeWooCommerce, **fields: Any) -> dict[str, Any]:
    """A simple product with an image, in stock (no webhook)."""
    product = site.add_product(deliver=False, **{
        "type": "simple", "regular_price": "49.90", "sale_price": "", "stock_quantity": None,
        "description": "<p>Washed linen.</p>", "short_description": "",
        "images": [{"id": 1, "src": f"{site.url or 'https://shop.example'}/img/shirt.jpg"}],
        "brands": [], "attributes": [], "variations": [], **fields})
    return product


def add_variable(site: FakeWooCommerce, variations: int, **fields: Any) -> dict[str, Any]:
    """A variable product with `variations` variations (sizes), each with its own id."""
    product = add_simple(site, type="variable", price="", regular_price="", **fields)
    rows = []
    with site._lock:
        for n in range(1, variations + 1):
            rows.append({"id": next(site._ids), "parent_id": product["id"],
                         "sku": f"{product['sku']}-{n}", "price": f"{20 + n % 7}.00",
                         "regular_price": f"{20 + n % 7}.00", "sale_price": "",
                         "status": "publish", "stock_status": "instock",
                         "stock_quantity": 3, "image": None,
                         "attributes": [{"id": 1, "name": "Size", "option": f"S{n}"}]})
        site.variations[product["id"]] = rows
        product["variations"] = [row["id"] for row in rows]
        product["price"] = min((row["price"] for row in rows), default="")
    return product


def delete_product(site: FakeWooCommerce, product_id: int) -> None:
    """The owner deletes a product for good (force=true): it and its variations go."""
    with site._lock:
        site.products.pop(product_id, None)
        site.variations.pop(product_id, None)


def variations_route(site: FakeWooCommerce, request: Request, product_id: int) -> Response:
    """GET products/<id>/variations, paged like every list."""
    with site._lock:
        rows = list(site.variations.get(product_id, []))
    return site._list(request, sorted(rows, key=lambda row: row["id"]))
