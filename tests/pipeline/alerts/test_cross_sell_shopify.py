"""Cross-sell after delivery on Shopify, through signed orders/create, orders/updated and
fulfillments/update webhooks: each order's products are counted into the bought-together
pairs once (a redelivery under a new event id counts nothing), a delivered order's
suggestion goes the flow's days later with the products bought together most, then the
same product type, never one the shopper bought or one out of stock; off by default;
STOP and the weekly cap stop it; its link is counted as a click; with a catalog it is one
multi-product message."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.models import (
    CatalogItem,
    Customer,
    ItemState,
    Message,
    OfferState,
    Template,
    WhatsAppAccount,
)
from plugin.pipeline.alerts.links import resolve_alert_link
from tests.pipeline.alerts.conftest import ShopifyAlerts
from tests.pipeline.alerts.cross_sell_world import (
    approve_template,
    body_of,
    button_token,
    days_pass,
    messages,
    offers,
    pairs,
    suggestions,
    switch,
)
from tests.pipeline.alerts.price_world import opt_in
from tests.pipeline.alerts.world import shopper
from tests.pipeline.catalog.e2e_shopify import rest_product
from tests.worlds.shopify import SHOP

# Products: 7 a shirt; 8 a scarf and 9 a tote (accessories); 10 a belt that is sold out;
# 11 another shirt (same product type as 7); 12 a hat nobody bought with anything.
TYPES = {7: "Shirts", 8: "Accessories", 9: "Accessories", 10: "Belts", 11: "Shirts",
         12: "Hats"}
ANA = shopper(1)


def order(order_id: int, products: list[int], customer: int, phone: str | None = None,
          **changes: Any) -> dict[str, Any]:
    """An orders/create body: one line per product (its first variant), paid."""
    body: dict[str, Any] = {
        "id": order_id, "order_number": order_id, "name": f"#{order_id}", "currency": "EUR",
        "total_price": "40.00", "financial_status": "paid", "fulfillment_status": None,
        "customer": {"id": customer, "first_name": "Ana", "phone": phone},
        "line_items": [{"title": f"Product {p}", "quantity": 1, "price": "20.00",
                        "product_id": p, "variant_id": p * 1000 + 1} for p in products]}
    body.update(changes)
    return body


def delivered(order_id: int) -> dict[str, Any]:
    """A fulfillments/update body: the carrier says the order was delivered."""
    return {"id": order_id * 10, "order_id": order_id, "name": f"#{order_id}.1",
            "status": "success", "shipment_status": "delivered", "line_items": []}


@pytest.fixture
def store(shopify: ShopifyAlerts) -> ShopifyAlerts:
    """Six products in the catalog (10 sold out); history: 7 with 8 twice, 7 with 9 once,
    7 with the sold-out 10 three times; the cross_sell template approved."""
    approve_template(shopify)
    for product, kind in TYPES.items():
        shopify.webhook("products/create", rest_product(
            product, price="20.00", stock=0 if product == 10 else 5, product_type=kind))
    history = [[7, 8], [8, 7], [7, 9], [7, 10], [10, 7], [7, 10, 10]]
    for n, products in enumerate(history):
        shopify.webhook("orders/create", order(900 + n, products, customer=50 + n))
    return shopify


def ana_buys(world: ShopifyAlerts, order_id: int, products: list[int]) -> None:
    """Ana (opted in to marketing at checkout) orders `products`."""
    world.webhook("orders/create", order(order_id, products, customer=1, phone=ANA))
    opt_in(world, ANA)


def test_pairs_are_counted_once_per_order_even_when_redelivered(store: ShopifyAlerts) -> None:
    expected = {("7", "8"): 2, ("8", "7"): 2, ("7", "9"): 1, ("9", "7"): 1,
                ("7", "10"): 3, ("10", "7"): 3}
    assert pairs(store) == expected
    # Shopify redelivers an order under a new event id, and the order is updated (paid,
    # then fulfilled): the same order, counted once.
    store.webhook("orders/create", order(900, [7, 8], customer=50))
    store.webhook("orders/updated", order(900, [7, 8], customer=50))
    assert store.sender.send("orders/create", order(901, [8, 7], customer=51),
                             event_id="redelivered-901") == 200
    assert store.sender.send("orders/create", order(901, [8, 7], customer=51),
                             event_id="redelivered-901") == 200
    assert pairs(store) == expected
    # A new order counts; one first seen cancelled does not.
    store.webhook("orders/create", order(950, [8, 9], customer=60))
    store.webhook("orders/create", order(951, [8, 9], customer=61,
                                         cancelled_at="2026-11-20T10:00:00Z"))
    assert pairs(store)[("8", "9")] == 1 and pairs(store)[("9", "8")] == 1


def test_off_by_default_nothing_is_suggested(store: ShopifyAlerts) -> None:
    ana_buys(store, 1001, [7])
    store.webhook("fulfillments/update", delivered(1001))
    assert days_pass(store, 30) == 0
    assert suggestions(store) == [] and messages(store) == []
    [offer] = [o for o in offers(store) if o.customer_id is not None and o.order_id and
               o.delivered_at is not None]
    assert (offer.state, offer.due_at) == (OfferState.COUNTED, None)


def test_suggests_what_goes_with_it_never_bought_or_sold_out(store: ShopifyAlerts) -> None:
    switch(store, on=True)
    ana_buys(store, 1000, [9])  # an earlier order: the tote is hers already
    ana_buys(store, 1001, [7])
    store.webhook("fulfillments/update", delivered(1001))
    store.webhook("fulfillments/update", delivered(1001))  # the carrier says it again
    assert days_pass(store, 6) == 0  # not yet: 7 days after delivery
    assert days_pass(store, 7.01) == 1
    assert days_pass(store, 8) == 0  # once per order
    [payload] = suggestions(store)
    assert payload["to"] == ANA.lstrip("+")
    # Bought with 7: the sold-out belt (3 orders), the scarf (2), the tote (1, hers); then
    # the other shirt by product type. Never the belt, never the tote, never 7 itself.
    assert body_of(payload) == ["Ana", "Product 8 and Product 11"]
    offer = next(o for o in offers(store) if o.state == OfferState.SENT)
    assert offer.suggested == ["8001", "11001"]
    token = button_token(payload)
    assert token == offer.link_token
    with store.app.app_context():
        assert resolve_alert_link(token) == f"https://{SHOP}/products/product-8"
    assert next(o for o in offers(store) if o.id == offer.id).clicked_at is not None
    [message] = messages(store)
    assert message.state == MessageState.SENT.value


def test_nothing_in_stock_goes_with_it_is_no_message(store: ShopifyAlerts) -> None:
    switch(store, on=True)
    ana_buys(store, 1001, [12, 8, 11, 9, 7])  # all that goes with these is hers or sold out
    store.webhook("fulfillments/update", delivered(1001))
    assert days_pass(store, 8) == 0
    [offer] = [o for o in offers(store) if o.delivered_at is not None]
    assert offer.state == OfferState.SKIPPED
    assert offer.reason is not None and offer.reason.startswith("nothing to suggest")
    assert suggestions(store) == []


def test_stop_is_respected(store: ShopifyAlerts) -> None:
    switch(store, on=True)
    ana_buys(store, 1001, [7])
    store.webhook("fulfillments/update", delivered(1001))
    store.writes(ANA, "STOP")
    assert days_pass(store, 8) == 1  # written, and the send job skips it
    assert suggestions(store) == []
    [message] = messages(store)
    assert (message.state, message.reason) == (MessageState.SKIPPED.value,
                                               "the customer opted out of marketing")


def test_switched_off_before_due_sends_nothing(store: ShopifyAlerts) -> None:
    switch(store, on=True, delay_days=2)
    ana_buys(store, 1001, [7])
    store.webhook("fulfillments/update", delivered(1001))
    switch(store, on=False)
    assert days_pass(store, 3) == 0
    assert suggestions(store) == []
    [offer] = [o for o in offers(store) if o.delivered_at is not None]
    assert offer.reason == "cross-sell was switched off before it was due"


def test_with_a_catalog_the_suggestion_is_one_multi_product_message(
        store: ShopifyAlerts) -> None:
    # The catalog is connected and Meta holds the items (the catalog's own tests cover the
    # sync); the store has an approved marketing template with a multi-product button.
    with store.app.app_context(), db.transaction() as session:
        session.execute(update(WhatsAppAccount).where(
            WhatsAppAccount.store_id == store.store_id).values(catalog_id="CAT-1"))
        session.execute(update(CatalogItem).where(CatalogItem.store_id == store.store_id)
                        .values(state=ItemState.SYNCED))
        session.add(Template(store_id=store.store_id, name="cross_sell_products",
                             language="en", category="MARKETING", status="APPROVED",
                             parameter_format="POSITIONAL", components=[
                                 {"type": "HEADER", "format": "TEXT", "text": "For you"},
                                 {"type": "BODY", "text": "Hi {{1}}, these go with it: {{2}}"},
                                 {"type": "BUTTONS", "buttons": [
                                     {"type": "MPM", "text": "View items"}]}]))
    switch(store, on=True)
    ana_buys(store, 1000, [9])
    ana_buys(store, 1001, [7])
    store.webhook("fulfillments/update", delivered(1001))
    assert days_pass(store, 8) == 1
    assert suggestions(store) == []  # not the link template: the products themselves
    [payload] = [s.payload for s in store.graph.sent if s.payload.get("type") == "template"
                 and s.payload["template"]["name"] == "cross_sell_products"]
    assert body_of(payload) == ["Ana", "Product 8 and Product 11"]
    [button] = [c for c in payload["template"]["components"] if c["type"] == "button"]
    [section] = button["parameters"][0]["action"]["sections"]
    retailer = {row.variant_id: row.retailer_id for row in store.rows().values()}
    assert section["product_items"] == [{"product_retailer_id": retailer["8001"]},
                                        {"product_retailer_id": retailer["11001"]}]


def test_the_weekly_marketing_cap_holds_it_back(store: ShopifyAlerts) -> None:
    switch(store, on=True)
    ana_buys(store, 1001, [7])
    store.webhook("fulfillments/update", delivered(1001))
    # Ana had two marketing messages this week already (the default cap is two).
    with store.app.app_context(), db.transaction() as session:
        customer_id = session.scalars(select(Customer.id).where(
            Customer.store_id == store.store_id, Customer.phone_e164 == ANA)).one()
        for n in range(2):
            session.add(Message(store_id=store.store_id, customer_id=customer_id,
                                cause=f"campaign:{n}", step="campaign", to=ANA,
                                template="cross_sell", payload={}, state="delivered",
                                attempts=1, sent_at=db.utcnow()))
    assert days_pass(store, 8) == 1
    assert suggestions(store) == []
    [message] = messages(store)
    assert (message.state, message.reason) == (MessageState.SKIPPED.value,
                                               "marketing cap reached (2 a week)")
