"""WooCommerce webhooks and the companion plugin's cart events (topic + raw body) into domain
events.

Topics are the `X-WC-Webhook-Topic` values. An order.* / product.* body is the REST API v3
object as WooCommerce builds it *at send time* (the order's current state, not a diff), or
`{"id": N}` for *.deleted. `parse_event` returns None for a topic StoreChat stores but does
not act on, and raises `PayloadError` for a body that cannot be read as its topic says.

| topic | event |
|---|---|
| order.created | OrderEvent ORDER_PLACED |
| order.updated | OrderEvent ORDER_UPDATED; processing compares `status` with the snapshot |
| order.deleted | OrderEvent ORDER_CANCELLED, status "deleted" (body may be only the id) |
| product.created, product.updated | ProductEvent PRODUCT_CHANGED |
| product.deleted | ProductEvent PRODUCT_DELETED |
| cart.updated, checkout.updated | CheckoutEvent CHECKOUT_UPDATED (companion plugin) |

Decisions worth knowing:

- `OrderEvent.status` is WooCommerce's status string verbatim ("processing", "on-hold",
  "checkout-draft", "ready-for-pickup", a custom one…): statuses are an open set.
- The payment gateway is the `payment_method` id (`cod` for cash on delivery), never the
  translatable `payment_method_title`.
- The customer's platform id is str(customer_id) for a registered shopper, else
  "guest:" + the lower-cased billing e-mail, else the billing phone (E.164 when valid). The
  companion plugin's cart events use the same rule, so a cart and its order meet.
- The phone is E.164 from billing.phone read in billing.country (then shipping.country);
  then shipping.phone; None when no reading is valid.
- An order.created / order.updated body with neither `status` nor `total` is not an order's
  state (a refund object, or a WP_Error WooCommerce serialised because the order vanished
  before the payload was built): None. Any body that is a WordPress error
  (`{"code", "message", "data"}` or `{"errors", "error_data"}`, without an `id`) is None too.
- Products: a simple (or external, grouped…) product is one Variant carrying the product's own
  id, sku, price and stock. A variable product's variants are its `variations`: REST sends
  only their ids (Variants with just `variant_id`); embedded objects are read in full. A
  variation's own delivery (`type` "variation", non-zero `parent_id`) is PRODUCT_CHANGED for
  the *parent* carrying that single variant, so consumers must upsert variants, not replace
  the set. A stock-only change is an ordinary product.updated: the variants carry
  `inventory_quantity` (WooCommerce has no separate stock topic). Unmanaged stock reads as
  None, or 0 when `stock_status` is "outofstock".

Tracking is read from the order's `meta_data`, first match wins:

1. `_wc_shipment_tracking_items` (WooCommerce Shipment Tracking, Advanced Shipment Tracking):
   a list of shipments, the newest one with a number or link is used. Per item: number
   `tracking_number`; company `custom_tracking_provider`, else `formatted_tracking_provider`,
   else `tracking_provider` (a slug); link `custom_tracking_link`, else
   `formatted_tracking_link`, `ast_tracking_link`, `tracking_link`.
2. YITH Order & Shipment Tracking: `ywot_tracking_code`, `ywot_carrier_name` (else
   `ywot_carrier_id`), `ywot_carrier_url` (`[TRACK_CODE]` is replaced by the number); each
   also with a leading underscore.
3. Generic keys: `_tracking_number` / `tracking_number`; `_tracking_url` / `tracking_url` /
   `_tracking_link` / `tracking_link`; `_tracking_provider` / `tracking_provider` /
   `_tracking_carrier` / `tracking_carrier`.
Links that are not http(s) are dropped. Malformed meta never fails an order.

Also read from the order for the journeys: `payment_url` (the checkout's pay-for-order link),
whether the order awaits payment (`pending` or `on-hold` without `date_paid`), the shopper's
language from multilingual plugins' order meta (`_storechat_locale`, WPML's
`wpml_language`), and the carrier's shipment status that TrackShip / Advanced Shipment
Tracking keep in the `shipment_status` meta (a list of updates, newest last, each with a
`status` such as in_transit, out_for_delivery, delivered, failure).

The companion plugin's event (topics `cart.updated`, sent from the cart, and
`checkout.updated`, sent once the shopper types contact details at checkout). The body is one
UTF-8 JSON object; keys not listed here are ignored, a null reads as an absent key, and a
listed key with the wrong type makes the whole event a PayloadError:

    {
      "cart_token":  string, REQUIRED, non-empty: the cart's id, the same for every update of
                     one cart (becomes CheckoutEvent.checkout_id);
      "customer_id": integer, optional: the WordPress user id; 0 or absent for a guest;
      "phone":       string, optional: as the shopper typed it ("" when not captured);
      "email":       string, optional;
      "first_name":  string, optional;   "last_name": string, optional;
      "country":     string, optional: ISO 3166-1 alpha-2 billing country ("PT"), used to
                     read a national phone number; "" when unknown;
      "locale":      string, optional: the WordPress locale of the shopper ("pt_PT");
      "currency":    string, optional: ISO 4217 code ("EUR");
      "total":       string or number, optional: the cart total as shown, taxes and shipping
                     included, as a decimal ("59.90"); absent or "" means 0;
      "items":       array, optional: [{"name": string, "quantity": integer,
                     "price": string or number (unit price, decimal),
                     and from plugin 1.1 on, each optional: "product_id": integer,
                     "variation_id": integer (0 for a simple product), "variant_title":
                     string (the chosen attributes, "Blue, M"), "image_url": string (the
                     main image; not http(s) reads as none)}];
      "restore_url": string, optional: an absolute http(s) URL that restores this cart;
                     "" when none; any other scheme is a PayloadError;
      "completed":   boolean, optional: true once the cart became an order (default false);
      "consent":     object, optional: {"marketing": boolean, REQUIRED inside the object,
                     "text": string, the exact consent wording shown to the shopper}; leave it
                     out when the shopper was not shown the box: {"marketing": false,
                     "text": ""} is read the same way, as no statement (not an opt-out);
      "updated_at":  string, optional: ISO 8601 UTC time of this state; it keeps two
                     identical states apart for dedupe, and a late older state from
                     overwriting a newer one (CheckoutEvent.updated_at; not validated).
    }

An order's `_storechat_cart_token` meta names the cart it came from
(OrderEvent.checkout_id), so the order completes that cart's checkout; a block checkout's
draft (`checkout-draft`) carries it too but names no cart until it is placed.

Marketing consent has no place in CheckoutEvent or OrderEvent: `cart_consent` reads it from a
cart event, `order_consent` from the meta the companion plugin puts on orders
(`_storechat_marketing_consent` "yes"/"no", `_storechat_consent_text`), each as a
ConsentChange with channel "whatsapp" and `source` holding the exact text shown.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from adapters.fields import money, optional_money, text
from adapters.json_body import load_object
from adapters.woocommerce import payloads
from plugin.domain.errors import PayloadError
from plugin.domain.events import (
    CheckoutEvent,
    ConsentChange,
    DomainEvent,
    EventKind,
    OrderEvent,
    ProductEvent,
    Variant,
)

ORDER_TOPICS: dict[str, EventKind] = {
    "order.created": EventKind.ORDER_PLACED,
    "order.updated": EventKind.ORDER_UPDATED,
    "order.deleted": EventKind.ORDER_CANCELLED,
}
PRODUCT_TOPICS: dict[str, EventKind] = {
    "product.created": EventKind.PRODUCT_CHANGED,
    "product.updated": EventKind.PRODUCT_CHANGED,
    "product.deleted": EventKind.PRODUCT_DELETED,
}
# The companion WordPress plugin's own signed events (not WooCommerce webhook topics).
COMPANION_TOPICS = frozenset({"cart.updated", "checkout.updated"})

WEBHOOK_TOPICS: frozenset[str] = frozenset(ORDER_TOPICS) | frozenset(PRODUCT_TOPICS)
"""The WooCommerce webhooks StoreChat provisions in a store."""

# The status an order.deleted event carries: not a WooCommerce status, so never confused.
DELETED_STATUS = "deleted"
# Order meta the companion plugin writes at checkout (widget/wordpress, checkout.php).
ORDER_CONSENT_KEY = "_storechat_marketing_consent"
ORDER_CONSENT_TEXT_KEY = "_storechat_consent_text"
ORDER_CART_TOKEN_KEY = "_storechat_cart_token"  # the companion plugin's cart of this order
# WooCommerce's gateway id for its built-in Cash on Delivery method.
COD_GATEWAY = "cod"
_TOTAL_ZERO = Decimal("0")


def is_cash_on_delivery(payment_method: str) -> bool:
    """True when an order's `payment_method` id is WooCommerce's Cash on Delivery (`cod`)."""
    return payment_method.strip().lower() == COD_GATEWAY


def parse_event(topic: str, body: bytes) -> DomainEvent | None:
    """The domain event for a WooCommerce or companion-plugin delivery, or None (see above)."""
    build = _BUILDERS.get(topic)
    if build is None:
        return None
    data = _load(topic, body)
    try:
        return build(topic, data)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise PayloadError(f"malformed {topic} payload: {exc}") from None


def cart_consent(body: bytes) -> ConsentChange | None:
    """The marketing consent a companion-plugin cart event states; None when it states none."""
    data = _load("cart.updated", body)
    try:
        return _consent(data.get("consent"))
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"malformed consent: {exc}") from None


def order_consent(body: bytes) -> ConsentChange | None:
    """The WhatsApp marketing consent the companion plugin stored on an order; None if none."""
    meta = payloads.meta_values(_load("order.created", body).get("meta_data"))
    answer = text(meta.get(ORDER_CONSENT_KEY)).strip().lower()
    if answer not in ("yes", "no"):
        return None
    return _consent({"marketing": answer == "yes",
                     "text": text(meta.get(ORDER_CONSENT_TEXT_KEY))})


def _load(topic: str, body: bytes) -> payloads.Raw:
    # json.loads also undoes WordPress's `\/` escaping and a UTF-8 BOM.
    return load_object(body, f"the {topic} payload")


def _is_wp_error(data: payloads.Raw) -> bool:
    """A serialised WP_Error / REST error instead of a resource."""
    return "id" not in data and ("errors" in data or ("code" in data and "message" in data))


# Orders --------------------------------------------------------------------------------------

# Statuses of an order.created that the shopper has not placed yet.
UNPLACED_STATUSES = frozenset({"checkout-draft"})
# Statuses of an order still waiting for the shopper's payment (unless `date_paid` is set).
UNPAID_STATUSES = frozenset({"pending", "on-hold"})


def _order(topic: str, data: payloads.Raw) -> OrderEvent | None:
    deleted = topic == "order.deleted"
    if _is_wp_error(data) or (not deleted and "status" not in data and "total" not in data):
        return None
    order_id = payloads.ident(data.get("id"), "order id")
    status = data.get("status")
    if status is not None and not isinstance(status, str):
        raise ValueError("status is not a string")
    billing = payloads.obj(data.get("billing"), "billing")
    shipping = payloads.obj(data.get("shipping"), "shipping")
    email = text(billing.get("email")).strip() or None
    phone = (payloads.e164(billing.get("phone"), billing.get("country"),
                           shipping.get("country"))
             or payloads.e164(shipping.get("phone"), shipping.get("country"),
                              billing.get("country")))
    names = billing if (text(billing.get("first_name")) or text(billing.get("last_name"))) \
        else shipping
    platform_id = payloads.customer_platform_id(data.get("customer_id"), email, phone,
                                         billing.get("phone"))
    meta = payloads.meta_values(data.get("meta_data"))
    kind = ORDER_TOPICS[topic]
    if kind is EventKind.ORDER_PLACED and status in UNPLACED_STATUSES:
        # The block checkout creates its draft as an order: not placed until it leaves it.
        kind = EventKind.ORDER_UPDATED
    return OrderEvent(
        kind=kind,
        order_id=order_id,
        # Left empty on a bare delete so processing keeps the stored (possibly custom) number.
        number=text(data.get("number")).strip() or ("" if deleted else order_id),
        status=DELETED_STATUS if deleted else (status or ""),
        currency=text(data.get("currency")).strip(),
        total=money(data.get("total"), "total", _TOTAL_ZERO if deleted else None),
        customer=payloads.customer_ref(platform_id, first_name=names.get("first_name"),
                                last_name=names.get("last_name"), phone=phone, email=email,
                                locale=payloads.locale(meta)),
        payment_gateway=text(data.get("payment_method")).strip(),
        line_items=payloads.line_items(data.get("line_items")),
        tracking=payloads.tracking(meta),
        status_url="",  # WooCommerce's REST order has no public status page URL
        payment_url=payloads.http_url(data.get("payment_url")),
        awaiting_payment=None if deleted else (
            status in UNPAID_STATUSES and not text(data.get("date_paid")).strip()),
        shipment_status=payloads.shipment_status(meta),
        # The companion plugin's cart this order came from (completes that checkout). The
        # block checkout's draft carries it too, before anything is placed: not yet.
        checkout_id=("" if deleted or status in UNPLACED_STATUSES
                     else text(meta.get(ORDER_CART_TOKEN_KEY)).strip()),
        # WooCommerce's own clock is the site's; the _gmt field is UTC (no offset written).
        placed_at=_gmt(data.get("date_created_gmt")),
        discounted=None if deleted else bool(_coupons(data.get("coupon_lines"))),
        country=(text(shipping.get("country")) or text(billing.get("country"))).strip().upper(),
    )


def _gmt(value: object) -> str:
    """A `_gmt` time as ISO 8601 in UTC ('' when absent)."""
    moment = text(value).strip()
    return f"{moment}+00:00" if moment and "+" not in moment and "Z" not in moment else moment


def _coupons(lines: object) -> list[str]:
    """The codes of an order's coupon lines."""
    if not isinstance(lines, list):
        return []
    return [text(line.get("code")) for line in lines
            if isinstance(line, dict) and text(line.get("code")).strip()]


