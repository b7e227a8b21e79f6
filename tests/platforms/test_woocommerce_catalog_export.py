"""plugin/platforms/woocommerce/catalog_export.py against the fake WooCommerce site: every
product and variation read by pages, through the store's checked client."""
from __future__ import annotations

from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient

from plugin.domain.catalog_items import KeptOut, map_product
from plugin.infra import db
from plugin.models import Store
from plugin.platforms.woocommerce.catalog_export import read_products
from tests.fakes import woocommerce_catalog as catalog
from tests.fakes.woocommerce import FakeWooCommerce
from tests.worlds.woocommerce import connect, woo_store


def _store(app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> int:
    connect(owner_client, site)
    return woo_store(app).id


def _reads(site: FakeWooCommerce) -> list[str]:
    return [path for method, path, _ in site.requests
            if method == "GET" and path.startswith("/wc/v3/products")]


def test_simple_and_variable_products_are_read_whole(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    store_id = _store(woo_app, owner_client, site)
    shirt = catalog.add_simple(site, name="Linen shirt", sale_price="39.90",
                               regular_price="49.90", price="39.90", stock_quantity=4,
                               brands=[{"id": 3, "name": "Nordic"}])
    boots = catalog.add_variable(site, 3, name="Boots")
    draft = catalog.add_simple(site, name="Draft", status="draft")
    with woo_app.app_context():
        events = list(read_products(db.session().get(Store, store_id)))
    assert [(e.product_id, e.title, e.status) for e in events] == [
        (str(shirt["id"]), "Linen shirt", "publish"), (str(boots["id"]), "Boots", "publish"),
        (str(draft["id"]), "Draft", "draft")]
    first, second, _ = events
    [variant] = first.variants
    assert (variant.variant_id, variant.price, variant.compare_at_price,
            variant.inventory_quantity) == (str(shirt["id"]), Decimal("39.90"),
                                            Decimal("49.90"), 4)
    assert (first.vendor, first.currency) == ("Nordic", "EUR")
    assert [v.variant_id for v in second.variants] == [str(i) for i in boots["variations"]]
    assert [v.title for v in second.variants] == ["S1", "S2", "S3"]
    assert second.url == boots["permalink"]


def test_a_product_with_250_variations_pages_through_them(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    store_id = _store(woo_app, owner_client, site)
    socks = catalog.add_variable(site, 250, name="Socks")
    with woo_app.app_context():
        [event] = list(read_products(db.session().get(Store, store_id)))
    assert len(event.variants) == 250
    assert len({v.variant_id for v in event.variants}) == 250
    # per_page 100 (WooCommerce's most): three pages of variations.
    assert _reads(site).count(f"/wc/v3/products/{socks['id']}/variations") == 3


def test_one_product_is_read_at_a_time(woo_app: Flask, owner_client: FlaskClient,
                                       site: FakeWooCommerce) -> None:
    store_id = _store(woo_app, owner_client, site)
    first = catalog.add_variable(site, 2)
    second = catalog.add_variable(site, 2)
    with woo_app.app_context():
        reader = read_products(db.session().get(Store, store_id))
        before = len(site.requests)
        assert next(reader).product_id == str(first["id"])
        asked = [p for _, p, _ in site.requests[before:]]
        assert asked == ["/wc/v3/products", f"/wc/v3/products/{first['id']}/variations"]
        assert next(reader).product_id == str(second["id"])
        assert next(reader, None) is None


def test_products_deleted_during_the_read_skip_nothing_else(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    store_id = _store(woo_app, owner_client, site)
    ids = [catalog.add_simple(site, name=f"P{n}")["id"] for n in range(250)]
    gone_variable = catalog.add_variable(site, 2, name="Gone")
    with woo_app.app_context():
        reader = read_products(db.session().get(Store, store_id))
        seen = [next(reader).product_id]  # page 1 is read
        for product_id in ids[10:13]:  # three products of page 1 go away…
            catalog.delete_product(site, product_id)
        seen += [next(reader).product_id for _ in range(150)]  # …then page 2 is read
        catalog.delete_product(site, gone_variable["id"])  # gone before its page is read
        rest = list(reader)
    seen += [e.product_id for e in rest]
    # Page 1 was read before the deletions, so its products all came; none after them was
    # skipped although every later product moved three places back.
    assert seen == [str(i) for i in ids]
    assert gone_variable["id"] not in {int(i) for i in seen}


def test_a_variable_product_deleted_between_its_listing_and_its_variations(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    store_id = _store(woo_app, owner_client, site)
    kept = catalog.add_simple(site, name="Kept")
    gone = catalog.add_variable(site, 3, name="Gone")
    with woo_app.app_context():
        reader = read_products(db.session().get(Store, store_id))
        assert next(reader).product_id == str(kept["id"])  # the page holding both is read
        catalog.delete_product(site, gone["id"])
        rest = list(reader)
    # WooCommerce lists no variations for a product that is gone: nothing of it to list.
    assert all(not e.variants for e in rest)


def test_an_unknown_currency_is_carried_for_the_mapping_to_keep_out(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    site.currency = "XXX"
    store_id = _store(woo_app, owner_client, site)
    catalog.add_simple(site, name="Shirt")
    with woo_app.app_context():
        store = db.session().get(Store, store_id)
        assert store.currency == "XXX"  # learnt from system_status when connecting
        [event] = list(read_products(store))
    [listing] = map_product(event, store_base_url=site.url,
                            retailer_ids={event.variants[0].variant_id: "r1"})
    assert event.currency == "XXX" and isinstance(listing, KeptOut)


def test_a_20000_character_description_arrives_whole(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    store_id = _store(woo_app, owner_client, site)
    html = "<script>steal()</script>" + "<p>Linen &amp; cotton.</p>" * 800
    catalog.add_simple(site, description=html[:20_000])
    with woo_app.app_context():
        [event] = list(read_products(db.session().get(Store, store_id)))
    assert event.description_html == html[:20_000]
