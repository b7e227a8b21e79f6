"""A cart sent from the WhatsApp catalog becomes a checkout at the fake store (a Shopify
draft order, a pending WooCommerce order) and one answer with its pay link, sent to the fake
Graph API: once per wamid however often Meta delivers it, with unknown items named, and a
polite word while the store does not answer."""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from plugin.infra import db
from plugin.models import (
    CartCheckout,
    CatalogItem,
    ItemState,
    Message,
    Store,
    WhatsAppAccount,
)
from tests.conftest import make_app, shared_fixture
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.fakes.shopify import FakeShopify
from tests.pipeline.test_cod_answers import run_scheduled
from tests.worlds import shopify as shopify_world
from tests.worlds.shopify import SHOP, id_token
from tests.worlds.woocommerce import PUBLIC_URL, connect

APP_SECRET = "meta-app-secret"
NUMBER = "106540352242922"
TOKEN = "EAAG-test-token"
CATALOG = "354160437058781"
SHOPPER = "31612345678"


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    """The fake Cloud API on loopback; yields (fake, base URL)."""
    cloud = FakeGraph(tokens={NUMBER: TOKEN})
    with LoopbackServer(cloud) as server:
        yield cloud, server.url


def whatsapp_settings(graph_url: str) -> dict[str, Any]:
    return {"whatsapp_app_secret": APP_SECRET, "whatsapp_verify_token": "verify-me",
            "whatsapp_graph_url": graph_url}


def connect_catalog(app: Flask, store_id: int, items: dict[str, tuple[str, str]]) -> None:
    """The store's number with its catalog, holding `items` (retailer id → variant id and
    product id), synced."""
    with app.app_context(), db.transaction() as session:
        session.add(WhatsAppAccount(store_id=store_id, phone_number_id=NUMBER, waba_id="WABA1",
                                    access_token=TOKEN, catalog_id=CATALOG, cart_enabled=True))
        for retailer_id, (variant_id, product_id) in items.items():
            session.add(CatalogItem(store_id=store_id, variant_id=variant_id,
                                    product_id=product_id, retailer_id=retailer_id,
                                    title=retailer_id, data={}, content_hash="h",
                                    sent_hash="h", state=ItemState.SYNCED))


def order_body(items: list[tuple[str, int]], wamid: str) -> dict[str, Any]:
    """Meta's recorded `order` notification, re-addressed to our number, shopper and cart."""
    recorded = json.loads(shared_fixture("whatsapp", "pywa", "updates",
                                         "message.json").read_text())
    data = copy.deepcopy(recorded["order"])
    value = data["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = NUMBER
    value["contacts"][0].update(wa_id=SHOPPER, user_id=f"US.{SHOPPER}")
    message = value["messages"][0]
    message.update({"from": SHOPPER, "id": wamid, "timestamp": str(int(time.time()))})
    message["order"]["catalog_id"] = CATALOG
    template = message["order"]["product_items"][0]
    message["order"]["product_items"] = [
        dict(template, product_retailer_id=retailer_id, quantity=quantity, currency="EUR")
        for retailer_id, quantity in items]
    return data


def deliver(app: Flask, data: dict[str, Any]) -> None:
    """POST a signed notification to /webhooks/whatsapp, as Meta does."""
    body = json.dumps(data).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = app.test_client().post("/webhooks/whatsapp", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})
    assert response.status_code == 200, response.get_data(as_text=True)


def send_cart(app: Flask, items: list[tuple[str, int]], times: int = 2) -> str:
    """The shopper sends a cart; Meta delivers it `times` times (the same body, then the
    same message in another envelope); returns its wamid."""
    wamid = f"wamid.{uuid.uuid4().hex}"
    data = order_body(items, wamid)
    for n in range(times):
        if n:
            data = copy.deepcopy(data)
            data["entry"][0]["time"] = int(time.time()) + n  # a redelivery, batched anew
        deliver(app, data)
        if n == 0:
            deliver(app, data)  # the very same bytes again
    return wamid


