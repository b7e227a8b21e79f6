"""Shopify webhooks (topic + raw body) into domain events.

Payload shapes are the REST webhook bodies of Admin API 2025-10 (the bare resource object,
no wrapper key). `parse_event` returns None for a topic StoreChat stores but does not act
on, and raises `PayloadError` for a body that cannot be read as its topic says.

Decisions worth knowing:

- `fulfillments/*` and `refunds/*` bodies carry no order totals, currency or customer: their
  OrderEvent has total Decimal('0') and currency ''; processing fills them (and the customer)
  from the stored order snapshot, keyed by `order_id`.
- `customers/create|update` is CUSTOMER_CHANGED. When such a body still carries
  `sms_marketing_consent` (API versions before 2025-01) it is attached as `consent`, but the
  kind stays CUSTOMER_CHANGED: it is a snapshot repeated on every profile edit, not a change.
  Only `customers_marketing_consent/update` (Shopify's SMS consent topic) is CONSENT_CHANGED.
- A guest order without a customer object still yields a CustomerRef (platform_id '') when
  it has a phone or email, so an order message can reach the shopper.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.fields import money, text
from adapters.json_body import load_object
from adapters.shopify import payloads
from plugin.domain.errors import PayloadError
from plugin.domain.events import (
    CheckoutEvent,
    ComplianceEvent,
    ConsentChange,
    CustomerEvent,
    DomainEvent,
    EventKind,
    ExportFinished,
    OrderEvent,
    ProductEvent,
    StockEvent,
    StoreEvent,
)
from plugin.domain.journeys import is_cash_on_delivery  # noqa: F401  (public: COD names)
from plugin.domain.phones import to_e164

ORDER_TOPICS: dict[str, EventKind] = {
    "orders/create": EventKind.ORDER_PLACED,
    "orders/paid": EventKind.ORDER_PAID,
    "orders/updated": EventKind.ORDER_UPDATED,
    "orders/cancelled": EventKind.ORDER_CANCELLED,
    "orders/fulfilled": EventKind.ORDER_FULFILLED,
}

COMPLIANCE_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})

# Topics that are stored and deliberately ignored even though they sound relevant.
IGNORED_TOPICS = frozenset({"checkouts/delete"})

# Fulfillment shipment_status -> event kind; any other status (in_transit, confirmed,
# label_printed, null, a value Shopify adds later) means "shipped": ORDER_FULFILLED.
SHIPMENT_KINDS: dict[str, EventKind] = {
    "out_for_delivery": EventKind.ORDER_OUT_FOR_DELIVERY,
    "delivered": EventKind.ORDER_DELIVERED,
    "failure": EventKind.ORDER_DELIVERY_FAILED,
    "attempted_delivery": EventKind.ORDER_DELIVERY_FAILED,  # the shopper must act: re-arrange
}

# A fulfillment in one of these states never shipped: report it as an order change, not as
# "your order is on its way".
UNSHIPPED_FULFILLMENT_STATES = frozenset({"cancelled", "error", "failure"})


def parse_event(topic: str, body: bytes) -> DomainEvent | None:
    """The domain event for a Shopify delivery; None for a topic StoreChat does not act on."""
    build = _BUILDERS.get(topic)
    if build is None:
        return None
    data = load_object(body)
    try:
        return build(topic, data)
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise PayloadError(f"malformed {topic} payload: {exc}") from None


# Orders, fulfillments, refunds ---------------------------------------------------------------

def _order(topic: str, data: payloads.Raw) -> OrderEvent:
    customer = payloads.obj(data.get("customer"), "customer")
    billing = payloads.obj(data.get("billing_address"), "billing_address")
    shipping = payloads.obj(data.get("shipping_address"), "shipping_address")
    default = payloads.obj(customer.get("default_address"), "default_address")
    country = payloads.country_of(shipping, billing, default)
    phone = payloads.first_e164([
        (customer.get("phone"), payloads.country_of(default) or country),
        *payloads.address_phones(billing, shipping), (data.get("phone"), country)])
    email = data.get("email") or data.get("contact_email")
    gateways = [text(name) for name in _list(data.get("payment_gateway_names"))]
    fulfillments = payloads.objects(data.get("fulfillments"), "fulfillments")
    sent = [f for f in fulfillments if text(f.get("status")) not in UNSHIPPED_FULFILLMENT_STATES]
    shipped = [t for t in (payloads.tracking(f) for f in sent) if t]
    financial = text(data.get("financial_status"))
    return OrderEvent(
        kind=ORDER_TOPICS[topic],
        order_id=payloads.ident(data.get("id"), "order id"),
        number=_order_number(data),
        status=_order_status(data),
        currency=text(data.get("currency")),
        total=money(data.get("total_price"), "total_price"),
        customer=(payloads.customer_ref(customer, phone=phone, email=email,
                                 names_from=billing or shipping,
                                 locale=data.get("customer_locale"))
                  if customer or phone or email else None),
        payment_gateway=", ".join(filter(None, gateways)) or text(data.get("gateway")),
        line_items=payloads.line_items(data.get("line_items")),
        tracking=shipped[-1] if shipped else None,  # the latest shipment
        status_url=text(data.get("order_status_url")),
        awaiting_payment=financial == "pending" and not data.get("cancelled_at"),
        shipment_status=text(sent[-1].get("shipment_status")) if sent else "",
        checkout_id=payloads.optional_ident(data.get("checkout_id"), "checkout_id"),
        checkout_token=payloads.optional_ident(data.get("checkout_token"), "checkout_token"),
        placed_at=text(data.get("processed_at") or data.get("created_at")),
        discounted=bool(_list(data.get("discount_codes"))),
        country=country or "",
    )


def _order_number(data: payloads.Raw, *, fulfillment: bool = False) -> str:
    """`order_number`, else the name without '#'; a fulfillment's name '#1001.1' gives '1001'."""
    number = payloads.optional_ident(data.get("order_number"), "order_number")
    if number:
        return number
    name = text(data.get("name")).strip().lstrip("#")
    return name.rsplit(".", 1)[0] if fulfillment else name


