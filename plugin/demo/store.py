"""Creating the demo store and playing its platform: each action becomes a delivery."""
from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain import starter_templates
from plugin.domain.errors import RequestRefused
from plugin.domain.events import OrderEvent
from plugin.domain.journeys import is_cash_on_delivery
from plugin.domain.outbox import MessageState
from plugin.infra import db, queue
from plugin.models import (
    ConsentEntry,
    Customer,
    Message,
    Order,
    Store,
    Template,
    TemplateSource,
)
from plugin.pipeline.inbound import Recorded, record_event
from plugin.platforms.starters import install_starters, starter_language
from plugin.platforms.stores import new_secret, set_credentials

DEMO_DOMAIN = "demo.storechat.invalid"
DEMO_CUSTOMER = {
    "id": "demo-customer-1",
    "first_name": "Ana",
    "last_name": "Silva",
    "phone": "+351 912 345 678",
    "email": "ana@example.com",
    "locale": "en",
}
CONSENT_TEXT = "Send me order updates on WhatsApp."
# What the demo shopper agrees to when she first leaves a cart (plugin.demo.carts): cart
# recovery is marketing, so it may write to her only after this.
MARKETING_TEXT = "Send me offers and cart reminders on WhatsApp."
PRODUCTS = (
    ("Linen shirt", Decimal("49.90")),
    ("Espresso cups (set of 2)", Decimal("18.50")),
    ("Tom & Jerry #1 — 50% \"off\" 🎉 mug", Decimal("12.00")),
    ("Canvas tote bag", Decimal("22.00")),
)
SHIPPING = Decimal("4.90")

# How the demo shopper may pay, the gateway the order names, and the owner's words for it.
# A card order waits for "Mark paid"; a bank transfer is placed unpaid (so the payment
# reminder is due after its delay); cash on delivery asks the shopper to confirm.
PAYMENTS: dict[str, tuple[str, str]] = {
    "card": ("card", "Card"),
    "bank_transfer": ("bank_transfer", "Bank transfer (pays later)"),
    "cod": ("cod", "Cash on delivery"),
}


@dataclass(frozen=True, slots=True)
class Action:
    """Something the owner can do to a demo order: the webhook topic it sends, the status
    the order then has, and the statuses it may follow, in the order a real order moves."""

    topic: str
    status: str
    after: frozenset[str]
    label: str


ACTIONS: dict[str, Action] = {
    "pay": Action("orders/paid", "paid", frozenset({"placed"}), "Mark paid"),
    "ship": Action("orders/fulfilled", "shipped", frozenset({"paid"}), "Ship"),
    "out_for_delivery": Action("orders/out_for_delivery", "out_for_delivery",
                               frozenset({"shipped", "delivery_failed"}), "Out for delivery"),
    "fail_delivery": Action("orders/delivery_failed", "delivery_failed",
                            frozenset({"shipped", "out_for_delivery"}), "Delivery failed"),
    "deliver": Action("orders/delivered", "delivered",
                      frozenset({"shipped", "out_for_delivery"}), "Deliver"),
    "cancel": Action("orders/cancelled", "cancelled", frozenset({"placed", "paid"}), "Cancel"),
    "refund": Action("orders/refunded", "refunded", frozenset({"paid", "delivered"}), "Refund"),
}


class ActionNotAllowed(RequestRefused):
    """The action does not follow from the order's current status."""


def find(session: Session, owner_id: int | None = None) -> Store | None:
    """The owner's demo store, if they created one."""
    owner = Store.owner_id.is_(None) if owner_id is None else Store.owner_id == owner_id
    return session.scalars(select(Store).where(Store.platform == "demo", owner)).first()


def get_or_create(session: Session, owner_id: int | None = None) -> Store:
    """The owner's demo store, created with starter journeys and a consenting customer."""
    store = find(session, owner_id)
    if store is not None:
        return store
    store = Store(platform="demo", domain=DEMO_DOMAIN, name="StoreChat Demo Shop",
                  owner_id=owner_id, country="PT", currency="EUR", timezone="Europe/Lisbon",
                  locale="en")
    set_credentials(store, {"webhook_secret": new_secret()})
    session.add(store)
    session.flush()
    # The sandbox has no WABA: the starter templates stand in as approved, in the store's
    # language (the demo shopper's too).
    public_url = current_app.config["STORECHAT"].public_url
    for template in starter_templates.definitions(public_url, starter_language(store.locale)):
        session.add(Template(store_id=store.id, name=template.name, language=template.language,
                             category=template.category, status="APPROVED",
                             source=TemplateSource.STARTER,
                             components=template.create_request()["components"]))
    install_starters(session, store)
    customer = Customer(store_id=store.id, platform_id=DEMO_CUSTOMER["id"], tags=[],
                        first_name=DEMO_CUSTOMER["first_name"])
    session.add(customer)
    session.flush()
    session.add(ConsentEntry(store_id=store.id, customer_id=customer.id, purpose="order_updates",
                             granted=True, source="demo", text_shown=CONSENT_TEXT))
    return store


