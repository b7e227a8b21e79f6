"""Domain events: what happened in a store, whatever platform it came from."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal


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
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> "EventKind":
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Tracking:
    """Where a shipment can be followed."""

    number: str = ""
    url: str = ""
    company: str = ""
    estimated_delivery: str = ""  # ISO 8601 date or time, as the carrier estimates it


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """One sellable variant of a product (one catalog item per variant)."""

    variant_id: str
    title: str
    sku: str = ""
    price: Decimal | None = None
    inventory_item_id: str = ""
    inventory_quantity: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductEvent:
    """A product was created, changed (PRODUCT_CHANGED) or deleted (PRODUCT_DELETED)."""

    kind: EventKind
    product_id: str
    title: str = ""
    status: str = ""
    handle: str = ""
    variants: tuple[Variant, ...] = field(default_factory=tuple)


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


DomainEvent = (OrderEvent | CheckoutEvent | ProductEvent | StockEvent | CustomerEvent
               | StoreEvent | ComplianceEvent)
