"""Mapping a product to Meta catalog items: one per variant, or kept out with a reason."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.domain.catalog_items import (
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    CatalogItem,
    KeptOut,
    clean_text,
    content_hash,
    cut,
    format_price,
    map_product,
    strip_html,
)
from plugin.domain.events import EventKind, ProductEvent, Variant

BASE = "https://shop.example"


def _product(**overrides: object) -> ProductEvent:
    fields: dict[str, object] = dict(
        kind=EventKind.PRODUCT_CHANGED, product_id="p1", title="Linen shirt", handle="linen-shirt",
        description_html="<p>Soft &amp; cool</p>", vendor="Acme", currency="USD",
        image_urls=("https://cdn.example/a.jpg", "https://cdn.example/b.jpg"),
        variants=(Variant(variant_id="v1", title="M", price=Decimal("12.5"),
                          inventory_quantity=3),),
    )
    fields.update(overrides)
    return ProductEvent(**fields)  # type: ignore[arg-type]


def _ids(product: ProductEvent) -> dict[str, str]:
    return {v.variant_id: f"rid-{v.variant_id}" for v in product.variants}


def _map(product: ProductEvent) -> list[CatalogItem | KeptOut]:
    return map_product(product, store_base_url=BASE, retailer_ids=_ids(product))


def test_a_variant_becomes_an_item_with_meta_fields() -> None:
    [item] = _map(_product())
    assert item == CatalogItem(
        retailer_id="rid-v1", item_group_id="p1", title="Linen shirt",
        description="Soft & cool", price="12.50 USD", sale_price="", availability="in stock",
        condition="new", brand="Acme", link=f"{BASE}/products/linen-shirt",
        image_link="https://cdn.example/a.jpg",
        additional_image_links=("https://cdn.example/b.jpg",), currency="USD")


def test_retailer_id_comes_only_from_the_callers_map() -> None:
    product = _product()
    [item] = map_product(product, store_base_url=BASE, retailer_ids={"v1": "ours-42"})
    assert isinstance(item, CatalogItem) and item.retailer_id == "ours-42"
    [missing] = map_product(product, store_base_url=BASE, retailer_ids={})
    assert isinstance(missing, KeptOut) and "catalog id" in missing.reason


def test_currency_decimals_follow_iso_4217() -> None:
    assert format_price(Decimal("1200.4"), "JPY", 0) == "1200 JPY"
    assert format_price(Decimal("3.5"), "KWD", 3) == "3.500 KWD"
    for code, expected in (("JPY", "13 JPY"), ("KWD", "12.500 KWD"), ("EUR", "12.50 EUR")):
        [item] = _map(_product(currency=code))
        assert isinstance(item, CatalogItem) and item.price == expected


def test_sale_price_when_compare_at_is_higher() -> None:
    variant = Variant(variant_id="v1", title="", price=Decimal("9"),
                      compare_at_price=Decimal("15"), inventory_quantity=1)
    [item] = _map(_product(variants=(variant,)))
    assert isinstance(item, CatalogItem)
    assert (item.price, item.sale_price) == ("15.00 USD", "9.00 USD")


def test_availability_from_status_then_quantity() -> None:
    variants = (
        Variant(variant_id="a", title="A", price=Decimal(1), inventory_quantity=0),
        Variant(variant_id="b", title="B", price=Decimal(1), inventory_quantity=None),
        Variant(variant_id="c", title="C", price=Decimal(1), in_stock=False,
                inventory_quantity=5),
    )
    got = [i.availability for i in _map(_product(variants=variants))
           if isinstance(i, CatalogItem)]
    assert got == ["out of stock", "in stock", "out of stock"]


def test_additional_images_are_capped() -> None:
    images = tuple(f"https://cdn.example/{i}.jpg" for i in range(30))
    [item] = _map(_product(image_urls=images))
    assert isinstance(item, CatalogItem)
    assert item.image_link == images[0] and item.additional_image_links == images[1:11]


def test_no_image_is_kept_out_with_reason() -> None:
    [out] = _map(_product(image_urls=()))
    assert isinstance(out, KeptOut) and out.variant_id == "v1" and "image" in out.reason
    # a variant's own image is enough
    variant = Variant(variant_id="v1", title="M", price=Decimal(5), image_url="https://x/v.jpg")
    [item] = _map(_product(image_urls=(), variants=(variant,)))
    assert isinstance(item, CatalogItem) and item.image_link == "https://x/v.jpg"


def test_price_zero_or_missing_is_kept_out() -> None:
    variants = (Variant(variant_id="z", title="Z", price=Decimal(0)),
                Variant(variant_id="n", title="N", price=None))
    listings = _map(_product(variants=variants))
    assert all(isinstance(x, KeptOut) and "price" in x.reason for x in listings)
    assert [x.variant_id for x in listings if isinstance(x, KeptOut)] == ["z", "n"]


def test_unknown_currency_is_kept_out() -> None:
    [out] = _map(_product(currency="XYZ"))
    assert isinstance(out, KeptOut) and "XYZ" in out.reason
    [empty] = _map(_product(currency=""))
    assert isinstance(empty, KeptOut) and "currency" in empty.reason


def test_250_variants_map_to_250_items_in_one_group() -> None:
    variants = tuple(Variant(variant_id=f"v{i}", title=f"Size {i}", price=Decimal("1.99"))
                     for i in range(250))
    listings = _map(_product(variants=variants))
    assert len(listings) == 250
    assert all(isinstance(x, CatalogItem) and x.item_group_id == "p1" for x in listings)
    assert len({x.retailer_id for x in listings if isinstance(x, CatalogItem)}) == 250


def test_long_html_description_with_scripts() -> None:
    html = ("<script>alert('x')</script><style>p{color:red}</style>"
            + "<p>Great &eacute;t&eacute; shirt.</p>" * 700)
    assert len(html) > 20_000
    [item] = _map(_product(description_html=html))
    assert isinstance(item, CatalogItem)
    assert len(item.description) <= DESCRIPTION_LIMIT
    assert item.description.startswith("Great été shirt. Great")
    assert "alert" not in item.description and "color:red" not in item.description
    assert item.description.endswith("…")


def test_emoji_title_is_cut_without_splitting_graphemes() -> None:
    family = "👨\u200d👩\u200d👧"
    [item] = _map(_product(title=family * 60, variants=(
        Variant(variant_id="v1", title="", price=Decimal(2)),)))
    assert isinstance(item, CatalogItem)
    assert len(item.title) <= TITLE_LIMIT
    body = item.title.removesuffix("…")
    assert body and len(body) % len(family) == 0 and body == family * (len(body) // 5)
    flags = "🇫🇷" * 100
    assert len(cut(flags, 11).removesuffix("…")) % 2 == 0


def test_escaped_markup_never_comes_back_as_a_tag() -> None:
    assert "<" not in strip_html("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert strip_html("a<br>b<div>c</div>&nbsp;d") == "a b c d"


def test_content_hash_is_stable_and_sees_changes() -> None:
    [a] = _map(_product())
    [b] = _map(_product())
    [c] = _map(_product(vendor="Other"))
    assert isinstance(a, CatalogItem) and isinstance(b, CatalogItem) and isinstance(c, CatalogItem)
    assert content_hash(a) == content_hash(b) != content_hash(c)
    assert len(content_hash(a)) == 64


_TOKENS = ["<script>", "</script>", "<", ">", "&lt;", "script", "<p>", "&amp;", " ", "é",
           "👍", "\u200d", "\u0301", "🇫", "<style>", "&#60;"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS) | st.text(max_size=5), max_size=80).map("".join),
       st.integers(min_value=1, max_value=200))
def test_cleaned_text_respects_the_limit(raw: str, limit: int) -> None:
    text = clean_text(raw, limit)
    assert len(text) <= limit
    assert "<script" not in text.lower()


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_scripts_never_survive(before: str, inside: str) -> None:
    html = f"{before}<script>{inside}</script><SCRIPT src=x></SCRIPT>"
    text = clean_text(html, DESCRIPTION_LIMIT)
    assert "<script" not in text.lower()
    assert len(text) <= DESCRIPTION_LIMIT
