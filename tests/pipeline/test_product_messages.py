"""Product messages through the outbox to the fake Graph API (which checks every body as
Meta documents it): one item or many inside the 24-hour window, a catalog or multi-product
template outside it, and the refusals that name what is wrong."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from adapters.whatsapp.messages import ProductSection
from plugin.infra import db
from plugin.models import (
    CatalogItem,
    ConsentEntry,
    Customer,
    ItemState,
    Message,
    Store,
    Template,
    WhatsAppAccount,
)
from plugin.pipeline.product_messages import ProductMessageRefused, send_products
from tests.conftest import make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer

NUMBER = "106540352242922"
TOKEN = "EAAG-test-token"
CATALOG = "354160437058781"
SHOPPER = "31612345678"
ITEMS = [f"sku-{n}" for n in range(40)]
MPM_TEMPLATE = [
    {"type": "HEADER", "format": "TEXT", "text": "Picked for {{1}}"},
    {"type": "BODY", "text": "Hello! Our new linen is in, with {{1}} off this week."},
    {"type": "BUTTONS", "buttons": [{"type": "MPM", "text": "View items"}]},
]
CATALOG_TEMPLATE = [
    {"type": "BODY", "text": "Our whole catalog, right here in WhatsApp."},
    {"type": "BUTTONS", "buttons": [{"type": "CATALOG", "text": "View catalog"}]},
]


@dataclass
class World:
    app: Flask
    cloud: FakeGraph
    store_id: int
    customer_id: int

    def send(self, **options: Any) -> Message:
        """send_products for the shopper, committed (the send then runs inline)."""
        with self.app.app_context():
            with db.transaction() as session:
                store = session.get(Store, self.store_id)
                customer = session.get(Customer, self.customer_id)
                message = send_products(session, store, customer, **options)
                message_id = message.id
            return db.session().get(Message, message_id)

    def set(self, **values: Any) -> None:
        """Change the shopper (her last message, her locale…)."""
        with self.app.app_context(), db.transaction() as session:
            customer = session.get(Customer, self.customer_id)
            for name, value in values.items():
                setattr(customer, name, value)

    def template(self, name: str, components: list[Any], status: str = "APPROVED",
                 category: str = "MARKETING", language: str = "en") -> None:
        with self.app.app_context(), db.transaction() as session:
            session.add(Template(store_id=self.store_id, name=name, language=language,
                                 category=category, status=status, components=components))

    def opt_in(self) -> None:
        with self.app.app_context(), db.transaction() as session:
            session.add(ConsentEntry(store_id=self.store_id, customer_id=self.customer_id,
                                     purpose="marketing", granted=True,
                                     source="whatsapp_start", text_shown="START",
                                     created_at=db.utcnow() - timedelta(days=30)))

    def messages(self) -> int:
        with self.app.app_context():
            return int(db.session().scalar(select(func.count(Message.id))) or 0)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A store whose number has a catalog of 40 synced items (and one kept out, one
    deleted), and Ana, who wrote an hour ago."""
    cloud = FakeGraph(tokens={NUMBER: TOKEN})
    with LoopbackServer(cloud) as server:
        app = make_app(tmp_path / "instance", whatsapp_graph_url=server.url)
        with app.app_context(), db.transaction() as session:
            store = Store(platform="shopify", domain="acme.myshopify.com", name="Acme Linen",
                          locale="en")
            session.add(store)
            session.flush()
            session.add(WhatsAppAccount(store_id=store.id, phone_number_id=NUMBER,
                                        access_token=TOKEN, catalog_id=CATALOG))
            for n, retailer_id in enumerate(ITEMS):
                session.add(CatalogItem(store_id=store.id, variant_id=str(1000 + n),
                                        product_id="77", retailer_id=retailer_id,
                                        title=f"Shirt {n}", data={}, content_hash="h",
                                        sent_hash="h", state=ItemState.SYNCED))
            session.add(CatalogItem(store_id=store.id, variant_id="2001", product_id="78",
                                    retailer_id="no-image", state=ItemState.KEPT_OUT,
                                    reason="it has no image"))
            session.add(CatalogItem(store_id=store.id, variant_id="2002", product_id="79",
                                    retailer_id="gone", state=ItemState.DELETED,
                                    deleted_at=db.utcnow()))
            ana = Customer(store_id=store.id, platform_id="c-1", phone_e164=f"+{SHOPPER}",
                           first_name="Ana", locale="en", tags=[],
                           last_inbound_at=db.utcnow() - timedelta(hours=1))
            session.add(ana)
            session.flush()
            ids = (store.id, ana.id)
        yield World(app, cloud, *ids)
        app.extensions["storechat.engine"].dispose()