def _order_status(data: payloads.Raw) -> str:
    """One word for the order's state, from cancelled_at and the two Shopify statuses."""
    financial = text(data.get("financial_status"))
    fulfillment = text(data.get("fulfillment_status"))
    if data.get("cancelled_at"):
        return "cancelled"
    if financial in ("refunded", "voided"):
        return financial
    if fulfillment == "fulfilled":
        return "fulfilled"
    if fulfillment == "partial":
        return "partially_fulfilled"
    if financial in ("paid", "partially_paid", "partially_refunded"):
        return "paid"
    return financial or "open"  # pending, authorized, expired, or nothing said


def _fulfillment(topic: str, data: payloads.Raw) -> OrderEvent:
    state = text(data.get("status"))
    shipment = text(data.get("shipment_status"))
    if state in UNSHIPPED_FULFILLMENT_STATES:
        kind = EventKind.ORDER_UPDATED
    else:
        kind = SHIPMENT_KINDS.get(shipment, EventKind.ORDER_FULFILLED)
    return OrderEvent(
        kind=kind,
        order_id=payloads.ident(data.get("order_id"), "order_id"),
        number=_order_number(data, fulfillment=True),
        status=shipment or state,
        currency="",  # not in a fulfillment body: filled from the order snapshot
        total=Decimal("0"),
        line_items=payloads.line_items(data.get("line_items")),
        tracking=payloads.tracking(data),
        shipment_status=shipment,
    )


def _refund(topic: str, data: payloads.Raw) -> OrderEvent:
    refunded = [t for t in payloads.objects(data.get("transactions"), "transactions")
                if text(t.get("kind")) in ("refund", "")
                and text(t.get("status")) not in ("failure", "error")]
    lines = payloads.objects(data.get("refund_line_items"), "refund_line_items")
    return OrderEvent(
        kind=EventKind.ORDER_REFUNDED,
        order_id=payloads.ident(data.get("order_id"), "order_id"),
        number="",
        status="refunded",
        currency=next((text(t.get("currency")) for t in refunded if text(t.get("currency"))),
                      ""),
        total=sum((money(t.get("amount"), "transaction amount", Decimal("0"))
                   for t in refunded), Decimal("0")),
        line_items=payloads.line_items([{**payloads.obj(line.get("line_item"), "line_item"),
                                  "quantity": line.get("quantity")} for line in lines]),
    )


