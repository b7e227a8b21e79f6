"""adapters/shopify/webhooks.py: every recorded Shopify body parses or is ignored; mappings
hold."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.shopify import webhooks
from adapters.shopify.webhooks import (
    COMPLIANCE_TOPICS,
    HANDLED_TOPICS,
    PayloadError,
    is_cash_on_delivery,
    parse_event,
)
from plugin.domain.events import (
    CheckoutEvent,
    ComplianceEvent,
    CustomerEvent,
    EventKind,
    ExportFinished,
    OrderEvent,
    ProductEvent,
    StockEvent,
    StoreEvent,
)
from tests.conftest import shared_fixture

DATA = Path(__file__).resolve().parents[1] / "data" / "shopify"

# (file, topic) for every file in shared/fixtures/shopify/trigger-dev, from the Topic(s)
# column of shared/fixtures/README.md. The three ProductFeed*.json files list no topic; they
# are identical to their ProductFeeds*.json twins and are parsed under the twin's topic.
TRIGGER_DEV_PAIRS: list[tuple[str, str]] = [
    ("AppSubscriptionsUpdate.json", "app_subscriptions/update"),
    ("AppUninstalled.json", "app/uninstalled"),
    ("BulkOperationsFinish.json", "bulk_operations/finish"),
    ("CartsCreate.json", "carts/create"),
    ("CartsCreate.json", "carts/update"),
    ("CheckoutsCreate.json", "checkouts/create"),
    ("CheckoutsCreate.json", "checkouts/update"),
    ("CheckoutsDelete.json", "checkouts/delete"),
    ("CollectionListingsAdd.json", "collection_listings/add"),
    ("CollectionListingsAdd.json", "collection_listings/update"),
    ("CollectionListingsRemove.json", "collection_listings/remove"),
    ("CollectionsCreate.json", "collections/create"),
    ("CollectionsCreate.json", "collections/update"),
    ("CollectionsDelete.json", "collections/delete"),
    ("CompaniesCreate.json", "companies/create"),
    ("CompaniesCreate.json", "companies/delete"),
    ("CompaniesCreate.json", "companies/update"),
    ("CompanyContactsCreate.json", "company_contacts/create"),
    ("CompanyContactsCreate.json", "company_contacts/delete"),
    ("CompanyContactsCreate.json", "company_contacts/update"),
    ("CompanyLocationsCreate.json", "company_locations/create"),
    ("CompanyLocationsCreate.json", "company_locations/delete"),
    ("CompanyLocationsCreate.json", "company_locations/update"),
    ("CustomerGroupsCreate.json", "customer_groups/create"),
    ("CustomerGroupsCreate.json", "customer_groups/update"),
    ("CustomerPaymentMethodsCreate.json", "customer_payment_methods/create"),
    ("CustomerPaymentMethodsCreate.json", "customer_payment_methods/revoke"),
    ("CustomerPaymentMethodsCreate.json", "customer_payment_methods/update"),
    ("CustomersCreate.json", "customers/create"),
    ("CustomersCreate.json", "customers/disable"),
    ("CustomersCreate.json", "customers/enable"),
    ("CustomersCreate.json", "customers/update"),
    ("CustomersDelete.json", "customers/delete"),
    ("CustomersEmailMarketingConsentUpdate.json", "customers_email_marketing_consent/update"),
    ("CustomersMarketingConsentUpdate.json", "customers_marketing_consent/update"),
    ("CustomersMerge.json", "customers/merge"),
    ("Deleted.json", "customer_groups/delete"),
    ("Deleted.json", "locations/delete"),
    ("Deleted.json", "markets/delete"),
    ("Deleted.json", "orders/delete"),
    ("Deleted.json", "products/delete"),
    ("Deleted.json", "profiles/delete"),
    ("Deleted.json", "subscription_billing_cycle_edits/delete"),
    ("Deleted.json", "themes/delete"),
    ("DeliveryProfile.json", "profiles/create"),
    ("DeliveryProfile.json", "profiles/update"),
    ("DisputesCreate.json", "disputes/create"),
    ("DisputesCreate.json", "disputes/update"),
    ("DomainsCreate.json", "domains/create"),
    ("DomainsCreate.json", "domains/destroy"),
    ("DomainsCreate.json", "domains/update"),
    ("DraftOrdersCreate.json", "draft_orders/create"),
    ("DraftOrdersCreate.json", "draft_orders/update"),
    ("DraftOrdersDelete.json", "draft_orders/delete"),
    ("Fulfillment.json", "fulfillments/create"),
    ("Fulfillment.json", "fulfillments/update"),
    ("FulfillmentEventsCreate.json", "fulfillment_events/create"),
    ("FulfillmentEventsCreate.json", "fulfillment_events/delete"),
    ("FulfillmentOrdersCancellationRequestAccepted.json",
     "fulfillment_orders/cancellation_request_accepted"),
    ("FulfillmentOrdersCancellationRequestRejected.json",
     "fulfillment_orders/cancellation_request_rejected"),
    ("FulfillmentOrdersCancellationRequestSubmitted.json",
     "fulfillment_orders/cancellation_request_submitted"),
    ("FulfillmentOrdersCancelled.json", "fulfillment_orders/cancelled"),
    ("FulfillmentOrdersFulfillmentRequestAccepted.json",
     "fulfillment_orders/fulfillment_request_accepted"),
    ("FulfillmentOrdersFulfillmentRequestRejected.json",
     "fulfillment_orders/fulfillment_request_rejected"),
    ("FulfillmentOrdersFulfillmentRequestSubmitted.json",
     "fulfillment_orders/fulfillment_request_submitted"),
    ("FulfillmentOrdersFulfillmentServiceFailedToComplete.json",
     "fulfillment_orders/fulfillment_service_failed_to_complete"),
    ("FulfillmentOrdersHoldReleased.json", "fulfillment_orders/hold_released"),
    ("FulfillmentOrdersLineItemsPreparedForLocalDelivery.json",
     "fulfillment_orders/line_items_prepared_for_local_delivery"),
    ("FulfillmentOrdersLineItemsPreparedForPickup.json",
     "fulfillment_orders/line_items_prepared_for_pickup"),
    ("FulfillmentOrdersMoved.json", "fulfillment_orders/moved"),
    ("FulfillmentOrdersOrderRoutingComplete.json", "fulfillment_orders/order_routing_complete"),
    ("FulfillmentOrdersPlacedOnHold.json", "fulfillment_orders/placed_on_hold"),
    ("FulfillmentOrdersRescheduled.json", "fulfillment_orders/rescheduled"),
    ("FulfillmentOrdersScheduledFulfillmentOrderReady.json",
     "fulfillment_orders/scheduled_fulfillment_order_ready"),
    ("InventoryItem.json", "inventory_items/create"),
    ("InventoryItem.json", "inventory_items/update"),
    ("InventoryItemDeleted.json", "inventory_items/delete"),
    ("InventoryLevel.json", "inventory_levels/connect"),
    ("InventoryLevel.json", "inventory_levels/update"),
    ("InventoryLevelDisconnected.json", "inventory_levels/disconnect"),
    ("Location.json", "locations/activate"),
    ("Location.json", "locations/create"),
    ("Location.json", "locations/deactivate"),
    ("Location.json", "locations/update"),
    ("Market.json", "markets/create"),
    ("Market.json", "markets/update"),
    ("Order.json", "orders/cancelled"),
    ("Order.json", "orders/create"),
    ("Order.json", "orders/fulfilled"),
    ("Order.json", "orders/paid"),
    ("Order.json", "orders/partially_fulfilled"),
    ("Order.json", "orders/updated"),
    ("OrderEdited.json", "orders/edited"),
    ("OrderTransactionsCreate.json", "order_transactions/create"),
    ("PaymentSchedule.json", "payment_schedules/due"),
    ("Product.json", "products/create"),
    ("Product.json", "products/update"),
    ("ProductFeedCreated.json", "product_feeds/create"),
    ("ProductFeedFullSync.json", "product_feeds/full_sync"),
    ("ProductFeedIncrementalSync.json", "product_feeds/incremental_sync"),
    ("ProductFeedsCreate.json", "product_feeds/create"),
    ("ProductFeedsFullSync.json", "product_feeds/full_sync"),
    ("ProductFeedsIncrementalSync.json", "product_feeds/incremental_sync"),
    ("ProductListing.json", "product_listings/add"),
    ("ProductListing.json", "product_listings/update"),
    ("ProductListingRemoved.json", "product_listings/remove"),
    ("Refund.json", "refunds/create"),
    ("ScheduledProductListingsAdd.json", "scheduled_product_listings/add"),
    ("ScheduledProductListingsAdd.json", "scheduled_product_listings/update"),
    ("ScheduledProductListingsRemove.json", "scheduled_product_listings/remove"),
    ("SellingPlanGroup.json", "selling_plan_groups/create"),
    ("SellingPlanGroup.json", "selling_plan_groups/update"),
    ("SellingPlanGroupDeleted.json", "selling_plan_groups/delete"),
    ("Shop.json", "shop/update"),
    ("ShopLocale.json", "locales/create"),
    ("ShopLocale.json", "locales/update"),
    ("SubscriptionBillingAttempt.json", "subscription_billing_attempts/challenged"),
    ("SubscriptionBillingAttempt.json", "subscription_billing_attempts/failure"),
    ("SubscriptionBillingAttempt.json", "subscription_billing_attempts/success"),
    ("SubscriptionBillingCycle.json", "subscription_billing_cycle_edits/create"),
    ("SubscriptionBillingCycle.json", "subscription_billing_cycle_edits/update"),
    ("SubscriptionContract.json", "subscription_contracts/create"),
    ("SubscriptionContract.json", "subscription_contracts/update"),
    ("TenderTransaction.json", "tender_transactions/create"),
    ("Theme.json", "themes/create"),
    ("Theme.json", "themes/publish"),
    ("Theme.json", "themes/update"),
]

# What each handled topic becomes for its trigger-dev body (kind None: the type is enough).
EXPECTED: dict[str, tuple[type, EventKind | None]] = {
    "app/uninstalled": (StoreEvent, EventKind.APP_UNINSTALLED),
    "shop/update": (StoreEvent, EventKind.SHOP_UPDATED),
    "checkouts/create": (CheckoutEvent, EventKind.CHECKOUT_UPDATED),
    "checkouts/update": (CheckoutEvent, EventKind.CHECKOUT_UPDATED),
    "customers/create": (CustomerEvent, EventKind.CUSTOMER_CHANGED),
    "customers/update": (CustomerEvent, EventKind.CUSTOMER_CHANGED),
    "customers_marketing_consent/update": (CustomerEvent, EventKind.CONSENT_CHANGED),
    "fulfillments/create": (OrderEvent, EventKind.ORDER_FULFILLED),
    "fulfillments/update": (OrderEvent, EventKind.ORDER_FULFILLED),
    "inventory_levels/update": (StockEvent, EventKind.STOCK_CHANGED),
    "orders/cancelled": (OrderEvent, EventKind.ORDER_CANCELLED),
    "orders/create": (OrderEvent, EventKind.ORDER_PLACED),
    "orders/fulfilled": (OrderEvent, EventKind.ORDER_FULFILLED),
    "orders/paid": (OrderEvent, EventKind.ORDER_PAID),
    "orders/updated": (OrderEvent, EventKind.ORDER_UPDATED),
    "products/create": (ProductEvent, EventKind.PRODUCT_CHANGED),
    "products/update": (ProductEvent, EventKind.PRODUCT_CHANGED),
    "products/delete": (ProductEvent, EventKind.PRODUCT_DELETED),
    "refunds/create": (OrderEvent, EventKind.ORDER_REFUNDED),
    "bulk_operations/finish": (ExportFinished, EventKind.EXPORT_FINISHED),
}

# shopify-python-api REST responses: (file, resource key, topics). Lists are parsed item by
# item; products.json is a bare array.
REST_FILES: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("order.json", "order", tuple(webhooks.ORDER_TOPICS)),
    ("orders.json", "orders", ("orders/updated",)),
    ("customer.json", "customer", ("customers/create", "customers/update")),
    ("product.json", "product", ("products/create", "products/update", "products/delete")),
    ("products.json", None, ("products/update",)),
    ("checkouts.json", "checkouts", ("checkouts/create", "checkouts/update")),
    ("fulfillment.json", "fulfillment", ("fulfillments/create", "fulfillments/update")),
    ("inventory_level.json", "inventory_level", ("inventory_levels/update",)),
    ("shop.json", "shop", ("shop/update", "app/uninstalled")),
    ("carts.json", "carts", ("carts/create",)),
]


def _body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def _trigger(name: str) -> bytes:
    return shared_fixture("shopify", "trigger-dev", name).read_bytes()


def _own(name: str) -> bytes:
    return (DATA / name).read_bytes()


# Recorded payloads -----------------------------------------------------------------------------

def test_the_pairs_cover_every_trigger_dev_file() -> None:
    folder = shared_fixture("shopify", "trigger-dev")
    assert {path.name for path in folder.glob("*.json")} == {name for name, _ in TRIGGER_DEV_PAIRS}


@pytest.mark.parametrize(("name", "topic"), TRIGGER_DEV_PAIRS,
                         ids=[f"{n}:{t}" for n, t in TRIGGER_DEV_PAIRS])
def test_every_recorded_body_becomes_an_event_or_is_ignored(name: str, topic: str) -> None:
    event = parse_event(topic, _trigger(name))
    if topic in EXPECTED:
        event_type, kind = EXPECTED[topic]
        assert isinstance(event, event_type)
        assert kind is None or event.kind is kind
    else:
        assert event is None


@pytest.mark.parametrize("topic", sorted(HANDLED_TOPICS))
def test_any_recorded_body_under_a_handled_topic_parses_or_is_refused(topic: str) -> None:
    """Wrong-topic bodies (a theme under orders/create) must fail as PayloadError, nothing else."""
    for name in sorted({name for name, _ in TRIGGER_DEV_PAIRS}):
        try:
            parse_event(topic, _trigger(name))
        except PayloadError:
            pass


@pytest.mark.parametrize(("name", "key", "topics"), REST_FILES, ids=[f[0] for f in REST_FILES])
def test_rest_resources_unwrapped_parse_under_their_topics(
        name: str, key: str | None, topics: tuple[str, ...]) -> None:
    data = json.loads(shared_fixture("shopify", "shopify-python-api", name).read_bytes())
    resource = data if key is None else data[key]
    for item in resource if isinstance(resource, list) else [resource]:
        for topic in topics:
            event = parse_event(topic, _body(item))
            assert (event is not None) == (topic in HANDLED_TOPICS), (name, topic)


def test_a_recorded_order_reads_its_fields() -> None:
    event = parse_event("orders/create", _trigger("Order.json"))
    assert isinstance(event, OrderEvent)
    assert event.kind is EventKind.ORDER_PLACED
    assert event.order_id.isdigit()  # ids are strings; the values were JS-rounded, so no equality
    assert (event.number, event.currency, event.total) == ("1234", "USD", Decimal("388.00"))
    assert event.status == "cancelled"
    assert event.payment_gateway == "visa, bogus"
    assert not is_cash_on_delivery(event.payment_gateway)
    assert event.status_url.startswith("https://jsmith.myshopify.com/")
    assert [(i.title, i.quantity, i.price) for i in event.line_items] == \
        [("IPod Nano - 8GB", 1, Decimal("199.00"))] * 2
    assert event.customer is not None and event.customer.email == "john@example.com"
    assert event.customer.phone is None  # "555-555-SHIP" and "123-123-1234" are not real numbers


def test_an_order_takes_tracking_from_its_shipped_fulfillments() -> None:
    data = json.loads(shared_fixture("shopify", "shopify-python-api", "order.json").read_bytes())
    event = parse_event("orders/fulfilled", _body(data["order"]))
    assert isinstance(event, OrderEvent)
    assert (event.order_id, event.number, event.status) == ("450789469", "1001", "authorized")
    assert event.payment_gateway == "authorize_net"  # the legacy `gateway` field as a fallback
    assert event.tracking is None  # its one fulfillment has status "failure": nothing shipped
    fulfillment = {**data["order"]["fulfillments"][0], "status": "success"}
    shipped = {**data["order"], "fulfillments": [fulfillment]}
    event = parse_event("orders/fulfilled", _body(shipped))
    assert event.tracking is not None and event.tracking.number == "1Z2345"


def test_a_recorded_refund_and_product_and_stock() -> None:
    refund = parse_event("refunds/create", _trigger("Refund.json"))
    assert isinstance(refund, OrderEvent) and refund.total == Decimal("0")  # no transactions
    product = parse_event("products/update", _trigger("Product.json"))
    assert isinstance(product, ProductEvent)
    assert [(v.sku, v.price, v.inventory_quantity) for v in product.variants] == \
        [("example-shirt-s", Decimal("19.99"), 75), ("example-shirt-m", Decimal("19.99"), 50)]
    stock = parse_event("inventory_levels/update", _trigger("InventoryLevel.json"))
    assert isinstance(stock, StockEvent) and stock.available is None
    assert stock.location_id == "24826418"


# Focused behaviour -----------------------------------------------------------------------------

@pytest.mark.parametrize("gateway", [
    "Cash on Delivery (COD)", "cash_on_delivery", "COD", "manual, Cash on Delivery (COD)",
    "Pago contra entrega", "Contrareembolso", "Paiement à la livraison", "Nachnahme",
    "Pay on delivery",
])
def test_cash_on_delivery_is_recognised(gateway: str) -> None:
    assert is_cash_on_delivery(gateway)


@pytest.mark.parametrize("gateway", ["", "shopify_payments", "bogus", "paypal", "Codigo Pix",
                                     "Decoded Payments"])
def test_other_gateways_are_not_cash_on_delivery(gateway: str) -> None:
    assert not is_cash_on_delivery(gateway)


def _order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": 5813392015363, "name": "#1042", "order_number": 1042, "currency": "EUR",
        "total_price": "54.80", "financial_status": "pending", "fulfillment_status": None,
        "cancelled_at": None, "payment_gateway_names": ["Cash on Delivery (COD)"],
        "customer": {"id": 7221945827331, "first_name": "Ana", "last_name": "Silva",
                     "email": "ana@example.com", "phone": None},
        "shipping_address": {"phone": "912 345 678", "country_code": "PT"},
        "line_items": [{"title": "Linen shirt", "quantity": 2, "price": "24.90"}],
        "order_status_url": "https://shop.example/orders/abc/authenticate?key=k",
    }
    order.update(changes)
    return order


def test_a_cod_order_with_a_national_phone() -> None:
    event = parse_event("orders/create", _body(_order()))
    assert isinstance(event, OrderEvent)
    assert event.order_id == "5813392015363" and event.number == "1042"
    assert is_cash_on_delivery(event.payment_gateway)
    assert event.customer is not None
    assert event.customer.platform_id == "7221945827331"
    assert event.customer.phone == "+351912345678"  # national number + the address's country
    assert event.status == "pending"


def test_the_phone_comes_from_the_customer_first_then_billing_then_the_order() -> None:
    customer = {"id": 1, "phone": "+12133734253"}
    assert parse_event("orders/paid", _body(_order(customer=customer))).customer.phone == \
        "+12133734253"
    guest = _order(customer=None, shipping_address=None, phone="0912345678", email="g@example.com",
                   billing_address={"country_code": "PT", "phone": None})
    event = parse_event("orders/paid", _body(guest))
    assert event.customer is not None and event.customer.platform_id == ""  # a guest
    assert event.customer.phone is None  # 0912… is not a valid Portuguese number
    guest["phone"] = "912345678"
    assert parse_event("orders/paid", _body(guest)).customer.phone == "+351912345678"


@pytest.mark.parametrize(("changes", "status"), [
    ({"cancelled_at": "2025-10-01T10:00:00Z", "financial_status": "paid"}, "cancelled"),
    ({"financial_status": "paid", "fulfillment_status": "fulfilled"}, "fulfilled"),
    ({"financial_status": "paid", "fulfillment_status": "partial"}, "partially_fulfilled"),
    ({"financial_status": "paid"}, "paid"),
    ({"financial_status": "refunded"}, "refunded"),
    ({"financial_status": None}, "open"),
])
def test_the_order_status_is_one_word(changes: dict[str, Any], status: str) -> None:
    assert parse_event("orders/updated", _body(_order(**changes))).status == status


def test_the_number_falls_back_to_the_name_without_hash() -> None:
    event = parse_event("orders/create", _body(_order(order_number=None, name="#SC-1042")))
    assert event.number == "SC-1042"


def _fulfillment(**changes: Any) -> dict[str, Any]:
    fulfillment: dict[str, Any] = {
        "id": 4891823, "order_id": 5813392015363, "status": "success", "name": "#1042.1",
        "shipment_status": "delivered", "tracking_company": "CTT",
        "tracking_number": None, "tracking_numbers": ["RR123456789PT"],
        "tracking_url": None, "tracking_urls": ["https://ctt.example/track/RR123456789PT"],
        "line_items": [{"title": "Linen shirt", "quantity": 2, "price": "24.90"}],
    }
    fulfillment.update(changes)
    return fulfillment


def test_a_delivered_fulfillment_is_order_delivered_with_tracking() -> None:
    event = parse_event("fulfillments/update", _body(_fulfillment()))
    assert isinstance(event, OrderEvent)
    assert event.kind is EventKind.ORDER_DELIVERED
    assert (event.order_id, event.number) == ("5813392015363", "1042")
    assert (event.currency, event.total) == ("", Decimal("0"))  # filled from the order snapshot
    assert event.tracking is not None
    assert (event.tracking.number, event.tracking.company) == ("RR123456789PT", "CTT")
    assert event.tracking.url == "https://ctt.example/track/RR123456789PT"


@pytest.mark.parametrize(("changes", "kind"), [
    ({"shipment_status": "out_for_delivery"}, EventKind.ORDER_OUT_FOR_DELIVERY),
    ({"shipment_status": "failure"}, EventKind.ORDER_DELIVERY_FAILED),
    ({"shipment_status": "attempted_delivery"}, EventKind.ORDER_DELIVERY_FAILED),
    ({"shipment_status": "in_transit"}, EventKind.ORDER_FULFILLED),
    ({"shipment_status": None}, EventKind.ORDER_FULFILLED),
    ({"shipment_status": "something_new"}, EventKind.ORDER_FULFILLED),
    ({"status": "cancelled", "shipment_status": None}, EventKind.ORDER_UPDATED),
])
def test_the_shipment_status_picks_the_kind(changes: dict[str, Any], kind: EventKind) -> None:
    assert parse_event("fulfillments/create", _body(_fulfillment(**changes))).kind is kind


def test_a_refund_sums_its_successful_refund_transactions() -> None:
    refund = {"id": 1, "order_id": 5813392015363, "refund_line_items": [
        {"quantity": 1, "line_item": {"title": "Linen shirt", "price": "24.90"}}],
        "transactions": [
            {"kind": "refund", "status": "success", "amount": "24.90", "currency": "EUR"},
            {"kind": "refund", "status": "success", "amount": "5.00", "currency": "EUR"},
            {"kind": "refund", "status": "failure", "amount": "99.00", "currency": "EUR"}]}
    event = parse_event("refunds/create", _body(refund))
    assert isinstance(event, OrderEvent) and event.kind is EventKind.ORDER_REFUNDED
    assert (event.order_id, event.total, event.currency) == \
        ("5813392015363", Decimal("29.90"), "EUR")
    assert [(i.title, i.quantity) for i in event.line_items] == [("Linen shirt", 1)]


def test_a_checkout_has_its_recovery_url_and_phone() -> None:
    checkout = json.loads(_trigger("CheckoutsCreate.json"))
    checkout["shipping_address"].update(phone="(213) 373-4253")
    event = parse_event("checkouts/update", _body(checkout))
    assert isinstance(event, CheckoutEvent)
    assert event.recovery_url.endswith("/checkouts/123123123/recover?key=example-secret-token")
    assert event.customer is not None and event.customer.phone == "+12133734253"
    assert (event.currency, event.total, event.completed) == ("USD", Decimal("398.00"), False)
    checkout.update(phone="+351912345678", completed_at="2025-10-01T10:00:00Z")
    event = parse_event("checkouts/update", _body(checkout))
    assert event.customer.phone == "+351912345678" and event.completed


def test_a_checkout_carries_what_cart_recovery_keeps() -> None:
    checkout = json.loads(_trigger("CheckoutsCreate.json"))
    checkout["line_items"][0].update(variant_id=39072856, variant_title="Blue",
                                     image_url="https://cdn.example.com/a.jpg")
    checkout.update(phone="612 345 678", billing_address=None, shipping_address=None,
                    customer=None, sms_marketing_phone=None)
    event = parse_event("checkouts/update", _body(checkout))
    assert isinstance(event, CheckoutEvent)
    assert (event.checkout_id, event.token, event.updated_at) == (
        str(checkout["id"]), "123123123", "2021-12-31T19:00:00-05:00")
    line = event.line_items[0]
    assert (line.variant_id, line.product_id, line.variant_title, line.image_url) == (
        "39072856", "632910392", "Blue", "https://cdn.example.com/a.jpg")
    # No country to read the national number by: kept as typed for the owner to see.
    assert event.customer is not None and event.customer.phone is None
    assert (event.phone_raw, event.phone_country) == (
        "612 345 678", "")


def test_an_order_names_the_checkout_it_completes() -> None:
    order = json.loads(_trigger("Order.json"))
    order.update(checkout_id=901414060, checkout_token="bd5a8aa1ecd019dd3520ff791ee3a24c")
    event = parse_event("orders/create", _body(order))
    assert isinstance(event, OrderEvent)
    assert (event.checkout_id, event.checkout_token) == (
        "901414060", "bd5a8aa1ecd019dd3520ff791ee3a24c")
    bare = parse_event("orders/create", _trigger("Order.json"))
    assert isinstance(bare, OrderEvent) and (bare.checkout_id, bare.checkout_token) == ("", "")


def test_a_checkout_without_id_uses_its_token_and_delete_is_ignored() -> None:
    event = parse_event("checkouts/create", _body({"token": "abc123", "total_price": "1.00"}))
    assert isinstance(event, CheckoutEvent) and event.checkout_id == "abc123"
    assert parse_event("checkouts/delete", _trigger("CheckoutsDelete.json")) is None


@pytest.mark.parametrize(("state", "granted"), [
    ("subscribed", True), ("unsubscribed", False), ("not_subscribed", False),
    ("pending", False), ("redacted", False), (None, False),
])
def test_sms_consent_opt_in_and_out(state: str | None, granted: bool) -> None:
    body = {"id": 7221945827331, "phone": "+351912345678", "sms_marketing_consent": {
        "state": state, "opt_in_level": "single_opt_in",
        "consent_updated_at": "2025-10-01T10:00:00Z", "consent_collected_from": "SHOPIFY"}}
    event = parse_event("customers_marketing_consent/update", _body(body))
    assert isinstance(event, CustomerEvent) and event.kind is EventKind.CONSENT_CHANGED
    assert event.customer.platform_id == "7221945827331"
    assert event.customer.phone == "+351912345678"
    assert event.consent is not None
    assert (event.consent.channel, event.consent.granted) == ("sms", granted)
    assert event.consent.source == "single_opt_in"
    assert event.consent.occurred_at == "2025-10-01T10:00:00Z"


def test_a_consent_topic_without_consent_is_malformed() -> None:
    with pytest.raises(PayloadError):
        parse_event("customers_marketing_consent/update", _body({"id": 1}))


def test_a_customer_update_with_consent_stays_customer_changed() -> None:
    body = {"id": 1, "first_name": "Ana", "phone": "912345678",
            "default_address": {"country_code": "PT"},
            "sms_marketing_consent": {"state": "subscribed", "opt_in_level": "single_opt_in"}}
    event = parse_event("customers/update", _body(body))
    assert isinstance(event, CustomerEvent) and event.kind is EventKind.CUSTOMER_CHANGED
    assert event.customer.phone == "+351912345678"
    assert event.consent is not None and event.consent.granted


def test_uninstall_and_shop_update() -> None:
    assert parse_event("app/uninstalled", _trigger("AppUninstalled.json")).kind is \
        EventKind.APP_UNINSTALLED
    shop = json.loads(_trigger("Shop.json"))
    shop["iana_timezone"] = "America/New_York"
    event = parse_event("shop/update", _body(shop))
    assert isinstance(event, StoreEvent) and event.kind is EventKind.SHOP_UPDATED
    assert (event.name, event.currency, event.country, event.timezone, event.locale) == \
        ("Super Toys", "USD", "US", "America/New_York", "en")
    assert parse_event("app/uninstalled", b"{}") == StoreEvent(kind=EventKind.APP_UNINSTALLED)


def test_compliance_data_request() -> None:
    event = parse_event("customers/data_request", _own("customers_data_request.json"))
    assert event == ComplianceEvent(
        kind=EventKind.CUSTOMER_DATA_REQUEST, customer_platform_id="7221945827331",
        phone="+351912345678", email="ana.silva@example.com",
        order_ids=("5813392015363", "5813392048131"), request_id="48123")


def test_compliance_customer_redact() -> None:
    event = parse_event("customers/redact", _own("customers_redact.json"))
    assert event == ComplianceEvent(
        kind=EventKind.CUSTOMER_REDACT, customer_platform_id="7221945827331",
        phone="+351912345678", email="ana.silva@example.com",
        order_ids=("5813392015363", "5813392048131", "5813392080899"))


def test_compliance_shop_redact() -> None:
    assert parse_event("shop/redact", _own("shop_redact.json")) == \
        ComplianceEvent(kind=EventKind.SHOP_REDACT)


def test_a_redact_keeps_a_phone_it_cannot_normalise() -> None:
    body = {"customer": {"id": 9, "phone": "555-625-1199"}, "orders_to_redact": []}
    assert parse_event("customers/redact", _body(body)).phone == "555-625-1199"
    with pytest.raises(PayloadError):
        parse_event("customers/redact", _body({"shop_id": 1, "customer": {}}))


def test_the_topic_sets() -> None:
    assert COMPLIANCE_TOPICS == {"customers/data_request", "customers/redact", "shop/redact"}
    assert COMPLIANCE_TOPICS <= HANDLED_TOPICS
    assert not HANDLED_TOPICS & webhooks.IGNORED_TOPICS
    assert all("/" in topic and topic == topic.lower() for topic in HANDLED_TOPICS)


# Bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("topic", "body"), [
    ("orders/create", b"not json"),
    ("orders/create", b"\xff\xfe\x00garbage"),
    ("orders/create", b"[1, 2]"),
    ("orders/create", b'"a string"'),
    ("orders/create", _body({"name": "#1", "total_price": "1.00"})),  # no id
    ("orders/create", _body({"id": 1, "total_price": "NaN"})),
    ("orders/create", _body({"id": 1, "total_price": "1", "customer": "someone"})),
    ("orders/paid", _body({"id": True, "total_price": "1.00"})),
    ("fulfillments/create", _body({"id": 1})),  # no order_id
    ("products/update", _body({"id": 1, "variants": [{"title": "no id"}]})),
    ("inventory_levels/update", _body({"inventory_item_id": 1, "location_id": 2,
                                       "available": "many"})),
    ("shop/redact", b"[" * 100_000),
])
def test_a_malformed_body_raises_payload_error(topic: str, body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_event(topic, body)


def test_an_unknown_topic_is_none_whatever_the_body() -> None:
    assert parse_event("themes/publish", b"not even json") is None
    assert parse_event("orders/partially_fulfilled", _body(_order())) is None
    assert parse_event("", b"{}") is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["1.00", "subscribed", "delivered", "#1001", "US", "+351912345678"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
_KEYS = ["id", "order_id", "token", "name", "order_number", "total_price", "currency", "phone",
         "customer", "billing_address", "shipping_address", "line_items", "fulfillments",
         "payment_gateway_names", "status", "shipment_status", "tracking_numbers", "transactions",
         "refund_line_items", "variants", "inventory_item_id", "location_id", "available",
         "sms_marketing_consent", "addresses", "default_address", "orders_to_redact",
         "orders_requested", "data_request", "cancelled_at", "financial_status",
         "completed_at", "abandoned_checkout_url", "iana_timezone"]
_objects = st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=6), _json, max_size=8)


def _parses_or_refuses(topic: str, payload: Any) -> None:
    try:
        parse_event(topic, json.dumps(payload).encode())
    except PayloadError:
        pass


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(topic=st.sampled_from(sorted(HANDLED_TOPICS)), payload=_objects)
def test_any_json_object_parses_or_raises_payload_error(topic: str, payload: Any) -> None:
    _parses_or_refuses(topic, payload)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(_KEYS), value=_json,
       topic=st.sampled_from(sorted(HANDLED_TOPICS)))
def test_a_real_body_with_one_field_replaced_parses_or_raises_payload_error(
        field: str, value: Any, topic: str) -> None:
    for base in (_order(), _fulfillment(),
                 {"id": 1, "token": "t", "customer": {"id": 2, "phone": "912345678"}},
                 {"customer": {"id": 1}, "orders_to_redact": [1], "data_request": {"id": 2}},
                 {"id": 1, "variants": [{"id": 2, "price": "1.00"}],
                  "sms_marketing_consent": {"state": "subscribed"}}):
        _parses_or_refuses(topic, {**base, field: value})
        nested = {**base, "customer": {"id": 1, field: value},
                  "line_items": [{"title": "x", field: value}]}
        _parses_or_refuses(topic, nested)


def test_a_finished_bulk_operation_names_the_export_and_its_outcome() -> None:
    failed = parse_event("bulk_operations/finish", _body({
        "admin_graphql_api_id": "gid://shopify/BulkOperation/9", "status": "failed",
        "error_code": "TIMEOUT", "type": "query"}))
    assert failed == ExportFinished(export_id="gid://shopify/BulkOperation/9",
                                    status="failed", error_code="timeout")
    assert not failed.completed and failed.kind is EventKind.EXPORT_FINISHED
    # A bulk mutation's end is not a catalog export's: stored and ignored.
    assert parse_event("bulk_operations/finish", _body({
        "admin_graphql_api_id": "gid://shopify/BulkOperation/10", "status": "completed",
        "type": "mutation"})) is None
    with pytest.raises(PayloadError):
        parse_event("bulk_operations/finish", _body({"status": "completed"}))


def test_recorded_order_lines_carry_their_product_and_variant_ids() -> None:
    """Cross-sell counts products bought together, and never suggests one bought."""
    data = json.loads(shared_fixture("shopify", "shopify-python-api", "order.json").read_bytes())
    event = parse_event("orders/create", _body(data["order"]))
    assert isinstance(event, OrderEvent)
    assert [(i.product_id, i.variant_id) for i in event.line_items][:2] == [
        ("632910392", "39072856"), ("632910392", "49148385")]
    product = parse_event("products/update", _body(json.loads(shared_fixture(
        "shopify", "shopify-python-api", "product.json").read_bytes())["product"]))
    assert isinstance(product, ProductEvent) and product.category == "Cult Products"
