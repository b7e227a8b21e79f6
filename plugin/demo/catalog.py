"""The demo store's products: a small shop's catalog, simple and variable products, one
without an image (so "kept out" shows), read by a full sync like a real store's."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from plugin.domain.events import EventKind, ProductEvent, Variant

DEMO_SHOP_URL = "https://demo.storechat.invalid"

# (handle, title, vendor, description, price, was, stock, variants, has an image)
# variants: (variant title, price or None for the product's, stock)
_PRODUCTS: tuple[tuple[str, str, str, str, str, str, int,
                       tuple[tuple[str, str | None, int], ...], bool], ...] = (
    ("linen-shirt", "Linen shirt", "Casa Lino",
     "<p>Washed <strong>European linen</strong>, relaxed fit. Breathes in summer heat.</p>",
     "49.90", "", 0, (("S", None, 4), ("M", None, 9), ("L", None, 0), ("XL", None, 2)), True),
    ("espresso-cups", "Espresso cups (set of 2)", "Barro", "<p>Hand-thrown stoneware, 80 ml."
     "</p>", "18.50", "", 25, (), True),
    ("tote-bag", "Canvas tote bag", "Casa Lino", "<p>Heavy cotton canvas with an inner "
     "pocket.</p>", "22.00", "", 40, (), True),
    ("mug", "Tom & Jerry #1 — 50% \"off\" 🎉 mug", "Barro", "<p>Our best-selling mug, 350 ml."
     "</p><script>track()</script>", "12.00", "24.00", 12, (), True),
    ("olive-oil", "Extra virgin olive oil 500 ml", "Quinta Verde", "<p>Cold pressed, from "
     "the Douro valley. Harvest 2026.</p>", "14.90", "", 60, (), True),
    ("sardines", "Sardines in olive oil (tin)", "Conserveira", "<p>Line-caught, packed by "
     "hand.</p>", "4.50", "", 0, (), True),
    ("tea-towel", "Tea towel", "Casa Lino", "<p>Linen-cotton, 50 × 70 cm.</p>", "9.90", "",
     0, (("Sand", None, 15), ("Sage", None, 8), ("Terracotta", None, 0)), True),
    ("sneakers", "Cork sneakers", "Passo", "<p>Vegan leather, cork insole.</p>", "89.00", "",
     0, (("38", None, 2), ("39", None, 5), ("40", None, 3), ("41", None, 1), ("42", "94.00", 0)),
     True),
    ("candle", "Fig leaf candle", "Luz", "<p>Soy wax, 40 hours.</p>", "19.00", "", 18, (),
     True),
    ("notebook", "Cork notebook A5", "Papel", "<p>Dotted pages, lays flat.</p>", "11.50", "",
     30, (), True),
    ("apron", "Denim apron", "Casa Lino", "<p>Cross-back straps, two pockets.</p>", "34.00",
     "", 0, (("Indigo", None, 6), ("Black", None, 4)), True),
    ("gift-card", "Gift card", "StoreChat Demo Shop", "<p>Any amount, by email.</p>", "25.00",
     "", 999, (), False),
)


def demo_products(currency: str = "EUR") -> list[ProductEvent]:
    """The demo catalog as product events (product ids "demo-p<n>")."""
    out = []
    for number, (handle, title, vendor, html, price, was, stock, variants,
                 imaged) in enumerate(_PRODUCTS, start=1):
        product_id = f"demo-p{number}"
        rows = variants or (("Default Title", None, stock),)
        out.append(ProductEvent(
            kind=EventKind.PRODUCT_CHANGED, product_id=product_id, title=title,
            status="active", handle=handle, description_html=html, vendor=vendor,
            url=f"{DEMO_SHOP_URL}/products/{handle}", currency=currency,
            image_urls=(f"{DEMO_SHOP_URL}/images/{handle}.jpg",
                        f"{DEMO_SHOP_URL}/images/{handle}-2.jpg") if imaged else (),
            variants=tuple(
                Variant(variant_id=f"{product_id}-v{index}", title=name,
                        sku=f"{handle.upper()}-{index}", price=Decimal(own or price),
                        compare_at_price=Decimal(was) if was else None,
                        inventory_item_id=f"{product_id}-i{index}", inventory_quantity=qty)
                for index, (name, own, qty) in enumerate(rows, start=1)),
        ))
    return out


class DemoCatalogSource:
    """The demo store's products as a product source (plugin.pipeline.catalog.sources)."""

    def __init__(self, currency: str = "EUR") -> None:
        self.currency = currency

    def products(self, export_id: str | None) -> Iterator[ProductEvent]:
        """Every demo product, one at a time."""
        yield from demo_products(self.currency)