def test_one_item_inside_the_window_is_a_single_product_message(world: World) -> None:
    message = world.send(retailer_ids=["sku-3"], body="The shirt you asked about",
                         footer="Acme Linen")
    assert (message.state, message.template, message.fallback) == ("sent", None, None)
    [body] = world.cloud.bodies("interactive")
    assert body["to"] == SHOPPER
    assert body["interactive"] == {
        "type": "product", "body": {"text": "The shirt you asked about"},
        "footer": {"text": "Acme Linen"},
        "action": {"catalog_id": CATALOG, "product_retailer_id": "sku-3"}}


def test_many_items_inside_the_window_are_a_multi_product_message(world: World) -> None:
    sections = [ProductSection(title="Shirts", product_retailer_ids=ITEMS[:20]),
                ProductSection(title="Trousers", product_retailer_ids=ITEMS[20:30])]
    message = world.send(sections=sections, header="New in", body="Our new linen")
    assert message.state == "sent" and message.template is None
    [body] = world.cloud.bodies("interactive")
    interactive = body["interactive"]
    assert interactive["type"] == "product_list"
    assert interactive["header"] == {"type": "text", "text": "New in"}
    assert interactive["action"]["catalog_id"] == CATALOG
    assert [s["title"] for s in interactive["action"]["sections"]] == ["Shirts", "Trousers"]
    assert [i["product_retailer_id"] for i in interactive["action"]["sections"][1][
        "product_items"]] == ITEMS[20:30]


def test_a_plain_list_of_items_is_one_section(world: World) -> None:
    world.send(retailer_ids=ITEMS[:3], header="For you", body="Three favourites")
    [body] = world.cloud.bodies("interactive")
    [section] = body["interactive"]["action"]["sections"]
    assert section["title"] == "Products" and len(section["product_items"]) == 3


def test_outside_the_window_without_an_approved_template_it_is_refused(world: World) -> None:
    world.set(last_inbound_at=db.utcnow() - timedelta(hours=25))
    world.template("linen_picks", MPM_TEMPLATE, status="PENDING")  # not approved yet
    world.template("linen_utility", MPM_TEMPLATE, category="UTILITY")
    with pytest.raises(ProductMessageRefused) as refused:
        world.send(retailer_ids=ITEMS[:2], header="Ana", body="Our picks")
    assert refused.value.field == "template"
    assert "24-hour window is closed" in str(refused.value)
    assert "multi-product (MPM)" in str(refused.value)
    assert world.messages() == 0 and world.cloud.sent == []


def test_outside_the_window_an_approved_mpm_template_carries_them(world: World) -> None:
    world.set(last_inbound_at=None)
    world.template("linen_picks", MPM_TEMPLATE)
    world.template("catalog_all", CATALOG_TEMPLATE)
    world.opt_in()
    sections = [ProductSection(title="Shirts", product_retailer_ids=ITEMS[:2])]
    message = world.send(sections=sections, header="Ana", body="ignored by templates",
                         template_parameters=["20%"])
    assert (message.state, message.template) == ("sent", "linen_picks")
    [body] = world.cloud.bodies("template")
    template = body["template"]
    assert template["name"] == "linen_picks"
    header, text, button = template["components"]
    assert header == {"type": "header", "parameters": [{"type": "text", "text": "Ana"}]}
    assert text == {"type": "body", "parameters": [{"type": "text", "text": "20%"}]}
    assert button == {"type": "button", "sub_type": "mpm", "index": "0", "parameters": [
        {"type": "action", "action": {
            "thumbnail_product_retailer_id": ITEMS[0],
            "sections": [{"title": "Shirts", "product_items": [
                {"product_retailer_id": ITEMS[0]}, {"product_retailer_id": ITEMS[1]}]}]}}]}


def test_outside_the_window_marketing_still_needs_the_opt_in(world: World) -> None:
    world.set(last_inbound_at=None)
    world.template("linen_picks", MPM_TEMPLATE)
    message = world.send(retailer_ids=ITEMS[:2], header="Ana", template_parameters=["20%"])
    assert (message.state, message.reason) == ("skipped", "no marketing opt-in")
    assert world.cloud.sent == []


