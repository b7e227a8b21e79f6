"""Price drops on Shopify, through signed products/update webhooks: a variant falling from
20.00 to 18.50 alerts its price-drop subscribers and the shoppers with it in an open cart,
once per shopper in 30 days; to 19.50 it does not; STOP and the weekly cap are obeyed; an
unknown variant, a rise or a variant never priced before changes nothing."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugin.domain.price_drops import DEFAULT_DROP_PERCENT
from plugin.infra import db
from plugin.models import Customer, EventState, InboundEvent, Message, Store
from plugin.pipeline.alerts import price_drops
from plugin.pipeline.alerts.links import resolve_alert_link
from plugin.pipeline.alerts.subscriptions import find_variant
from tests.pipeline.alerts.conftest import ShopifyAlerts
from tests.pipeline.alerts.price_world import (
    age_alerts,
    alerts_rows,
    approve_template,
    opt_in,
    price_alerted,
    price_bodies,
    price_messages,
    subscribe_to_price,
)
from tests.pipeline.alerts.world import shopper
from tests.pipeline.catalog.e2e_shopify import rest_product
from tests.pipeline.test_checkouts import _checkout
from tests.worlds.shopify import SHOP

PRODUCT, VARIANT = 7, "7001"
CART_PHONE = "+34612345678"  # the recorded checkout's phone (tests.pipeline.test_checkouts)


def price(world: ShopifyAlerts, amount: str, product: int = PRODUCT) -> None:
    """The owner changes the variant's price; Shopify delivers products/update."""
    world.webhook("products/update", rest_product(product, price=amount))


@pytest.fixture
def priced(shopify: ShopifyAlerts) -> ShopifyAlerts:
    """Product 7 at 20.00, known to the catalog; the price_drop template approved."""
    approve_template(shopify)
    shopify.webhook("products/create", rest_product(PRODUCT, price="20.00"))
    return shopify


def cart(world: ShopifyAlerts, **changes: object) -> None:
    """A shopper with a phone puts the variant in a cart (Shopify checkouts/create)."""
    body = _checkout(**changes)
    body["line_items"][0]["variant_id"] = int(VARIANT)
    world.webhook("checkouts/create", body)


def test_20_to_18_50_alerts_a_subscriber_and_19_50_does_not(priced: ShopifyAlerts) -> None:
    subscribe_to_price(priced, [shopper(1)], VARIANT)
    price(priced, "19.50")  # 2.5 %: under the threshold
    assert price_alerted(priced) == []
    price(priced, "20.00")  # back up: a rise tells nobody either
    price(priced, "18.50")  # 7.5 %
    assert price_alerted(priced) == [shopper(1)]
    [template] = price_bodies(priced)
    components = {c["type"]: c for c in template["components"]}
    assert [p["text"] for p in components["body"]["parameters"]] == [
        "Ana", f"Product {PRODUCT}", "€20.00", "€18.50"]
    [token] = [p["text"] for p in components["button"]["parameters"]]
    [alert] = alerts_rows(priced)
    assert (alert.link_token, alert.old_price, alert.new_price, alert.currency) == (
        token, "20.00", "18.50", "EUR")
    assert alert.subscription_id is not None
    with priced.app.app_context():
        assert resolve_alert_link(token) == f"https://{SHOP}/products/product-{PRODUCT}"
    assert alerts_rows(priced)[0].clicked_at is not None
    # Its subscription keeps waiting: the next drop (after 30 days) is news again.
    assert list(priced.states().values()) == ["waiting"]


def test_the_subscription_is_confirmed_in_price_words(priced: ShopifyAlerts) -> None:
    response = priced.subscribe(shopper(1), VARIANT, kind="price_drop")
    assert response.get_json()["text"] == f"Tell me if the price of Product {PRODUCT} drops"
    priced.writes(shopper(1), response.get_json()["text"])
    replies = [s.payload["text"]["body"] for s in priced.graph.sent
               if s.payload.get("type") == "text"]
    assert replies == ["You're on the list: we'll send you one message here if the price of "
                       f"Product {PRODUCT} drops. Reply STOP if you change your mind."]
    [row] = priced.subscriptions()
    assert (row.kind, row.state) == ("price_drop", "waiting")
    refused = priced.subscribe(shopper(2), VARIANT, kind="cheaper_please")
    assert refused.status_code == 400
    assert refused.get_json()["fields"] == {"kind": "kind_unknown"}


def test_one_alert_per_shopper_and_variant_in_30_days(priced: ShopifyAlerts) -> None:
    subscribe_to_price(priced, [shopper(1)], VARIANT)
    price(priced, "18.50")
    price(priced, "20.00")
    price(priced, "16.00")  # a second drop within 30 days: nothing
    assert price_alerted(priced) == [shopper(1)]
    age_alerts(priced, 31)
    priced.app.extensions["storechat.limiter"].storage.reset()
    price(priced, "20.00")
    price(priced, "17.00")  # 31 days later: news again
    assert price_alerted(priced) == [shopper(1), shopper(1)]
    assert [(a.old_price, a.new_price) for a in alerts_rows(priced)] == [
        ("20.00", "18.50"), ("20.00", "17.00")]