def answers(app: Flask) -> list[Message]:
    """Our answers to carts, in the outbox."""
    with app.app_context():
        return list(db.session().scalars(select(Message).where(
            Message.cause.like("cart:%")).order_by(Message.id)))


def written(app: Flask) -> list[str]:
    """The text of each answer in the outbox (sent, or spaced 6 s after the one before)."""
    return [a.payload["text"]["body"] for a in answers(app)]


def texts(cloud: FakeGraph) -> list[str]:
    """Every free-form text the fake Graph API accepted for the shopper."""
    return [b["text"]["body"] for b in cloud.bodies("text") if b["to"] == SHOPPER]


def carts(app: Flask) -> list[CartCheckout]:
    with app.app_context():
        return list(db.session().scalars(select(CartCheckout).order_by(CartCheckout.id)))


# --- Shopify ---------------------------------------------------------------------------

@dataclass
class ShopWorld:
    app: Flask
    shopify: FakeShopify
    cloud: FakeGraph
    store_id: int

    def drafts(self) -> list[dict[str, Any]]:
        return self.shopify.draft_orders.get(SHOP, [])


@pytest.fixture
def shop(tmp_path: Path, fake: tuple[FakeShopify, str],
         graph: tuple[FakeGraph, str]) -> Iterator[ShopWorld]:
    """An installed Shopify shop whose number has a catalog of two shirt variants."""
    shopify, shopify_url = fake
    shopify.invoice_base = shopify_url
    app = make_app(tmp_path / "instance", shopify_api_key=shopify_world.API_KEY,
                   shopify_api_secret=shopify_world.API_SECRET,
                   shopify_old_api_secret=shopify_world.OLD_SECRET,
                   shopify_admin_url=f"{shopify_url}/{{shop}}", public_url=PUBLIC_URL,
                   **whatsapp_settings(graph[1]))
    assert app.test_client().get(f"/shopify/app?shop={SHOP}&id_token={id_token()}"
                                 ).status_code == 200
    with app.app_context():
        store_id = db.session().scalars(select(Store.id).where(Store.domain == SHOP)).one()
    shopify.add_variant(SHOP, "44001")
    shopify.add_variant(SHOP, "44002")
    connect_catalog(app, store_id, {"shirt-m": ("44001", "4400"),
                                    "shirt-l": ("gid://shopify/ProductVariant/44002", "4400")})
    yield ShopWorld(app, shopify, graph[0], store_id)
    app.extensions["storechat.engine"].dispose()
    app.extensions["storechat.shopify_http"].close()


def test_a_shopify_cart_becomes_a_draft_order_and_one_pay_link(shop: ShopWorld) -> None:
    send_cart(shop.app, [("shirt-m", 2), ("shirt-l", 1)])
    [draft] = shop.drafts()
    assert draft["lineItems"] == [
        {"variantId": "gid://shopify/ProductVariant/44001", "quantity": 2},
        {"variantId": "gid://shopify/ProductVariant/44002", "quantity": 1}]
    assert draft["phone"] == f"+{SHOPPER}" and "storechat-whatsapp-cart" in draft["tags"]
    assert draft["invoiceUrl"].startswith("http://127.0.0.1:")
    [text] = texts(shop.cloud)
    assert text.startswith("Thank you for your order at Acme Linen! Pay and confirm it "
                           f"here: {draft['invoiceUrl']}")
    [answer] = answers(shop.app)
    assert (answer.step, answer.state) == ("cart_pay_link", "sent")
    [cart] = carts(shop.app)
    assert (cart.state, cart.pay_url, cart.platform_id) == ("done", draft["invoiceUrl"],
                                                            draft["id"])


def test_unknown_items_are_named_and_left_out(shop: ShopWorld) -> None:
    send_cart(shop.app, [("shirt-m", 1), ("HAMBURGER", 3)], times=1)
    [draft] = shop.drafts()
    assert [line["quantity"] for line in draft["lineItems"]] == [1]
    [text] = texts(shop.cloud)
    assert draft["invoiceUrl"] in text
    assert "We could not find this item in our shop any more, so it is not in your " \
           "checkout: HAMBURGER." in text
    [cart] = carts(shop.app)
    assert cart.unknown == ["HAMBURGER"]