def place_order(store: Store, payment: str = "card") -> Recorded:
    """The demo platform takes a new order, paid as `payment` (a PAYMENTS key), and sends
    orders/create."""
    if payment not in PAYMENTS:
        raise ActionNotAllowed(f"unknown payment {payment!r}")
    title, price = random.choice(PRODUCTS)
    quantity = random.randint(1, 2)
    number = str(random.randint(1000, 99999))
    payload: dict[str, Any] = {
        "id": f"demo-{uuid.uuid4().hex[:12]}",
        "number": number,
        "status": "placed",
        "currency": store.currency or "EUR",
        "total": str(price * quantity + SHIPPING),
        "payment_gateway": PAYMENTS[payment][0],
        "customer": DEMO_CUSTOMER,
        "line_items": [{"title": title, "quantity": quantity, "price": str(price)}],
        "status_url": f"https://{DEMO_DOMAIN}/orders/{number}",
    }
    if payment == "bank_transfer":
        payload["awaiting_payment"] = True
        payload["payment_url"] = f"https://{DEMO_DOMAIN}/orders/{number}/pay"
    return deliver(store, "orders/create", payload)


def advance_order(store: Store, order: Order, action: str) -> Recorded:
    """The demo platform moves an order on (an ACTIONS key: pay, ship, deliver, …)."""
    if action not in ACTIONS:
        raise ActionNotAllowed(f"unknown action {action!r}")
    if action not in allowed_actions(order.status, order.payment_gateway or ""):
        raise ActionNotAllowed(f"“{ACTIONS[action].label}” is not possible for order "
                               f"#{order.number}: it is {order.status.replace('_', ' ')}.")
    topic, status = ACTIONS[action].topic, ACTIONS[action].status
    payload = _payload_from_snapshot(order, status)
    if action == "ship":
        payload["tracking"] = {
            "number": f"DP{random.randint(10**9, 10**10 - 1)}PT",
            "url": f"https://{DEMO_DOMAIN}/track/{order.number}",
            "company": "DemoPost",
        }
    return deliver(store, topic, payload)


def allowed_actions(status: str, payment_gateway: str = "") -> list[str]:
    """The actions the demo offers for an order in this status: a cash-on-delivery order
    ships unpaid (it is paid at the door), and is never marked paid beforehand."""
    allowed = [name for name, action in ACTIONS.items() if status in action.after]
    if is_cash_on_delivery(payment_gateway) and status == "placed":
        allowed = ["ship" if name == "pay" else name for name in allowed]
    return allowed


def send_now(session: Session, message: Message) -> bool:
    """Skip a demo message's wait (a journey's delay): it is due now and queued. False when
    it is not waiting any more."""
    if message.state != MessageState.PENDING.value:
        return False
    message.not_before = db.utcnow()
    queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message.id)
    return True


def _payload_from_snapshot(order: Order, status: str) -> dict[str, Any]:
    stored = OrderEvent.from_snapshot(order.snapshot or {})
    customer_id = (stored.customer.platform_id if stored.customer else "") or DEMO_CUSTOMER["id"]
    return {
        "id": order.platform_id,
        "number": order.number,
        "status": status,
        "currency": order.currency,
        "total": str(order.total),
        "payment_gateway": order.payment_gateway,
        "customer": dict(DEMO_CUSTOMER, id=customer_id),
        "line_items": stored.to_snapshot()["line_items"],
        "tracking": order.tracking,
        "status_url": stored.status_url,
    }


def deliver(store: Store, topic: str, payload: dict[str, Any]) -> Recorded:
    """The demo platform sends one webhook: stored and processed as a real store's is."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    delivery_id = uuid.uuid4().hex
    return record_event(source="demo", dedupe_key=f"{store.key}:{delivery_id}", topic=topic,
                        body=body, store_id=store.id,
                        headers={"topic": topic, "event_id": delivery_id})
