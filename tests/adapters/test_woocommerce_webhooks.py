"""adapters/woocommerce/webhooks.py: every recorded WooCommerce body parses or is ignored;
mappings hold."""
from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.woocommerce.payloads import catalog_product
from adapters.woocommerce.webhooks import (
    COMPANION_TOPICS,
    HANDLED_TOPICS,
    WEBHOOK_TOPICS,
    PayloadError,
    cart_consent,
    is_cash_on_delivery,
    order_consent,
    parse_event,
)
from plugin.domain.events import (
    CheckoutEvent,
    ConsentChange,
    EventKind,
    LineItem,
    OrderEvent,
    ProductEvent,
    Tracking,
    Variant,
)
from tests.conftest import shared_fixture

DATA = Path(__file__).resolve().parents[1] / "data" / "woocommerce"

ORDER_TOPICS = ("order.created", "order.updated")
PRODUCT_TOPICS = ("product.created", "product.updated")

# Every order- or product-like REST payload in shared/fixtures/woocommerce/airbyte, by file
# (list responses) or by stream (expected_records.jsonl), with the topics it is parsed under.
# WooCommerce has no refund topic (a refund reaches us as order.updated of its order), and
# StoreChat does not subscribe to customer.*: those bodies must come out as None.
TOPICS_BY_STREAM: dict[str, tuple[str, ...]] = {
    "orders": ORDER_TOPICS,
    "products": PRODUCT_TOPICS,
    "product_variations": PRODUCT_TOPICS,
    "refunds": ("order.updated",),
    "customers": ("customer.created", "customer.updated", "order.updated"),
}
# The other list responses in the folder: not orders or products.
OTHER_FILES = {
    "coupons.json", "order_notes.json", "payment_gateways.json",
    "product_attribute_terms.json", "product_attributes.json", "product_categories.json",
    "product_reviews.json", "product_shipping_classes.json", "product_tags.json",
    "shipping_methods.json", "shipping_zone_locations.json", "shipping_zone_methods.json",
    "shipping_zones.json", "system_status_tools.json", "tax_classes.json", "tax_rates.json",
}


def _body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def _airbyte(name: str) -> Path:
    return shared_fixture("woocommerce", "airbyte", name)


def _list_response(name: str) -> list[dict[str, Any]]:
    return json.loads(_airbyte(name).read_bytes())