# Products ------------------------------------------------------------------------------------

def _product(topic: str, data: payloads.Raw) -> ProductEvent | None:
    if _is_wp_error(data):
        return None
    product_id = payloads.ident(data.get("id"), "product id")
    kind = PRODUCT_TOPICS[topic]
    parent_id = payloads.optional_ident(data.get("parent_id"), "parent_id")
    if kind is EventKind.PRODUCT_CHANGED and text(data.get("type")) == "variation" and parent_id:
        return ProductEvent(kind=kind, product_id=parent_id, variants=(_variant(data),))
    name = text(data.get("name")).strip()
    if kind is EventKind.PRODUCT_DELETED:
        variants: tuple[Variant, ...] = ()
    elif text(data.get("type")) == "variable" or data.get("variations"):
        variants = _variations(data.get("variations"))
    else:
        variants = (_variant(data, title=name),)
    return ProductEvent(kind=kind, product_id=product_id, title=name,
                        status=text(data.get("status")).strip(),
                        handle=text(data.get("slug")).strip(), variants=variants)


def _variations(value: Any) -> tuple[Variant, ...]:
    """A variable product's `variations`: ids (REST) or embedded variation objects."""
    items = list(value.values()) if isinstance(value, dict) else value
    if items is None:
        return ()
    if not isinstance(items, list):
        raise ValueError("variations is not an array")
    return tuple(_variant(item) if isinstance(item, dict)
                 else Variant(variant_id=payloads.ident(item, "variation id"), title="")
                 for item in items)


