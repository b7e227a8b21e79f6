"""Domain events: what happened in a store, whatever platform it came from."""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any


class EventKind(str, enum.Enum):
    """What happened. UNKNOWN keeps a new platform topic from crashing the pipeline."""

    ORDER_PLACED = "order_placed"
    ORDER_PAID = "order_paid"
    ORDER_FULFILLED = "order_fulfilled"
    ORDER_OUT_FOR_DELIVERY = "order_out_for_delivery"
    ORDER_DELIVERED = "order_delivered"
    ORDER_DELIVERY_FAILED = "order_delivery_failed"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_REFUNDED = "order_refunded"
    ORDER_UPDATED = "order_updated"  # a change that may or may not be a status change
    CHECKOUT_UPDATED = "checkout_updated"
    PRODUCT_CHANGED = "product_changed"
    PRODUCT_DELETED = "product_deleted"
    STOCK_CHANGED = "stock_changed"
    CUSTOMER_CHANGED = "customer_changed"
    CONSENT_CHANGED = "consent_changed"
    APP_UNINSTALLED = "app_uninstalled"
    SHOP_UPDATED = "shop_updated"
    CUSTOMER_DATA_REQUEST = "customer_data_request"
    CUSTOMER_REDACT = "customer_redact"
    SHOP_REDACT = "shop_redact"
    EXPORT_FINISHED = "export_finished"  # a store-side export of the whole catalog ended
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> EventKind:
        return cls.UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerRef:
    """The shopper an event is about, as the platform describes them."""

    platform_id: str
    first_name: str = ""
    last_name: str = ""
    phone: str | None = None
    email: str | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LineItem:
    """One line of an order."""

    title: str
    quantity: int
    price: Decimal
    # What a checkout line says beyond the order summary ('' when the platform does not say).
    variant_id: str = ""
    product_id: str = ""
    variant_title: str = ""
    image_url: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Tracking:
    """Where a shipment can be followed."""

    number: str = ""
    url: str = ""
    company: str = ""
    estimated_delivery: str = ""  # ISO 8601 date or time, as the carrier estimates it

    @classmethod
    def from_snapshot(cls, data: Any) -> Tracking | None:
        """Tracking read back from stored JSON (a snapshot's or the order's own); None
        when there is none. Values that are not strings read as empty."""
        if not isinstance(data, Mapping):
            return None
        return cls(**{f.name: _text(data.get(f.name)) for f in fields(cls)})


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent:
    """Something happened to an order; carries the order's state as of that moment."""

    kind: EventKind
    order_id: str
    number: str
    status: str
    currency: str
    total: Decimal
    customer: CustomerRef | None = None
    payment_gateway: str = ""
    line_items: tuple[LineItem, ...] = field(default_factory=tuple)
    tracking: Tracking | None = None
    status_url: str = ""
    # Where the shopper can pay an unpaid order ('' when the platform has no such page).
    payment_url: str = ""
    # True while the order waits for the shopper's payment, False once it does not, None
    # when this event does not say (a fulfillment or refund body).
    awaiting_payment: bool | None = None
    # The carrier's latest word on the shipment: in_transit, out_for_delivery, delivered,
    # failure, attempted_delivery… ('' when unknown).
    shipment_status: str = ""
    # The checkout (abandoned cart) this order completes: Shopify's checkout_id and
    # checkout_token, the companion plugin's cart token for WooCommerce ('' when none).
    checkout_id: str = ""
    checkout_token: str = ""
    # When the shopper placed the order (ISO 8601, '' when the body does not say), whether
    # a discount code was used (None when the body does not say: a fulfillment), and the
    # country it ships to (ISO 3166 alpha-2, '' when unknown): what customer tags read.
    placed_at: str = ""
    discounted: bool | None = None
    country: str = ""

    def to_snapshot(self) -> dict[str, Any]:
        """The event as JSON-safe data, as an order row keeps it (Order.snapshot)."""
        data = asdict(self)
        data["kind"] = self.kind.value
        data["total"] = str(self.total)
        data["line_items"] = [{"title": i.title, "quantity": i.quantity, "price": str(i.price),
                               "product_id": i.product_id, "variant_id": i.variant_id}
                              for i in self.line_items]
        return data

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> OrderEvent:
        """Read back what `to_snapshot` wrote, today or in an older shape: a missing or
        malformed value takes its default (a malformed line is left out); never raises."""
        awaiting = data.get("awaiting_payment")
        return cls(
            kind=EventKind(str(data.get("kind") or EventKind.ORDER_PLACED.value)),
            order_id=_text(data.get("order_id")), number=_text(data.get("number")),
            status=_text(data.get("status")), currency=_text(data.get("currency")),
            total=_decimal(data.get("total")),
            customer=_customer(data.get("customer")),
            payment_gateway=_text(data.get("payment_gateway")),
            line_items=tuple(item for item in map(_line_item, data.get("line_items") or ())
                             if item is not None),
            tracking=Tracking.from_snapshot(data.get("tracking")),
            status_url=_text(data.get("status_url")),
            payment_url=_text(data.get("payment_url")),
            awaiting_payment=awaiting if isinstance(awaiting, bool) else None,
            shipment_status=_text(data.get("shipment_status")),
            placed_at=_text(data.get("placed_at")),
            discounted=discounted if isinstance(discounted := data.get("discounted"), bool)
            else None,
            country=_text(data.get("country")),
        )