def test_the_same_drop_noted_twice_or_racing_writes_one_alert(
        priced: ShopifyAlerts, monkeypatch: pytest.MonkeyPatch) -> None:
    subscribe_to_price(priced, [shopper(1)], VARIANT)
    price(priced, "18.50")
    # A racing event got past the 30-day lookup too: the window's unique key holds.
    monkeypatch.setattr(price_drops, "_told_recently", lambda *_args: False)
    with priced.app.app_context(), db.transaction() as session:
        store = session.get(Store, priced.store_id)
        row = find_variant(session, store, VARIANT)
        assert row is not None
        assert price_drops.alert_variant(session, store, row, Decimal("20.00"),
                                         Decimal("18.50"), db.utcnow()) == 0
    assert len(alerts_rows(priced)) == 1 and len(price_messages(priced)) == 1
    assert price_alerted(priced) == [shopper(1)]


def test_an_open_cart_is_alerted_and_a_completed_one_is_not(priced: ShopifyAlerts) -> None:
    opt_in(priced, CART_PHONE)
    cart(priced)
    price(priced, "18.50")
    assert price_alerted(priced) == [CART_PHONE]
    [alert] = alerts_rows(priced)
    assert alert.subscription_id is None

    priced.webhook("checkouts/update", _checkout(completed_at="2026-11-20T11:00:00+01:00"))
    age_alerts(priced, 31)
    priced.app.extensions["storechat.limiter"].storage.reset()
    price(priced, "20.00")
    price(priced, "15.00")
    assert price_alerted(priced) == [CART_PHONE]  # the cart was completed: not again


def test_a_cart_shopper_who_also_subscribed_gets_one_alert(priced: ShopifyAlerts) -> None:
    opt_in(priced, CART_PHONE)
    subscribe_to_price(priced, [CART_PHONE], VARIANT)
    cart(priced)
    price(priced, "18.50")
    assert price_alerted(priced) == [CART_PHONE]


def test_stop_and_the_weekly_cap_are_obeyed(priced: ShopifyAlerts) -> None:
    phones = [shopper(n) for n in range(3)]
    subscribe_to_price(priced, phones, VARIANT)
    priced.writes(phones[0], "STOP")
    with priced.app.app_context(), db.transaction() as session:
        capped = session.scalars(select(Customer.id).where(
            Customer.phone_e164 == phones[1])).one()
        for n in range(2):  # two marketing messages this week already
            session.add(Message(store_id=priced.store_id, customer_id=capped,
                                cause=f"campaign:{n}", step="campaign", to=phones[1],
                                template="price_drop", payload={}, state="sent",
                                attempts=1, sent_at=db.utcnow() - timedelta(days=1)))
    price(priced, "18.00")
    assert price_alerted(priced) == [phones[2]]
    reasons = sorted(m.reason or "" for m in price_messages(priced) if m.state == "skipped")
    assert reasons == ["marketing cap reached (2 a week)", "the customer opted out of marketing"]


def test_a_higher_store_threshold_keeps_7_5_percent_quiet(priced: ShopifyAlerts) -> None:
    with priced.app.app_context(), db.transaction() as session:
        session.get(Store, priced.store_id).price_drop_percent = 10
    subscribe_to_price(priced, [shopper(1)], VARIANT)
    price(priced, "18.50")
    assert price_alerted(priced) == []
    price(priced, "16.00")  # 18.50 → 16.00 is 13.5 %
    assert price_alerted(priced) == [shopper(1)]


# Bad input ------------------------------------------------------------------------------------

def test_an_unknown_variant_a_rise_or_no_old_price_alert_nobody(priced: ShopifyAlerts) -> None:
    subscribe_to_price(priced, [shopper(1)], VARIANT)
    opt_in(priced, CART_PHONE)
    cart(priced)
    price(priced, "30.00")  # a rise
    priced.webhook("products/update", rest_product(8, price="1.00"))  # an unknown variant
    # A variant kept out of the catalog (no image) records no price: no old price to compare.
    priced.webhook("products/create", rest_product(9, price="5.00", image=""))
    subscribe_to_price(priced, [shopper(2)], "9001")
    priced.webhook("products/update", rest_product(9, price="1.00", image=""))
    assert price_alerted(priced) == [] and alerts_rows(priced) == []
    with priced.app.app_context():
        states = set(db.session().scalars(select(InboundEvent.state)))
    assert states == {EventState.PROCESSED.value}


def test_a_new_store_uses_the_domains_default_threshold(shopify: ShopifyAlerts) -> None:
    with shopify.app.app_context():
        assert db.session().get(Store, shopify.store_id).price_drop_percent == \
            DEFAULT_DROP_PERCENT


def test_customers_redact_erases_the_shoppers_price_alerts(priced: ShopifyAlerts) -> None:
    subscribe_to_price(priced, [shopper(1), shopper(2)], VARIANT)
    price(priced, "18.50")
    assert len(alerts_rows(priced)) == 2
    priced.webhook("customers/redact", {
        "shop_id": 1, "shop_domain": SHOP, "orders_to_redact": [],
        "customer": {"id": 991, "email": "ana@example.com", "phone": shopper(1)}})
    with priced.app.app_context():
        left = set(db.session().scalars(select(Customer.phone_e164).where(
            Customer.id.in_([a.customer_id for a in alerts_rows(priced)]))))
    assert left == {shopper(2)} and len(alerts_rows(priced)) == 1