def _variant(data: payloads.Raw, title: str = "") -> Variant:
    options = [text(a.get("option")).strip()
               for a in payloads.objects(data.get("attributes"), "attributes")]
    return Variant(
        variant_id=payloads.ident(data.get("id"), "variant id"),
        title=title or " / ".join(filter(None, options)) or text(data.get("name")).strip(),
        sku=text(data.get("sku")).strip(),
        price=optional_money(data.get("price"), "price"),
        inventory_quantity=_stock(data),
    )


def _stock(data: payloads.Raw) -> int | None:
    """Managed stock as a number; unmanaged stock is unknown (None) unless out of stock (0)."""
    quantity = payloads.count(data.get("stock_quantity"), "stock_quantity")
    if quantity is None and text(data.get("stock_status")) == "outofstock":
        return 0
    return quantity


# The companion plugin's cart events ----------------------------------------------------------

def _cart(topic: str, data: payloads.Raw) -> CheckoutEvent:
    cart_token = data.get("cart_token")
    if not isinstance(cart_token, str) or not cart_token.strip():
        raise ValueError("cart_token is missing")
    fields = {key: _string(data, key) for key in
              ("phone", "email", "first_name", "last_name", "country", "locale", "currency",
               "restore_url")}
    if fields["restore_url"] and not fields["restore_url"].lower().startswith(
            ("https://", "http://")):
        raise ValueError("restore_url is not an http(s) URL")
    completed = data.get("completed", False)
    if not isinstance(completed, bool):
        raise ValueError("completed is not a boolean")
    _consent(data.get("consent"))  # validated here so a bad consent fails the whole event
    email = fields["email"].strip() or None
    phone = payloads.e164(fields["phone"], fields["country"])
    customer_id = data.get("customer_id")
    if customer_id is not None and (isinstance(customer_id, bool)
                                    or not isinstance(customer_id, int)):
        raise ValueError("customer_id is not an integer")
    platform_id = payloads.customer_platform_id(customer_id, email, phone, fields["phone"])
    return CheckoutEvent(
        kind=EventKind.CHECKOUT_UPDATED,
        checkout_id=cart_token.strip(),
        currency=fields["currency"].strip(),
        total=money(data.get("total"), "total", _TOTAL_ZERO),
        customer=payloads.customer_ref(platform_id, first_name=fields["first_name"],
                                last_name=fields["last_name"], phone=phone, email=email,
                                locale=fields["locale"]),
        recovery_url=fields["restore_url"],
        completed=completed,
        line_items=payloads.cart_items(data.get("items"), "items"),
        updated_at=text(data.get("updated_at")).strip(),
        phone_raw="" if phone else fields["phone"].strip(),
        phone_country="" if phone else fields["country"].strip(),
    )


def _string(data: payloads.Raw, key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _consent(value: Any) -> ConsentChange | None:
    if value is None:
        return None
    consent = payloads.obj(value, "consent")
    marketing = consent.get("marketing")
    if not isinstance(marketing, bool):
        raise ValueError("consent.marketing is not a boolean")
    statement = _string(consent, "text")
    if not marketing and not statement.strip():
        return None  # the box was never shown: no statement, and certainly not an opt-out
    return ConsentChange(channel="whatsapp", granted=marketing, source=statement)


_Builder = Callable[[str, payloads.Raw], DomainEvent | None]

_BUILDERS: dict[str, _Builder] = {
    **{topic: _order for topic in ORDER_TOPICS},
    **{topic: _product for topic in PRODUCT_TOPICS},
    **{topic: _cart for topic in COMPANION_TOPICS},
}

HANDLED_TOPICS: frozenset[str] = frozenset(_BUILDERS)
"""Every topic `parse_event` turns into an event: the six webhooks and the two plugin topics."""
