"""Applying checkout events: keep each store checkout's latest state, and mark it completed
when an order names it.

A checkout here is the store's own checkout or cart (Shopify `checkouts/create|update`, the
WooCommerce companion plugin's `cart.updated` / `checkout.updated`), the state cart recovery
will work on. It is not `plugin/pipeline/carts.py`, which turns a cart sent FROM the WhatsApp
catalog into a store checkout. Each change reschedules the
checkout's recovery timers (recovery_timers); nothing is sent to shoppers from here yet.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plugin.domain.events import CheckoutEvent, LineItem, OrderEvent
from plugin.domain.phones import to_e164
from plugin.infra import db
from plugin.infra.sql import insert_ignore
from plugin.models import Checkout, Customer, Order, Store
from plugin.pipeline.recovery import attribution as recovery_attribution
from plugin.pipeline.recovery import timers as recovery_timers

# Lines kept per checkout; the item count and total still cover every line. A cart of
# thousands of lines is a bot or a wholesale order, and the message shows only the first.
MAX_STORED_ITEMS = 1000
# Longest phone as typed that is kept when it cannot be read (the column's width).
MAX_RAW_PHONE = 64
# Why a checkout has no E.164 phone, as the owner will read it.
NO_PHONE = "no phone"
NO_COUNTRY = "national number with no country to read it by"
INVALID_PHONE = "not a valid phone number"


def apply_checkout_event(session: Session, store: Store,
                         event: CheckoutEvent) -> list[tuple[int, int]]:
    """Upsert the checkout by (store, platform id) with the event's state, unless the stored
    state is newer; a completed checkout stays completed. Sends nothing: returns []."""
    checkout = _find(session, store, event.checkout_id, event.token)
    if checkout is None:
        insert_ignore(session, Checkout, {"store_id": store.id, "platform_id": event.checkout_id,
                                          "items": []}, ("store_id", "platform_id"))
        checkout = _find(session, store, event.checkout_id, event.token)
        assert checkout is not None  # just inserted, or inserted by a concurrent delivery
    stamp = _moment(event.updated_at) or db.utcnow()
    if checkout.activity_at is not None and stamp < checkout.activity_at:
        return []  # a late delivery of an older state: what we hold is newer
    values = _values(session, store, event)
    values["activity_at"] = stamp
    if checkout.platform_id != event.checkout_id:
        # Held under the token an order named before the checkout itself arrived.
        values["platform_id"] = event.checkout_id
    if event.completed and checkout.completed_at is None:
        values["completed_at"] = stamp
    _assign(checkout, values)
    recovery_timers.schedule(session, checkout)
    return []


def complete_from_order(session: Session, store: Store, event: OrderEvent, order: Order) -> None:
    """Mark the checkout the order names (Shopify checkout id/token, WooCommerce cart token)
    completed by that order; when it has not arrived yet, keep a completed placeholder that
    the checkout fills in when it comes. Then the customer's other open checkouts complete
    too, and a checkout our messages brought back is marked recovered (recovery_attribution)."""
    platform_id = event.checkout_id or event.checkout_token
    if platform_id:
        _complete_named(session, store, event, order, platform_id)
    recovery_attribution.settle(session, store, event, order)


def _complete_named(session: Session, store: Store, event: OrderEvent, order: Order,
                    platform_id: str) -> None:
    checkout = _find(session, store, platform_id, event.checkout_token)
    if checkout is None:
        insert_ignore(session, Checkout,
                      {"store_id": store.id, "platform_id": platform_id,
                       "token": event.checkout_token or None, "items": []},
                      ("store_id", "platform_id"))
        checkout = _find(session, store, platform_id, event.checkout_token)
        assert checkout is not None
    values: dict[str, Any] = {}
    if checkout.completed_at is None:
        values["completed_at"] = db.utcnow()
    if checkout.order_id is None:
        values["order_id"] = order.id
    _assign(checkout, values)
    recovery_timers.schedule(session, checkout)


def _find(session: Session, store: Store, platform_id: str, token: str) -> Checkout | None:
    """By platform id, or by Shopify's token (orders may name a checkout only by it)."""
    keys = [Checkout.platform_id == platform_id]
    if token:
        keys += [Checkout.platform_id == token, Checkout.token == token]
    return session.scalars(select(Checkout).where(Checkout.store_id == store.id, or_(*keys))
                           .order_by(Checkout.id)).first()


def _values(session: Session, store: Store, event: CheckoutEvent) -> dict[str, Any]:
    ref = event.customer
    phone, raw, problem = _phone(store, event)
    items = [_item(line) for line in event.line_items[:MAX_STORED_ITEMS]]
    return {
        "token": event.token or None,
        "customer_id": _customer_id(session, store, event, phone),
        "first_name": (ref.first_name if ref else "")[:255],
        "phone_e164": phone, "phone_raw": raw, "phone_problem": problem,
        "email": ((ref.email or "")[:255] or None) if ref else None,
        "locale": ((ref.locale or "")[:35] or None) if ref else None,
        "items": items,
        "item_count": sum(max(line.quantity, 0) for line in event.line_items),
        "total": str(event.total), "currency": event.currency.upper()[:3],
        "recovery_url": event.recovery_url or None,
    }


def _item(line: LineItem) -> dict[str, Any]:
    return {"variant_id": line.variant_id, "product_id": line.product_id, "title": line.title,
            "variant_title": line.variant_title, "quantity": line.quantity,
            "price": str(line.price), "image_url": line.image_url}


def _phone(store: Store, event: CheckoutEvent) -> tuple[str | None, str | None, str | None]:
    """(E.164, raw as typed, why not E.164). A national number is read with the store's
    country when the checkout names none, as orders do."""
    if event.customer and event.customer.phone:
        return event.customer.phone, None, None
    raw = event.phone_raw.strip()
    if not raw:
        return None, None, NO_PHONE
    country = event.phone_country or store.country or None
    found = to_e164(raw, country)
    if found:
        return found, None, None
    international = raw.startswith(("+", "00"))
    return None, raw[:MAX_RAW_PHONE], INVALID_PHONE if international or country else NO_COUNTRY


def _customer_id(session: Session, store: Store, event: CheckoutEvent,
                 phone: str | None) -> int | None:
    """The customer we already know (by platform id, else by phone); carts create none."""
    ref = event.customer
    if ref and ref.platform_id:
        found = session.scalars(select(Customer.id).where(
            Customer.store_id == store.id, Customer.platform_id == ref.platform_id)).first()
        if found is not None:
            return found
    if phone:
        return session.scalars(select(Customer.id).where(
            Customer.store_id == store.id, Customer.phone_e164 == phone)
            .order_by(Customer.id)).first()
    return None


def _assign(checkout: Checkout, values: dict[str, Any]) -> None:
    """Write only what changed, so a repeated delivery leaves the row (and updated_at) as is."""
    changed = {key: value for key, value in values.items()
               if getattr(checkout, key) != value}
    if not changed:
        return
    for key, value in changed.items():
        setattr(checkout, key, value)
    checkout.updated_at = db.utcnow()


def _moment(value: str) -> datetime | None:
    """ISO 8601 as naive UTC (no offset reads as UTC); None when absent or unreadable."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
