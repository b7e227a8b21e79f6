"""Back in stock on Shopify, through signed webhooks: shoppers subscribe on the storefront
and confirm on WhatsApp; inventory_levels/update (inventory item → variant) releases them
oldest first, twice the units per hour; a sell-out before the send stops the alert; STOP and
the weekly cap are obeyed; bad input changes nothing."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from plugin.domain.policy import SOLD_OUT_AGAIN
from plugin.infra import db
from plugin.models import AlertSubscription, Customer, EventState, InboundEvent, Message
from plugin.pipeline import send
from plugin.pipeline.alerts import release
from plugin.pipeline.alerts.links import resolve_alert_link
from tests.pipeline.alerts.conftest import ShopifyAlerts
from tests.pipeline.alerts.world import shopper
from tests.pipeline.catalog.e2e_shopify import rest_product
from tests.worlds.shopify import SHOP

PRODUCT, VARIANT, ITEM = 7, "7001", 7001


def stock(world: ShopifyAlerts, available: Any, item: int = ITEM, location: int = 1) -> None:
    """Shopify reports the item's available quantity at a location."""
    world.webhook("inventory_levels/update", {
        "inventory_item_id": item, "location_id": location, "available": available,
        "updated_at": "2026-12-06T10:00:00+01:00"})


@pytest.fixture
def sold_out(shopify: ShopifyAlerts) -> ShopifyAlerts:
    """The shop's product 7, sold out, known to the catalog from its webhook."""
    shopify.webhook("products/create", rest_product(PRODUCT, stock=0))
    stock(shopify, 0)
    return shopify


def test_a_restock_of_3_units_releases_the_first_6_of_10_and_the_rest_with_more_stock(
        sold_out: ShopifyAlerts) -> None:
    phones = [shopper(n) for n in range(10)]
    sold_out.subscribe_and_confirm(phones, VARIANT)
    assert set(sold_out.states().values()) == {"waiting"}
    assert [c[0:2] for c in sold_out.consents()] == [("back_in_stock", "widget")] * 10

    stock(sold_out, 3)
    assert sold_out.alerted() == phones[:6]  # oldest first, 2 × 3 units
    subs = sold_out.subscriptions()
    assert [s.state for s in subs] == ["released"] * 6 + ["waiting"] * 4

    stock(sold_out, 3)  # the same quantity again: the hour's quota is spent
    assert len(sold_out.alerted()) == 6
    stock(sold_out, 5)  # two more units: 2 × 5 − 6 already released
    assert sold_out.alerted() == phones

    with sold_out.app.app_context():
        release.sweep(db.utcnow())
    assert set(sold_out.states().values()) == {"alerted"}


def test_the_alert_names_the_product_links_through_t_and_shows_its_image(
        sold_out: ShopifyAlerts) -> None:
    sold_out.subscribe_and_confirm([shopper(1)], VARIANT)
    stock(sold_out, 1)
    [alert] = sold_out.alert_bodies()
    components = {c["type"]: c["parameters"] for c in alert["template"]["components"]}
    assert components["header"] == [{"type": "image", "image": {
        "link": f"https://cdn.shopify.com/s/files/p{PRODUCT}.jpg"}}]
    name, title, url = (p["text"] for p in components["body"])
    assert (name, title) == ("Ana", f"Product {PRODUCT}")  # the WhatsApp profile name
    [subscription] = sold_out.subscriptions()
    assert url == f"http://127.0.0.1:8000/t/{subscription.link_token}"
    with sold_out.app.app_context():
        assert resolve_alert_link(subscription.link_token) == \
            f"https://{SHOP}/products/product-{PRODUCT}"
        assert resolve_alert_link("not-a-token-of-ours-at-all") is None
        assert resolve_alert_link("../../etc") is None
    assert sold_out.subscriptions()[0].clicked_at is not None