# Checkouts, products, stock ------------------------------------------------------------------

def _checkout(topic: str, data: payloads.Raw) -> CheckoutEvent:
    customer = payloads.obj(data.get("customer"), "customer")
    billing = payloads.obj(data.get("billing_address"), "billing_address")
    shipping = payloads.obj(data.get("shipping_address"), "shipping_address")
    default = payloads.obj(customer.get("default_address"), "address")
    country = payloads.country_of(shipping, billing, default)
    candidates = [(data.get("phone"), country), *payloads.address_phones(shipping, billing),
                  (data.get("sms_marketing_phone"), country), (customer.get("phone"), country)]
    phone = payloads.first_e164(candidates)
    # The phone as typed, kept when none reads as E.164 (so the owner can see why).
    typed = next(((text(raw), text(where)) for raw, where in candidates if text(raw).strip()),
                 ("", ""))
    token = payloads.optional_ident(data.get("token"), "checkout token")
    checkout_id = (payloads.optional_ident(data.get("id"), "checkout id")
                   or payloads.ident(data.get("token"), "checkout token"))
    return CheckoutEvent(
        kind=EventKind.CHECKOUT_UPDATED,
        checkout_id=checkout_id,
        currency=text(data.get("currency")) or text(data.get("presentment_currency")),
        total=money(data.get("total_price"), "total_price", Decimal("0")),
        customer=(payloads.customer_ref(customer, phone=phone, email=data.get("email"),
                                 names_from=shipping or billing,
                                 locale=data.get("customer_locale"))
                  if customer or phone or data.get("email") else None),
        recovery_url=text(data.get("abandoned_checkout_url")),
        completed=bool(data.get("completed_at")),
        line_items=payloads.checkout_items(data.get("line_items")),
        token=token,
        updated_at=text(data.get("updated_at")) or text(data.get("created_at")),
        phone_raw="" if phone else typed[0].strip(),
        phone_country="" if phone else typed[1],
    )


def _product(topic: str, data: payloads.Raw) -> ProductEvent:
    if topic == "products/delete":  # the body names only the id
        return ProductEvent(kind=EventKind.PRODUCT_DELETED,
                            product_id=payloads.ident(data.get("id"), "product id"))
    # Everything the catalog maps; the currency is the store's (the sync fills it in).
    return payloads.catalog_product(data, currency="")


def _stock(topic: str, data: payloads.Raw) -> StockEvent:
    return StockEvent(
        kind=EventKind.STOCK_CHANGED,
        inventory_item_id=payloads.ident(data.get("inventory_item_id"), "inventory_item_id"),
        location_id=payloads.ident(data.get("location_id"), "location_id"),
        available=payloads.count(data.get("available"), "available"),
    )


# Customers and consent -----------------------------------------------------------------------

def _customer(topic: str, data: payloads.Raw) -> CustomerEvent:
    addresses = payloads.objects(data.get("addresses"), "addresses")
    default = (payloads.obj(data.get("default_address"), "default_address")
               or next(iter(addresses), {}))
    country = payloads.country_of(default, *addresses)
    phone = payloads.first_e164([(data.get("phone"), country),
                                 *payloads.address_phones(default, *addresses)])
    sms = data.get("sms_marketing_consent")
    consent_topic = topic == "customers_marketing_consent/update"
    if consent_topic and not isinstance(sms, dict):
        raise ValueError("sms_marketing_consent is missing")
    return CustomerEvent(
        kind=EventKind.CONSENT_CHANGED if consent_topic else EventKind.CUSTOMER_CHANGED,
        customer=payloads.customer_ref(
            {**data, "id": payloads.ident(data.get("id"), "customer id")},
            phone=phone, names_from=default),
        consent=_sms_consent(payloads.obj(sms, "sms_marketing_consent")) if sms else None,
    )