# Reading snapshots back: lenient, as rows written by older versions must still read.

def _text(value: Any) -> str:
    """A string as it is, a number as its digits (older rows), anything else as ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    return ""


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def _customer(data: Any) -> CustomerRef | None:
    if not isinstance(data, Mapping):
        return None
    return CustomerRef(platform_id=_text(data.get("platform_id")),
                       first_name=_text(data.get("first_name")),
                       last_name=_text(data.get("last_name")),
                       **{name: data[name] for name in ("phone", "email", "locale")
                          if isinstance(data.get(name), str)})


def _line_item(data: Any) -> LineItem | None:
    if not isinstance(data, Mapping):
        return None
    try:
        return LineItem(title=str(data.get("title", "")),
                        quantity=int(data.get("quantity") or 0),
                        price=Decimal(str(data.get("price") or "0")),
                        product_id=_text(data.get("product_id")),
                        variant_id=_text(data.get("variant_id")))
    except (ArithmeticError, ValueError, TypeError):
        return None  # an old snapshot in another shape only costs the summary a line


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutEvent:
    """A checkout (cart with contact details) was created, changed or completed."""

    kind: EventKind
    checkout_id: str
    currency: str
    total: Decimal
    customer: CustomerRef | None = None
    recovery_url: str = ""  # Shopify's abandoned_checkout_url
    completed: bool = False
    line_items: tuple[LineItem, ...] = field(default_factory=tuple)
    token: str = ""  # Shopify's checkout token (orders name it checkout_token); '' elsewhere
    updated_at: str = ""  # ISO 8601 time of this state, as the platform stamps it
    # The phone as the shopper typed it, kept when it could not be read as E.164, and the
    # country it was read against ('' when none was known).
    phone_raw: str = ""
    phone_country: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """One sellable variant of a product (one catalog item per variant)."""

    variant_id: str
    title: str
    sku: str = ""
    price: Decimal | None = None
    inventory_item_id: str = ""
    inventory_quantity: int | None = None
    compare_at_price: Decimal | None = None  # the "was" price; a sale when above `price`
    in_stock: bool | None = None  # the platform's own stock status when it has one
    image_url: str = ""  # the variant's own image, when it has one


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductEvent:
    """A product was created, changed (PRODUCT_CHANGED) or deleted (PRODUCT_DELETED)."""

    kind: EventKind
    product_id: str
    title: str = ""
    status: str = ""
    handle: str = ""
    variants: tuple[Variant, ...] = field(default_factory=tuple)
    description_html: str = ""
    vendor: str = ""  # the brand as the store names it
    # Shopify's product type, WooCommerce's first category ('' when none): cross-sell's
    # fallback when nothing was bought together (plugin.domain.cross_sell).
    category: str = ""
    url: str = ""  # the product page; empty when only the handle is known
    image_urls: tuple[str, ...] = field(default_factory=tuple)  # first is the main image
    currency: str = ""  # ISO 4217 code of the variant prices


@dataclass(frozen=True, slots=True, kw_only=True)
class StockEvent:
    """The available quantity of an inventory item changed at a location."""

    kind: EventKind
    inventory_item_id: str
    location_id: str
    available: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentChange:
    """A shopper's marketing consent as the platform reports it."""

    channel: str  # "sms" | "email" | "whatsapp"
    granted: bool
    source: str  # the platform's wording, e.g. Shopify's opt_in_level
    occurred_at: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerEvent:
    """A customer was created or changed (CUSTOMER_CHANGED), or changed consent
    (CONSENT_CHANGED, with `consent`)."""

    kind: EventKind
    customer: CustomerRef
    consent: ConsentChange | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreEvent:
    """The store itself: the app was uninstalled, or the shop's settings changed."""

    kind: EventKind
    name: str = ""
    currency: str = ""
    country: str = ""
    timezone: str = ""
    locale: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComplianceEvent:
    """A privacy request: export a customer's data, erase a customer, or erase the shop."""

    kind: EventKind
    customer_platform_id: str = ""
    phone: str = ""
    email: str = ""
    order_ids: tuple[str, ...] = field(default_factory=tuple)
    request_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportFinished:
    """A catalog export the platform ran for us (Shopify's bulk operation) has ended.

    `status` is the platform's word in lower case: "completed", "failed", "canceled" (or
    another it adds later); `error_code` is its failure code in lower case ("" when none:
    "access_denied", "internal_server_error", "timeout").
    """

    export_id: str  # the bulk operation's GraphQL id, as start_export returned it
    status: str
    error_code: str = ""
    kind: EventKind = EventKind.EXPORT_FINISHED

    @property
    def completed(self) -> bool:
        """True when the export's file is ready to read."""
        return self.status == "completed"


DomainEvent = (OrderEvent | CheckoutEvent | ProductEvent | StockEvent | CustomerEvent
               | StoreEvent | ComplianceEvent | ExportFinished)