def test_an_unconfirmed_subscription_is_not_released(sold_out: ShopifyAlerts) -> None:
    assert sold_out.subscribe(shopper(1), VARIANT).status_code == 201
    stock(sold_out, 4)
    assert sold_out.alerted() == []
    assert list(sold_out.states().values()) == ["pending"]
    sold_out.writes(shopper(1), "Notify me")  # confirmed; the next restock tells them
    sold_out.writes(shopper(1), "Thanks!")  # nothing more to confirm: no second answer
    replies = [s.payload["text"]["body"] for s in sold_out.graph.sent
               if s.payload.get("type") == "text" and s.payload["to"] == shopper(1)[1:]]
    assert replies == ["You're on the list: we'll send you one message here when "
                       f"Product {PRODUCT} is back in stock. Reply STOP if you change your mind."]
    stock(sold_out, 5)
    assert sold_out.alerted() == [shopper(1)]


def test_the_rest_are_released_once_the_hour_has_passed(sold_out: ShopifyAlerts) -> None:
    phones = [shopper(n) for n in range(5)]
    sold_out.subscribe_and_confirm(phones, VARIANT)
    stock(sold_out, 1)
    assert sold_out.alerted() == phones[:2]
    with sold_out.app.app_context():
        assert release.sweep(db.utcnow()) == 0  # still within the hour
        assert release.sweep(db.utcnow() + timedelta(minutes=61)) == 2
    assert sold_out.alerted() == phones[:4]


def test_a_sell_out_between_release_and_send_stops_the_alert(
        sold_out: ShopifyAlerts, monkeypatch: pytest.MonkeyPatch) -> None:
    phones = [shopper(n) for n in range(2)]
    sold_out.subscribe_and_confirm(phones, VARIANT)
    held: list[int] = []  # the send jobs, held as a busy queue would
    monkeypatch.setattr(release, "enqueue_after_commit",
                        lambda _session, _job, message_id, delay=0: held.append(message_id))
    stock(sold_out, 1)
    assert len(held) == 2 and set(sold_out.states().values()) == {"released"}
    stock(sold_out, 0)  # sold out again before the queue got to them
    with sold_out.app.app_context():
        for message_id in held:
            send.send_message(message_id)
    assert sold_out.alerted() == []
    assert {(m.state, m.reason) for m in sold_out.alert_messages()} == {
        ("skipped", SOLD_OUT_AGAIN)}

    monkeypatch.undo()
    with sold_out.app.app_context():
        release.sweep(db.utcnow())
    assert set(sold_out.states().values()) == {"waiting"}  # back in the queue, in place
    stock(sold_out, 1)
    assert sold_out.alerted() == phones  # each alerted once, in their order


def test_stop_and_the_weekly_cap_are_obeyed(sold_out: ShopifyAlerts) -> None:
    phones = [shopper(n) for n in range(3)]
    sold_out.subscribe_and_confirm(phones, VARIANT)
    sold_out.writes(phones[0], "STOP")
    with sold_out.app.app_context(), db.transaction() as session:
        capped = session.scalars(select(Customer.id).where(
            Customer.phone_e164 == phones[1])).one()
        for n in range(2):  # two marketing messages this week already
            session.add(Message(store_id=sold_out.store_id, customer_id=capped,
                                cause=f"campaign:{n}", step="campaign", to=phones[1],
                                template="back_in_stock", payload={}, state="sent",
                                attempts=1, sent_at=db.utcnow() - timedelta(days=1)))
    stock(sold_out, 10)
    assert sold_out.alerted() == [phones[2]]
    reasons = sorted(m.reason or "" for m in sold_out.alert_messages() if m.state == "skipped")
    assert reasons == ["marketing cap reached (2 a week)", "the customer opted out of marketing"]
    with sold_out.app.app_context():
        release.sweep(db.utcnow())
    assert sorted(sold_out.states().values()) == ["alerted", "cancelled", "cancelled"]


# Bad input ------------------------------------------------------------------------------------

def test_an_inventory_update_for_an_unknown_item_changes_nothing(sold_out: ShopifyAlerts) -> None:
    sold_out.subscribe_and_confirm([shopper(1)], VARIANT)
    stock(sold_out, 50, item=999999)
    assert sold_out.alerted() == []
    with sold_out.app.app_context():
        states = set(db.session().scalars(select(InboundEvent.state)))
    assert states == {EventState.PROCESSED.value}
    assert list(sold_out.states().values()) == ["waiting"]