def test_a_cart_of_only_unknown_items_calls_no_store(shop: ShopWorld) -> None:
    calls = shop.shopify.graphql_calls
    send_cart(shop.app, [("HAMBURGER", 3), ("SODA", 2)])
    assert shop.shopify.graphql_calls == calls and shop.drafts() == []
    [text] = texts(shop.cloud)
    assert text == ("We could not find these items in our shop any more, so they are not "
                    "in your checkout: HAMBURGER, SODA. Please pick your items from our "
                    "catalog again.")
    assert [(c.state, a.step) for c, a in zip(carts(shop.app), answers(shop.app),
                                               strict=True)] == [("empty", "cart_unknown")]


def test_a_deleted_item_counts_as_unknown(shop: ShopWorld) -> None:
    with shop.app.app_context(), db.transaction() as session:
        item = session.scalars(select(CatalogItem).where(
            CatalogItem.retailer_id == "shirt-l")).one()
        item.state, item.deleted_at = ItemState.DELETED, db.utcnow()
    send_cart(shop.app, [("shirt-m", 1), ("shirt-l", 1)], times=1)
    [draft] = shop.drafts()
    assert len(draft["lineItems"]) == 1
    assert "checkout: shirt-l." in texts(shop.cloud)[0]


def test_a_shopify_that_does_not_answer_is_retried_and_the_shopper_told_once(
        shop: ShopWorld) -> None:
    for _ in range(8):  # beyond the client's own retries, twice
        shop.shopify.fail_next(429, retry_after="0")
    send_cart(shop.app, [("shirt-m", 1)])
    assert shop.drafts() == []
    assert texts(shop.cloud) == ["Thank you for your order! Our shop is a little slow to "
                                 "answer right now; we will send your payment link here as "
                                 "soon as it is ready."]
    assert run_scheduled(shop.app) >= 1
    [draft] = shop.drafts()
    polite, link = written(shop.app)
    assert draft["invoiceUrl"] in link and polite == texts(shop.cloud)[0]
    # The link waits the 6 s Meta wants between two messages to one shopper, then goes.
    assert [(a.step, a.state) for a in answers(shop.app)] == [
        ("cart_delayed", "sent"), ("cart_pay_link", "pending")]
    [cart] = carts(shop.app)
    assert cart.state == "done" and cart.attempts == 3


def test_a_shopify_refusal_is_answered_politely_once(shop: ShopWorld) -> None:
    shop.shopify.variants[SHOP].clear()  # the variants were deleted at the shop meanwhile
    send_cart(shop.app, [("shirt-m", 1)])
    assert shop.drafts() == []
    assert texts(shop.cloud) == ["Thank you for your order! We could not prepare your "
                                 "payment link, so the shop will get back to you here to "
                                 "complete it."]
    [cart] = carts(shop.app)
    assert cart.state == "failed" and "could not be found" in (cart.error or "")
    assert run_scheduled(shop.app) == 0


# --- WooCommerce -----------------------------------------------------------------------

@pytest.fixture
def woo_app(tmp_path: Path, graph: tuple[FakeGraph, str]) -> Iterator[Flask]:
    """StoreChat for WooCommerce (http loopback stores allowed) that also hears Meta."""
    app = make_app(tmp_path / "instance", allow_http_stores=True, public_url=PUBLIC_URL,
                   **whatsapp_settings(graph[1]))
    yield app
    app.extensions["storechat.engine"].dispose()


@dataclass
class WooWorld:
    app: Flask
    site: Any
    cloud: FakeGraph
    store_id: int
    simple: int  # the linen shirt's product id
    variable: int  # the trousers' product id (variations 9001 and 9002)

    def created(self) -> list[dict[str, Any]]:
        """Orders made through the REST API (not at the store's own checkout)."""
        return [o for o in self.site.orders.values() if o.get("created_via") == "rest-api"]