def _records(stream: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(stream, REST object) for each expected_records.jsonl line, the envelope stripped."""
    for line in _airbyte("expected_records.jsonl").read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            if stream is None or record["stream"] == stream:
                yield record["stream"], record["data"]


def _own(name: str) -> bytes:
    return (DATA / name).read_bytes()


# Recorded payloads -----------------------------------------------------------------------------

def test_every_file_is_either_parsed_or_known_not_to_be_an_order_or_product() -> None:
    folder = shared_fixture("woocommerce", "airbyte")
    parsed = {f"{stream}.json" for stream in TOPICS_BY_STREAM}
    assert {path.name for path in folder.glob("*.json")} == parsed | OTHER_FILES


def _check(stream: str, topic: str, item: dict[str, Any]) -> None:
    event = parse_event(topic, _body(item))  # must not raise
    if topic not in HANDLED_TOPICS or stream in ("refunds", "customers"):
        assert event is None, (stream, topic)
    elif stream == "orders":
        assert isinstance(event, OrderEvent) and event.order_id == str(item["id"])
        assert event.kind is {"order.created": EventKind.ORDER_PLACED,
                              "order.updated": EventKind.ORDER_UPDATED}[topic]
        assert event.status == item["status"]
    else:
        assert isinstance(event, ProductEvent) and event.kind is EventKind.PRODUCT_CHANGED


@pytest.mark.parametrize("stream", sorted(TOPICS_BY_STREAM))
def test_every_recorded_list_element_becomes_an_event_or_none(stream: str) -> None:
    items = _list_response(f"{stream}.json")
    assert items
    for item in items:
        for topic in TOPICS_BY_STREAM[stream]:
            _check(stream, topic, item)


@pytest.mark.parametrize("stream", sorted(TOPICS_BY_STREAM))
def test_every_real_store_record_becomes_an_event_or_none(stream: str) -> None:
    records = [data for _, data in _records(stream)]
    assert records
    for data in records:
        for topic in TOPICS_BY_STREAM[stream]:
            _check(stream, topic, data)


@pytest.mark.parametrize("topic", sorted(HANDLED_TOPICS))
def test_any_recorded_body_under_a_handled_topic_parses_or_is_refused(topic: str) -> None:
    """A coupon under order.created, a tax rate under cart.updated: PayloadError, nothing else."""
    bodies = [item for name in sorted(OTHER_FILES | {f"{s}.json" for s in TOPICS_BY_STREAM})
              for item in _list_response(name)]
    bodies += [data for _, data in _records()]
    for body in bodies:
        try:
            parse_event(topic, _body(body))
        except PayloadError:
            pass


def test_a_recorded_order_reads_its_fields() -> None:
    event = parse_event("order.created", _body(_list_response("orders.json")[0]))
    assert isinstance(event, OrderEvent)
    assert (event.order_id, event.number, event.status) == ("727", "727", "processing")
    assert (event.currency, event.total) == ("USD", Decimal("59.99"))
    assert event.payment_gateway == "stripe"  # the id, not "Credit Card (Stripe)"
    assert not is_cash_on_delivery(event.payment_gateway)
    assert [(i.title, i.quantity, i.price) for i in event.line_items] == \
        [("Test Product", 1, Decimal("49.99"))]
    assert event.customer is not None
    assert (event.customer.platform_id, event.customer.first_name) == ("1", "John")
    assert event.customer.email == "john.doe@example.com"
    assert event.customer.phone is None  # "555-1234" is not a whole US number
    assert event.tracking is None and event.status_url == ""


def test_a_real_store_order_keeps_its_pending_status_and_registered_customer() -> None:
    (_, order), = _records("orders")
    event = parse_event("order.updated", _body(order))
    assert isinstance(event, OrderEvent) and event.kind is EventKind.ORDER_UPDATED
    assert (event.order_id, event.status, event.total) == ("45", "pending", Decimal("90.00"))
    assert event.customer is not None and event.customer.platform_id == "210684523"
    assert event.payment_gateway == ""


def test_a_recorded_simple_product_is_one_variant_of_itself() -> None:
    event = parse_event("product.updated", _body(_list_response("products.json")[0]))
    assert event == ProductEvent(
        kind=EventKind.PRODUCT_CHANGED, product_id="99", title="Test Product", status="publish",
        handle="test-product",
        variants=(Variant(variant_id="99", title="Test Product", sku="TEST-001",
                          price=Decimal("49.99"), inventory_quantity=100),))


def test_a_real_store_variable_product_lists_its_variations() -> None:
    variable = next(data for _, data in _records("products") if data["type"] == "variable")
    event = parse_event("product.created", _body(variable))
    assert isinstance(event, ProductEvent) and event.product_id == "46"
    assert [v.variant_id for v in event.variants] == [str(n) for n in range(51, 60)]
    variation = next(data for _, data in _records("product_variations"))
    event = parse_event("product.updated", _body(variation))
    assert [(v.title, v.sku, v.price, v.inventory_quantity) for v in event.variants] == \
        [("white / 6", "test_prod_1-1", None, 33)]  # price "" is unknown, not zero


def test_a_refund_object_is_not_an_order() -> None:
    for refund in [*_list_response("refunds.json"), *(d for _, d in _records("refunds"))]:
        assert parse_event("order.updated", _body(refund)) is None


def test_the_recorded_gateways_only_cod_is_cash_on_delivery() -> None:
    gateways = {g["id"]: is_cash_on_delivery(g["id"]) for g in
                _list_response("payment_gateways.json")}
    assert gateways == {"bacs": False, "cheque": False, "cod": True, "paypal": False}


# Focused behaviour -----------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "cod"), [
    ("cod", True), ("COD", True), (" cod ", True), ("", False), ("bacs", False),
    ("stripe", False), ("codepay", False), ("woocommerce_payments", False),
])
def test_cash_on_delivery_is_the_cod_gateway(method: str, cod: bool) -> None:
    assert is_cash_on_delivery(method) is cod


def _order(**changes: Any) -> dict[str, Any]:
    order = json.loads(_own("order_cod_guest.json"))
    order.update(changes)
    return order


def test_a_guest_cod_order_with_a_national_phone_and_tracking() -> None:
    raw = _own("order_cod_guest.json")
    assert b"https:\\/\\/www.ctt.pt" in raw  # WordPress's escaping, read as-is
    event = parse_event("order.created", raw)
    assert isinstance(event, OrderEvent) and event.kind is EventKind.ORDER_PLACED
    assert (event.order_id, event.number, event.status) == ("1042", "1042", "processing")
    assert (event.currency, event.total) == ("EUR", Decimal("54.30"))
    assert event.payment_gateway == "cod" and is_cash_on_delivery(event.payment_gateway)
    assert event.customer is not None
    assert event.customer.platform_id == "guest:ana.silva@example.com"
    assert (event.customer.first_name, event.customer.last_name) == ("Ana", "Silva")
    assert event.customer.email == "Ana.Silva@Example.com"
    assert event.customer.phone == "+351912345678"  # national number + billing country
    assert [(i.title, i.quantity, i.price) for i in event.line_items] == \
        [("Camisa de linho", 2, Decimal("20.245"))]  # a float price, read exactly
    assert event.tracking == Tracking(  # the newest shipment of the two
        number="EA123456789PT", company="CTT Expresso",
        url="https://www.ctt.pt/feapl_2/app/open/objectSearch/objectSearch.jspx"
            "?objects=EA123456789PT")


def test_a_body_with_a_byte_order_mark_still_parses() -> None:
    event = parse_event("order.updated", b"\xef\xbb\xbf" + _own("order_cod_guest.json"))
    assert isinstance(event, OrderEvent) and event.order_id == "1042"


@pytest.mark.parametrize(("billing", "shipping", "phone"), [
    ({"phone": "912 345 678", "country": "PT"}, {}, "+351912345678"),
    ({"phone": "(213) 373-4253", "country": "US"}, {}, "+12133734253"),
    ({"phone": "11 91234-5678", "country": "BR"}, {}, "+5511912345678"),
    ({"phone": "+351 912 345 678", "country": "US"}, {}, "+351912345678"),
    ({"phone": "912345678", "country": ""}, {"country": "PT"}, "+351912345678"),
    ({"phone": "", "country": "PT"}, {"phone": "912345678", "country": "PT"}, "+351912345678"),
    ({"phone": "555-1234", "country": "US"}, {}, None),
    ({"phone": "912345678", "country": ""}, {}, None),  # no country to read it in
])
def test_the_billing_phone_becomes_e164_from_the_billing_country(
        billing: dict[str, str], shipping: dict[str, str], phone: str | None) -> None:
    event = parse_event("order.updated", _body(_order(
        customer_id=7, billing={"email": "a@example.com", **billing}, shipping=shipping)))
    assert event.customer is not None and event.customer.phone == phone


@pytest.mark.parametrize(("customer_id", "billing", "platform_id"), [
    (12, {"email": "a@example.com", "phone": "912345678", "country": "PT"}, "12"),
    ("12", {"email": "", "phone": ""}, "12"),
    (0, {"email": " Ana@Example.COM ", "phone": "912345678", "country": "PT"},
     "guest:ana@example.com"),
    (0, {"email": "", "phone": "912 345 678", "country": "PT"}, "guest:+351912345678"),
    ("0", {"email": "", "phone": "555-1234", "country": "US"}, "guest:555-1234"),
    (None, {"email": "", "phone": "", "country": "PT"}, None),
])
def test_the_customer_id_of_registered_and_guest_orders(
        customer_id: Any, billing: dict[str, str], platform_id: str | None) -> None:
    event = parse_event("order.created", _body(_order(customer_id=customer_id, billing=billing)))
    if platform_id is None:
        assert event.customer is None
    else:
        assert event.customer is not None and event.customer.platform_id == platform_id


def _meta(*entries: tuple[str, Any]) -> list[dict[str, Any]]:
    return [{"id": n, "key": key, "value": value} for n, (key, value) in enumerate(entries)]


@pytest.mark.parametrize(("meta", "tracking"), [
    (_meta(("_wc_shipment_tracking_items", [  # Advanced Shipment Tracking
        {"tracking_provider": "usps", "formatted_tracking_provider": "USPS",
         "formatted_tracking_link": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400",
         "tracking_number": "9400"}])),
     Tracking(number="9400", company="USPS",
              url="https://tools.usps.com/go/TrackConfirmAction?tLabels=9400")),
    (_meta(("_wc_shipment_tracking_items", [  # Shipment Tracking, a predefined provider
        {"tracking_provider": "dhl", "tracking_number": "OLD-1"},
        {"tracking_provider": "postnord-se", "custom_tracking_provider": "",
         "custom_tracking_link": "", "tracking_number": "PN123456789SE"}])),
     Tracking(number="PN123456789SE", company="postnord-se")),
    (_meta(("_wc_shipment_tracking_items", {"0": {"tracking_number": "A1"},  # a PHP gap
                                            "2": {"tracking_number": "B2"}})),
     Tracking(number="B2")),
    (_meta(("_wc_shipment_tracking_items", [
        {"tracking_number": "X1", "custom_tracking_provider": "Dropp",
         "custom_tracking_link": "javascript:alert(1)"}])),
     Tracking(number="X1", company="Dropp")),  # only http(s) links reach a message
    (_meta(("_ywot_tracking_code", "RR1PT"), ("_ywot_carrier_name", "CTT"),
           ("_ywot_carrier_url", "https://ctt.example/track/[TRACK_CODE]")),
     Tracking(number="RR1PT", company="CTT", url="https://ctt.example/track/RR1PT")),
    (_meta(("ywot_tracking_code", 123456), ("ywot_carrier_id", "gls")),
     Tracking(number="123456", company="gls")),
    (_meta(("_tracking_number", "1Z999"), ("_tracking_provider", "UPS"),
           ("_tracking_url", "https://www.ups.com/track?tracknum=1Z999")),
     Tracking(number="1Z999", company="UPS", url="https://www.ups.com/track?tracknum=1Z999")),
    (_meta(("tracking_number", " T-7 "), ("tracking_carrier", "Correos")),
     Tracking(number="T-7", company="Correos")),
    (_meta(("_tracking_provider", "UPS")), None),  # a carrier alone is not a shipment
    (_meta(("_wc_shipment_tracking_items", "a:0:{}"), ("_tracking_number", {"no": 1})), None),
    (_meta(("_wc_shipment_tracking_items", [None, 3, "x", {"tracking_number": ""}])), None),
    ("not a list", None),
    ([{"key": 5, "value": "x"}, "entry", None], None),
])
def test_shipment_tracking_meta_becomes_tracking(meta: Any, tracking: Tracking | None) -> None:
    event = parse_event("order.updated", _body(_order(meta_data=meta)))
    assert isinstance(event, OrderEvent) and event.tracking == tracking


def test_shipment_items_win_over_flat_keys_and_the_first_duplicate_key_wins() -> None:
    meta = _meta(("_tracking_number", "FLAT"),
                 ("_wc_shipment_tracking_items", [{"tracking_number": "ITEM"}]),
                 ("_tracking_number", "LATER"))
    assert parse_event("order.updated", _body(_order(meta_data=meta))).tracking == \
        Tracking(number="ITEM")
    meta = _meta(("_tracking_number", "FIRST"), ("_tracking_number", "SECOND"))
    assert parse_event("order.updated", _body(_order(meta_data=meta))).tracking == \
        Tracking(number="FIRST")


def test_order_deleted_with_only_an_id() -> None:
    event = parse_event("order.deleted", _own("order_deleted.json"))
    assert event == OrderEvent(kind=EventKind.ORDER_CANCELLED, order_id="1042", number="",
                               status="deleted", currency="", total=Decimal("0"))
    full = parse_event("order.deleted", _own("order_cod_guest.json"))
    assert isinstance(full, OrderEvent) and full.kind is EventKind.ORDER_CANCELLED
    assert (full.status, full.total, full.number) == ("deleted", Decimal("54.30"), "1042")


@pytest.mark.parametrize("status", [
    "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
    "checkout-draft", "ready-for-pickup", "trash", "shipped", "awaiting-shipment", "Em trânsito",
])
def test_the_status_is_kept_verbatim(status: str) -> None:
    event = parse_event("order.updated", _body(_order(status=status)))
    assert isinstance(event, OrderEvent) and event.kind is EventKind.ORDER_UPDATED
    assert event.status == status


def test_products_deleted_and_stock_only_updates() -> None:
    assert parse_event("product.deleted", _body({"id": 99})) == \
        ProductEvent(kind=EventKind.PRODUCT_DELETED, product_id="99")
    product = _list_response("products.json")[0]
    restocked = parse_event("product.updated", _body({**product, "stock_quantity": 3}))
    assert restocked.kind is EventKind.PRODUCT_CHANGED
    assert [v.inventory_quantity for v in restocked.variants] == [3]
    sold_out = {**product, "manage_stock": False, "stock_quantity": None,
                "stock_status": "outofstock"}
    assert [v.inventory_quantity for v in parse_event("product.updated",
                                                      _body(sold_out)).variants] == [0]
    unmanaged = {**sold_out, "stock_status": "instock"}
    assert [v.inventory_quantity for v in parse_event("product.updated",
                                                      _body(unmanaged)).variants] == [None]


def test_a_variation_delivery_updates_its_parent() -> None:
    event = parse_event("product.updated", _own("product_variation.json"))
    assert event == ProductEvent(
        kind=EventKind.PRODUCT_CHANGED, product_id="501",
        variants=(Variant(variant_id="507", title="M / Azul", sku="LINEN-M",
                          price=Decimal("24.90"), inventory_quantity=7),))


def test_embedded_variation_objects_are_read_in_full() -> None:
    body = {"id": 46, "type": "variable", "name": "Shirt", "variations": [
        {"id": 51, "sku": "S-1", "price": "9.50", "stock_quantity": "4",
         "attributes": [{"name": "size", "option": "S"}]}, 52]}
    event = parse_event("product.created", _body(body))
    assert event.variants == (
        Variant(variant_id="51", title="S", sku="S-1", price=Decimal("9.50"),
                inventory_quantity=4),
        Variant(variant_id="52", title=""))
    assert parse_event("product.created", _body({**body, "variations": []})).variants == ()


def test_a_companion_cart_event_is_a_checkout_event() -> None:
    for topic in sorted(COMPANION_TOPICS):
        event = parse_event(topic, _own("cart_updated.json"))
        assert isinstance(event, CheckoutEvent) and event.kind is EventKind.CHECKOUT_UPDATED
        assert (event.checkout_id, event.currency, event.total, event.completed) == \
            ("c7e4b1a2f9d84e0b", "EUR", Decimal("54.30"), False)
        assert event.recovery_url == \
            "https://loja.example/?storechat_restore=c7e4b1a2f9d84e0b&sig=4f1a"
        assert [(i.title, i.quantity, i.price) for i in event.line_items] == \
            [("Camisa de linho", 2, Decimal("24.90"))]
        assert event.customer is not None
        assert (event.customer.phone, event.customer.locale) == ("+351912345678", "pt_PT")
        # the same guest rule as orders, so the cart and its order name one customer
        assert event.customer.platform_id == "guest:ana.silva@example.com"
        order = parse_event("order.created", _own("order_cod_guest.json"))
        assert order.customer.platform_id == event.customer.platform_id
    assert cart_consent(_own("cart_updated.json")) == ConsentChange(
        channel="whatsapp", granted=True, source="Quero receber novidades e ofertas por WhatsApp.")


def test_a_minimal_cart_and_a_registered_shopper() -> None:
    event = parse_event("cart.updated", _body({"cart_token": "t1"}))
    assert event == CheckoutEvent(kind=EventKind.CHECKOUT_UPDATED, checkout_id="t1", currency="",
                                  total=Decimal("0"))
    assert cart_consent(_body({"cart_token": "t1"})) is None
    event = parse_event("checkout.updated", _body({"cart_token": "t2", "customer_id": 7,
                                                   "completed": True, "total": 12.5}))
    assert event.customer.platform_id == "7" and event.completed
    assert event.total == Decimal("12.5")
    refused = _body({"cart_token": "t3", "consent": {"marketing": False, "text": "Opt in"}})
    assert cart_consent(refused).granted is False


def test_a_cart_from_plugin_1_1_names_each_items_variant_and_image() -> None:
    event = parse_event("cart.updated", _own("cart_updated_1_1.json"))
    assert isinstance(event, CheckoutEvent)
    shirt, tote = event.line_items
    assert shirt == LineItem(
        title="Camisa de linho", quantity=2, price=Decimal("119.90"), variant_id="41",
        product_id="40", variant_title="Azul, M",
        image_url="https://loja.example/wp-content/uploads/2025/09/camisa-azul-600x600.jpg")
    # A simple product: variation 0 is no variant, and nothing names one.
    assert (tote.product_id, tote.variant_id, tote.variant_title) == ("52", "", "")
    assert tote.image_url.endswith("/bolsa-600x600.jpg")
    assert event.customer is not None and event.customer.phone == "+5511912345678"


def test_a_cart_from_plugin_1_0_reads_without_ids_variant_or_image() -> None:
    event = parse_event("cart.updated", _own("cart_updated.json"))
    [item] = event.line_items
    assert (item.product_id, item.variant_id, item.variant_title, item.image_url) == (
        "", "", "", "")
    legacy = parse_event("cart.updated", _body({"cart_token": "t", "items": [
        {"name": "Tee", "quantity": 1, "price": 9.5, "product_id": None, "variation_id": None,
         "variant_title": None, "image_url": None}]}))
    assert legacy.line_items == (LineItem(title="Tee", quantity=1, price=Decimal("9.5")),)


@pytest.mark.parametrize(("image_url", "read"), [
    ("ftp://loja.example/a.jpg", ""), ("javascript:alert(1)", ""), ("/uploads/a.jpg", ""),
    ("", ""), (" https://loja.example/a.jpg ", "https://loja.example/a.jpg"),
    ("http://loja.example/a.jpg", "http://loja.example/a.jpg"),  # the sender keeps https only
])
def test_a_cart_items_image_is_a_web_address_or_none(image_url: str, read: str) -> None:
    event = parse_event("cart.updated", _body({"cart_token": "t", "items": [
        {"name": "Tee", "quantity": 1, "price": "1", "image_url": image_url}]}))
    assert event.line_items[0].image_url == read


@pytest.mark.parametrize("item", [
    {"name": "Tee", "quantity": 1, "product_id": True},
    {"name": "Tee", "quantity": 1, "variation_id": -3},
    {"name": "Tee", "quantity": 1, "variation_id": {"id": 4}},
])
def test_a_cart_item_with_an_id_of_the_wrong_type_is_refused(item: dict[str, Any]) -> None:
    with pytest.raises(PayloadError):
        parse_event("cart.updated", _body({"cart_token": "t", "items": [item]}))


def test_a_cart_keeps_its_time_and_an_unreadable_phone() -> None:
    event = parse_event("cart.updated", _body({"cart_token": "t1", "phone": "912 345 678",
                                               "updated_at": "2026-11-20T10:00:00Z"}))
    assert isinstance(event, CheckoutEvent)
    assert (event.updated_at, event.phone_raw, event.phone_country) == (
        "2026-11-20T10:00:00Z", "912 345 678", "")
    read = parse_event("cart.updated", _body({"cart_token": "t1", "phone": "912 345 678",
                                              "country": "PT"}))
    assert read.customer.phone == "+351912345678" and read.phone_raw == ""


def test_an_order_names_the_cart_it_came_from() -> None:
    order = json.loads(_own("order_cod_guest.json"))
    order["meta_data"] = [*order.get("meta_data", []),
                          {"id": 99, "key": "_storechat_cart_token", "value": "c0ffee"}]
    event = parse_event("order.created", _body(order))
    assert isinstance(event, OrderEvent) and event.checkout_id == "c0ffee"
    # The block checkout's draft is no order yet: the cart may still be abandoned.
    draft = parse_event("order.created", _body(dict(order, status="checkout-draft")))
    assert isinstance(draft, OrderEvent) and draft.checkout_id == ""


def test_a_consent_box_never_shown_is_no_statement() -> None:
    unshown = _body({"cart_token": "t", "consent": {"marketing": False, "text": ""}})
    assert cart_consent(unshown) is None
    assert isinstance(parse_event("cart.updated", unshown), CheckoutEvent)
    granted = _body({"cart_token": "t", "consent": {"marketing": True}})
    assert cart_consent(granted) == ConsentChange(channel="whatsapp", granted=True, source="")


@pytest.mark.parametrize(("answer", "granted"), [("yes", True), ("no", False), ("", None),
                                                 (None, None), ({"x": 1}, None)])
def test_the_companion_plugins_order_meta_gives_consent(answer: Any, granted: bool | None) -> None:
    meta = _meta(("_storechat_marketing_consent", answer),
                 ("_storechat_consent_text", "WhatsApp offers"),
                 ("_storechat_cart_token", "c7e4b1a2f9d84e0b"))
    consent = order_consent(_body(_order(meta_data=meta)))
    if granted is None:
        assert consent is None
    else:
        assert consent == ConsentChange(channel="whatsapp", granted=granted,
                                        source="WhatsApp offers")
    assert order_consent(_own("order_cod_guest.json")) is None


def test_a_wordpress_error_body_is_not_an_event() -> None:
    wp_error = {"errors": {"woocommerce_rest_shop_order_invalid_id": ["Invalid ID."]},
                "error_data": {"woocommerce_rest_shop_order_invalid_id": {"status": 404}}}
    rest_error = {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.",
                  "data": {"status": 404}}
    for topic in ("order.created", "order.updated", "product.updated", "product.deleted"):
        assert parse_event(topic, _body(wp_error)) is None
        assert parse_event(topic, _body(rest_error)) is None


def test_the_topic_sets() -> None:
    assert WEBHOOK_TOPICS == {"order.created", "order.updated", "order.deleted",
                              "product.created", "product.updated", "product.deleted"}
    assert COMPANION_TOPICS == {"cart.updated", "checkout.updated"}
    assert HANDLED_TOPICS == WEBHOOK_TOPICS | COMPANION_TOPICS


# Bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("topic", "body"), [
    ("order.created", b"not json"),
    ("order.created", b"\xff\xfe\x00garbage"),
    ("order.created", b"[1, 2]"),
    ("order.updated", b'"a string"'),
    ("order.updated", b"webhook_id=12"),  # the ping is the receiver's business, not ours
    ("order.created", _body({"status": "processing", "total": "1.00"})),  # no id
    ("order.created", _body({"id": 0, "status": "processing", "total": "1.00"})),
    ("order.created", _body({"id": 1, "status": "processing"})),  # no total
    ("order.created", _body({"id": 1, "status": "processing", "total": "NaN"})),
    ("order.updated", _body({"id": 1, "status": 3, "total": "1.00"})),
    ("order.updated", _body({"id": True, "status": "processing", "total": "1.00"})),
    ("order.updated", _body({"id": 1, "total": "1", "billing": "someone"})),
    ("order.updated", _body({"id": 1, "total": "1", "line_items": "two shirts"})),
    ("order.updated", _body({"id": 1, "total": "1", "line_items": [{"quantity": "two"}]})),
    ("order.deleted", _body({})),
    ("product.updated", _body({"name": "no id"})),
    ("product.updated", _body({"id": 1, "price": "cheap"})),
    ("product.updated", _body({"id": 1, "type": "variable", "variations": "51,52"})),
    ("product.updated", _body({"id": 1, "type": "variable", "variations": [{"sku": "x"}]})),
    ("product.deleted", _body({"id": -4})),
    ("cart.updated", _body({"phone": "912345678"})),  # no cart_token
    ("cart.updated", _body({"cart_token": ""})),
    ("cart.updated", _body({"cart_token": 42})),
    ("cart.updated", _body({"cart_token": "t", "restore_url": "javascript:alert(1)"})),
    ("cart.updated", _body({"cart_token": "t", "consent": {"marketing": "yes"}})),
    ("cart.updated", _body({"cart_token": "t", "consent": True})),
    ("cart.updated", _body({"cart_token": "t", "items": [{"name": "x", "price": "free"}]})),
    ("checkout.updated", _body({"cart_token": "t", "phone": 912345678})),
    ("checkout.updated", _body({"cart_token": "t", "customer_id": "7"})),
    ("checkout.updated", _body({"cart_token": "t", "completed": "no"})),
    ("product.updated", b"[" * 100_000),
])
def test_a_malformed_body_raises_payload_error(topic: str, body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_event(topic, body)


def test_a_malformed_consent_raises_payload_error() -> None:
    with pytest.raises(PayloadError):
        cart_consent(_body({"cart_token": "t", "consent": {"text": "no marketing key"}}))
    with pytest.raises(PayloadError):
        cart_consent(b"not json")


def test_an_unknown_topic_is_none_whatever_the_body() -> None:
    for topic in ("coupon.created", "customer.updated", "order.restored", "product.restored",
                  "action.woocommerce_order_refunded", "orders/create", "ORDER.CREATED", ""):
        assert parse_event(topic, b"not even json") is None
        assert parse_event(topic, _own("order_cod_guest.json")) is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["1.00", "", "0", "processing", "cod", "variation", "variable", "PT",
                       "912345678", "https://x.example/t", "[TRACK_CODE]",
                       "_wc_shipment_tracking_items", "_tracking_number", "outofstock"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
_KEYS = ["id", "status", "total", "currency", "number", "customer_id", "billing", "shipping",
         "payment_method", "line_items", "meta_data", "key", "value", "tracking_number",
         "type", "parent_id", "variations", "attributes", "option", "sku", "price",
         "stock_quantity", "stock_status", "name", "slug", "errors", "code", "message",
         "cart_token", "phone", "email", "country", "items", "restore_url", "consent",
         "marketing", "completed", "quantity"]
_objects = st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=6), _json, max_size=8)


def _parses_or_refuses(topic: str, payload: Any) -> None:
    try:
        parse_event(topic, json.dumps(payload).encode())
    except PayloadError:
        pass
    for reader in (cart_consent, order_consent):
        try:
            reader(json.dumps(payload).encode())
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
    for name in ("order_cod_guest.json", "product_variation.json", "cart_updated.json"):
        base = json.loads(_own(name))
        _parses_or_refuses(topic, {**base, field: value})
        nested = {**base, "billing": {"country": "PT", field: value},
                  "meta_data": [{"key": "_wc_shipment_tracking_items",
                                 "value": [{"tracking_number": "1", field: value}]},
                                {"key": field, "value": value}],
                  "line_items": [{"name": "x", field: value}],
                  "variations": [{"id": 2, field: value}],
                  "consent": {"marketing": True, field: value}}
        _parses_or_refuses(topic, nested)


def test_recorded_order_lines_carry_product_ids_and_a_category_is_read() -> None:
    """A simple product's line (variation_id 0) names the product as its variant, as the
    catalog lists it; a product's first category is cross-sell's fallback."""
    event = parse_event("order.created", _body(_list_response("orders.json")[0]))
    assert isinstance(event, OrderEvent)
    assert [(i.product_id, i.variant_id) for i in event.line_items] == [("99", "99")]
    # The catalog reads the product back from the site (the webhook's body is not whole).
    product = catalog_product(_list_response("products.json")[0], currency="USD")
    assert product.category == "Electronics"
    assert catalog_product({"id": 5, "categories": [{"name": "Uncategorized"}]},
                           currency="USD").category == ""