def _sms_consent(sms: payloads.Raw) -> ConsentChange:
    return ConsentChange(
        channel="sms",
        granted=text(sms.get("state")) == "subscribed",
        source=text(sms.get("opt_in_level")),
        occurred_at=text(sms.get("consent_updated_at")),
    )


# The store and privacy requests --------------------------------------------------------------

def _store(topic: str, data: payloads.Raw) -> StoreEvent:
    kind = EventKind.APP_UNINSTALLED if topic == "app/uninstalled" else EventKind.SHOP_UPDATED
    return StoreEvent(
        kind=kind,
        name=text(data.get("name")),
        currency=text(data.get("currency")),
        country=text(data.get("country_code")) or text(data.get("country")),
        timezone=text(data.get("iana_timezone")),
        locale=text(data.get("primary_locale")),
    )


_COMPLIANCE_KINDS = {
    "customers/data_request": EventKind.CUSTOMER_DATA_REQUEST,
    "customers/redact": EventKind.CUSTOMER_REDACT,
    "shop/redact": EventKind.SHOP_REDACT,
}


def _compliance(topic: str, data: payloads.Raw) -> ComplianceEvent:
    """A privacy request. The phone is E.164 when it can be read as such, else kept as sent,
    so that erasure can still match it; the shop is named by the delivery's headers."""
    customer = payloads.obj(data.get("customer"), "customer")
    event = ComplianceEvent(
        kind=_COMPLIANCE_KINDS[topic],
        customer_platform_id=payloads.optional_ident(customer.get("id"), "customer id"),
        phone=to_e164(text(customer.get("phone"))) or text(customer.get("phone")).strip(),
        email=text(customer.get("email")).strip(),
        order_ids=tuple(payloads.ident(order_id, "order id") for order_id in
                        _list(data.get("orders_to_redact") or data.get("orders_requested"))),
        request_id=payloads.optional_ident(
            payloads.obj(data.get("data_request"), "data_request").get("id"), "data_request id"),
    )
    if topic != "shop/redact" and not (event.customer_platform_id or event.phone or event.email):
        raise ValueError("the request names no customer")
    return event


# The catalog export ------------------------------------------------------------------------

def _export_finished(topic: str, data: payloads.Raw) -> ExportFinished | None:
    """`bulk_operations/finish`: our bulk query ended (completed, failed or canceled). Only
    query operations are catalog exports: a finished bulk mutation is ignored (None)."""
    if text(data.get("type")).strip().lower() not in ("", "query"):
        return None
    status = text(data.get("status")).strip().lower()
    if not status:
        raise ValueError("status is missing")
    return ExportFinished(
        export_id=payloads.ident(data.get("admin_graphql_api_id"), "admin_graphql_api_id"),
        status=status,
        error_code=text(data.get("error_code")).strip().lower(),
    )


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("expected an array")
    return value


_Builder = Callable[[str, payloads.Raw], DomainEvent | None]

_BUILDERS: dict[str, _Builder] = {
    **{topic: _order for topic in ORDER_TOPICS},
    "fulfillments/create": _fulfillment,
    "fulfillments/update": _fulfillment,
    "refunds/create": _refund,
    "checkouts/create": _checkout,
    "checkouts/update": _checkout,
    "products/create": _product,
    "products/update": _product,
    "products/delete": _product,
    "inventory_levels/update": _stock,
    "customers/create": _customer,
    "customers/update": _customer,
    "customers_marketing_consent/update": _customer,  # SMS consent (REST topic name)
    "app/uninstalled": _store,
    "shop/update": _store,
    "bulk_operations/finish": _export_finished,
    **{topic: _compliance for topic in COMPLIANCE_TOPICS},
}

HANDLED_TOPICS: frozenset[str] = frozenset(_BUILDERS)
"""Every topic `parse_event` turns into an event: what shopify.app.toml should subscribe."""