@pytest.fixture
def woo(woo_app: Flask, site: Any, owner_client: Any, graph: tuple[FakeGraph, str]) -> WooWorld:
    """A connected WooCommerce store with a simple and a variable product in its catalog."""
    assert connect(owner_client, site).status_code in (200, 302)
    shirt = site.add_product(deliver=False, name="Linen shirt", price="49.90")
    trousers = site.add_product(deliver=False, name="Linen trousers", type="variable",
                                price="79.00", variation_ids=[9001, 9002])
    with woo_app.app_context():
        store_id = db.session().scalars(select(Store.id).where(
            Store.platform == "woocommerce")).one()
    connect_catalog(woo_app, store_id, {
        "woo-shirt": (str(shirt["id"]), str(shirt["id"])),
        "woo-trousers-32": ("9002", str(trousers["id"]))})
    return WooWorld(woo_app, site, graph[0], store_id, shirt["id"], trousers["id"])


def test_a_woocommerce_cart_becomes_a_pending_order_and_one_pay_link(woo: WooWorld) -> None:
    wamid = send_cart(woo.app, [("woo-shirt", 2), ("woo-trousers-32", 1), ("SODA", 1)])
    [order] = woo.created()
    assert order["status"] == "pending" and order.get("date_paid_gmt") is None
    assert [(i["product_id"], i["variation_id"], i["quantity"]) for i in order["line_items"]] \
        == [(woo.simple, 0, 2), (woo.variable, 9002, 1)]
    assert order["billing"]["phone"] == f"+{SHOPPER}"
    assert {"key": "_storechat_wamid", "value": wamid} in order["meta_data"]
    assert order["payment_url"].endswith(f"?pay_for_order=true&key={order['order_key']}")
    # The store's order.created webhook made StoreChat send its order confirmation first:
    # the link follows 6 s later (Meta's spacing between two messages to one shopper).
    [text] = written(woo.app)
    assert order["payment_url"] in text and "checkout: SODA." in text
    assert [a.step for a in answers(woo.app)] == ["cart_pay_link"]
    [cart] = carts(woo.app)
    assert (cart.state, cart.platform_id) == ("done", str(order["id"]))


def test_a_woocommerce_refusal_is_answered_politely(woo: WooWorld) -> None:
    del woo.site.products[woo.simple]  # deleted at the store, not yet from the catalog
    send_cart(woo.app, [("woo-shirt", 1)], times=1)
    assert woo.created() == []
    assert [a.step for a in answers(woo.app)] == ["cart_failed"]
    [cart] = carts(woo.app)
    assert cart.state == "failed" and "invalid_product_id" in (cart.error or "")


def test_a_cart_whose_job_was_lost_is_checked_out_by_the_sweeper(
        shop: ShopWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from plugin.infra import queue
    from plugin.pipeline import carts as cart_pipeline
    from plugin.pipeline import sweep

    real_enqueue = queue.enqueue

    def losing(job: str, row_id: int, delay: float = 0) -> bool:
        if job == "cart_checkout":  # the worker died with it, or the queue was down
            return True
        return real_enqueue(job, row_id, delay)

    monkeypatch.setattr(queue, "enqueue", losing)
    send_cart(shop.app, [("shirt-m", 1)], times=1)
    monkeypatch.setattr(queue, "enqueue", real_enqueue)
    assert shop.drafts() == [] and [c.state for c in carts(shop.app)] == ["received"]
    with shop.app.app_context():
        # While its job may still be on its way, nothing is queued again.
        assert cart_pipeline.enqueue_lost(db.utcnow()) == 0
        with db.transaction() as session:
            session.execute(update(CartCheckout).values(
                updated_at=db.utcnow() - timedelta(minutes=30)))
        sweep.recover()
        assert cart_pipeline.enqueue_lost(db.utcnow()) == 0  # done: nothing left
    [draft] = shop.drafts()
    [text] = texts(shop.cloud)
    assert draft["invoiceUrl"] in text
