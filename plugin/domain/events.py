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