def test_one_item_outside_the_window_may_go_in_a_catalog_template(world: World) -> None:
    world.set(last_inbound_at=None)
    world.template("catalog_all", CATALOG_TEMPLATE)
    world.opt_in()
    message = world.send(retailer_ids=["sku-7"])
    assert message.template == "catalog_all" and message.state == "sent"
    [body] = world.cloud.bodies("template")
    [button] = body["template"]["components"]
    assert button == {"type": "button", "sub_type": "CATALOG", "index": "0", "parameters": [
        {"type": "action", "action": {"thumbnail_product_retailer_id": "sku-7"}}]}
    # A catalog template shows the whole catalog, not a chosen few: not for several items.
    with pytest.raises(ProductMessageRefused, match="multi-product"):
        world.send(retailer_ids=["sku-7", "sku-8"], header="Two", body="Two shirts")


def test_a_template_whose_values_are_missing_is_named(world: World) -> None:
    world.set(last_inbound_at=None)
    world.template("linen_picks", MPM_TEMPLATE)
    with pytest.raises(ProductMessageRefused) as refused:
        world.send(retailer_ids=ITEMS[:2], header="Ana", body="x")
    assert refused.value.field == "template_parameters"
    assert "'linen_picks' needs 1 body value(s) and a header; 0 value(s)" in str(refused.value)


def test_the_window_closing_before_the_send_switches_to_the_template(world: World) -> None:
    world.set(last_inbound_at=db.utcnow() - timedelta(hours=30))
    world.template("linen_picks", MPM_TEMPLATE)
    world.opt_in()
    # Written while the window was open (an hour after she wrote), sent 29 hours later.
    message = world.send(retailer_ids=ITEMS[:2], header="Ana", body="Our picks",
                         template_parameters=["20%"],
                         now=db.utcnow() - timedelta(hours=29))
    assert (message.state, message.template) == ("sent", "linen_picks")
    assert world.cloud.bodies("interactive") == []
    [body] = world.cloud.bodies("template")
    assert body["template"]["components"][2]["sub_type"] == "mpm"


def test_31_products_or_11_sections_are_refused(world: World) -> None:
    with pytest.raises(ProductMessageRefused, match="at most 30 products; 31 were given"):
        world.send(retailer_ids=ITEMS[:31], header="Too many", body="x")
    sections = [ProductSection(title=f"Part {n}", product_retailer_ids=[ITEMS[n]])
                for n in range(11)]
    with pytest.raises(ProductMessageRefused, match="at most 10 sections; 11 were given"):
        world.send(sections=sections, header="Too many", body="x")
    long_title = [ProductSection(title="A title over 24 characters",
                                 product_retailer_ids=["sku-1"])]
    with pytest.raises(ProductMessageRefused, match="1–24 characters"):
        world.send(sections=long_title, header="x", body="x")
    with pytest.raises(ProductMessageRefused, match="needs a header"):
        world.send(sections=[ProductSection(title="One", product_retailer_ids=["sku-1"])],
                   body="x")
    assert world.messages() == 0 and world.cloud.sent == []


def test_items_not_in_the_catalog_are_refused_by_name(world: World) -> None:
    with pytest.raises(ProductMessageRefused) as refused:
        world.send(retailer_ids=["sku-1", "not-ours", "no-image", "gone"], header="x",
                   body="x")
    text = str(refused.value)
    assert refused.value.field == "retailer_ids"
    assert "not-ours (not in this store's catalog)" in text
    assert "no-image (kept out of the catalog: it has no image)" in text
    assert "gone (deleted from the store)" in text
    assert "sku-1" not in text
    assert world.messages() == 0


def test_a_store_without_a_catalog_or_a_shopper_without_a_number(world: World) -> None:
    world.set(phone_e164=None)
    with pytest.raises(ProductMessageRefused, match="no WhatsApp number"):
        world.send(retailer_ids=["sku-1"])
    world.set(phone_e164=f"+{SHOPPER}")
    with world.app.app_context(), db.transaction() as session:
        session.scalars(select(WhatsAppAccount)).one().catalog_id = None
    with pytest.raises(ProductMessageRefused, match="no catalog connected"):
        world.send(retailer_ids=["sku-1"])


def test_the_same_cause_writes_one_message(world: World) -> None:
    first = world.send(retailer_ids=["sku-1"], cause="bot:wamid.1")
    again = world.send(retailer_ids=["sku-2"], cause="bot:wamid.1")
    assert first.id == again.id and world.messages() == 1
    assert len(world.cloud.sent) == 1