def test_a_negative_stock_is_no_stock(sold_out: ShopifyAlerts) -> None:
    sold_out.subscribe_and_confirm([shopper(1)], VARIANT)
    stock(sold_out, -4)
    assert sold_out.alerted() == []
    stock(sold_out, 2, location=2)  # another location has some: -4 counts as 0, not -2
    assert sold_out.alerted() == [shopper(1)]


def test_a_deleted_variant_cannot_be_subscribed_to_and_ends_its_subscriptions(
        sold_out: ShopifyAlerts) -> None:
    sold_out.subscribe_and_confirm([shopper(1)], VARIANT)
    sold_out.webhook("products/delete", {"id": PRODUCT})
    assert list(sold_out.states().values()) == ["cancelled"]
    refused = sold_out.subscribe(shopper(2), VARIANT)
    assert refused.status_code == 400
    assert refused.get_json()["fields"] == {"variant": "variant_unknown"}
    assert sold_out.subscribe(shopper(2), "424242").get_json()["fields"] == {
        "variant": "variant_unknown"}
    stock(sold_out, 5)
    assert sold_out.alerted() == []


def test_the_same_number_subscribing_100_times_is_limited_and_stored_once(
        sold_out: ShopifyAlerts) -> None:
    same_address = [sold_out.subscribe(shopper(1), VARIANT).status_code for _ in range(100)]
    assert same_address.count(201) == 5 and set(same_address[5:]) == {429}
    many_addresses = [sold_out.subscribe(shopper(1), VARIANT, ip=f"192.0.2.{n}").status_code
                      for n in range(1, 101)]
    # The number's own limit (10 an hour) counts the 5 accepted above.
    assert many_addresses.count(201) == 5 and set(many_addresses[5:]) == {429}
    assert len(sold_out.subscriptions()) == 1
    assert len(sold_out.consents()) == 1  # the same words ticked again add nothing


def test_wrong_fields_are_named(sold_out: ShopifyAlerts) -> None:
    response = sold_out.subscribe("12", "", consent="0")
    assert response.status_code == 400
    assert response.get_json()["fields"] == {"phone": "phone_invalid",
                                             "consent": "consent_missing",
                                             "variant": "variant_missing"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    unknown = sold_out.app.test_client().post("/widget/nope/notify", data={})
    assert unknown.status_code == 404
    assert sold_out.subscriptions() == []


def test_a_subscription_expires_after_the_stores_days(sold_out: ShopifyAlerts) -> None:
    sold_out.subscribe_and_confirm([shopper(1)], VARIANT)
    [subscription] = sold_out.subscriptions()
    assert (subscription.expires_at - subscription.created_at).days == 90
    with sold_out.app.app_context():
        release.sweep(db.utcnow() + timedelta(days=91))
    assert list(sold_out.states().values()) == ["expired"]
    stock(sold_out, 5)
    assert sold_out.alerted() == []


def test_a_variant_removed_from_its_product_ends_its_subscriptions(
        shopify: ShopifyAlerts) -> None:
    shopify.webhook("products/create", rest_product(PRODUCT, variants=2, stock=0))
    shopify.subscribe_and_confirm([shopper(1)], "7002")
    shopify.webhook("products/update", rest_product(PRODUCT, variants=1, stock=0))
    assert shopify.subscribe(shopper(2), "7002").get_json()["fields"] == {
        "variant": "variant_unknown"}
    with shopify.app.app_context():
        release.sweep(db.utcnow())
    assert list(shopify.states().values()) == ["cancelled"]


def test_customers_redact_erases_the_shoppers_subscriptions(sold_out: ShopifyAlerts) -> None:
    sold_out.subscribe_and_confirm([shopper(1), shopper(2)], VARIANT)
    sold_out.webhook("customers/redact", {
        "shop_id": 1, "shop_domain": SHOP, "orders_to_redact": [],
        "customer": {"id": 991, "email": "ana@example.com", "phone": shopper(1)}})
    with sold_out.app.app_context():
        phones = set(db.session().scalars(select(Customer.phone_e164).join(
            AlertSubscription, AlertSubscription.customer_id == Customer.id)))
    assert phones == {shopper(2)}
