"""Cart recovery in the demo store: the demo shopper leaves a cart, its first step is sent
now rather than in an hour, and she completes the order, each through the demo platform's
deliveries as a real store's checkouts and orders take."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from adapters.demo import CHECKOUT_TOPIC
from plugin.demo import store as demo
from plugin.demo.catalog import demo_products
from plugin.infra import db, queue
from plugin.models import Checkout, ConsentEntry, Customer, RecoveryStep, StepState, Store
from plugin.pipeline import consent_log
from plugin.pipeline.inbound import Recorded
from plugin.pipeline.recovery import steps as recovery_steps
from plugin.pipeline.recovery import timers as recovery_timers

# The cart: (product handle, variant index from 1, quantity): a variant, a set and a candle.
CART = (("linen-shirt", 2, 1), ("espresso-cups", 1, 2), ("candle", 1, 1))
# The feed shows this many of the newest demo carts.
CART_ROWS = 5


@dataclass(frozen=True, slots=True)
class CartRow:
    """A demo cart as the feed shows it: its state and its recovery steps."""

    checkout: Checkout
    steps: list[RecoveryStep]

    @property
    def waiting(self) -> RecoveryStep | None:
        """The next step still to go (a "Send now" skips its wait)."""
        return next((s for s in self.steps if s.state == StepState.SCHEDULED.value), None)


def leave_cart(session: Session, store: Store) -> None:
    """Make sure cart recovery is on and the demo shopper opted in to it (a demo store made
    before either was), in the caller's transaction. Then call `deliver_cart`."""
    if not recovery_steps.store_steps(session, store.id):
        recovery_steps.set_enabled(session, store, True)
    customer = session.scalars(select(Customer).where(
        Customer.store_id == store.id,
        Customer.platform_id == demo.DEMO_CUSTOMER["id"])).first()
    if customer is not None and consent_log.newest(session, customer.id,
                                                   consent_log.MARKETING) is None:
        session.add(ConsentEntry(store_id=store.id, customer_id=customer.id,
                                 purpose=consent_log.MARKETING, granted=True, source="demo",
                                 text_shown=demo.MARKETING_TEXT))


def deliver_cart(store: Store) -> Recorded:
    """The demo platform reports the shopper's cart (checkouts/update), left just now."""
    products = {p.handle: p for p in demo_products(store.currency or "EUR")}
    lines: list[dict[str, Any]] = []
    for handle, index, quantity in CART:
        product = products[handle]
        variant = product.variants[index - 1]
        lines.append({
            "title": product.title, "quantity": quantity, "price": str(variant.price),
            "product_id": product.product_id, "variant_id": variant.variant_id,
            "variant_title": "" if variant.title == "Default Title" else variant.title,
            "image_url": product.image_urls[0] if product.image_urls else "",
        })
    cart_id = f"demo-cart-{uuid.uuid4().hex[:12]}"
    # The demo store has no checkout page: the message's link opens the demo page again.
    back = current_app.config["STORECHAT"].public_url.rstrip("/") + f"/demo?cart={cart_id}"
    total = sum((Decimal(line["price"]) * line["quantity"] for line in lines), Decimal(0))
    return demo.deliver(store, CHECKOUT_TOPIC, {
        "id": cart_id, "currency": store.currency or "EUR", "total": str(total),
        "customer": demo.DEMO_CUSTOMER, "line_items": lines, "recovery_url": back,
        "updated_at": db.utcnow().isoformat(timespec="seconds") + "Z",
    })


def send_step_now(session: Session, store: Store, step_id: int) -> bool | None:
    """Skip a demo cart step's wait: it is due now and claimed for a send job queued after
    this commits, as the sweeper would claim it (a lost job's claim lapses and the sweeper
    takes it again). False when it is not waiting any more; None when it is not the store's."""
    step = session.get(RecoveryStep, step_id)
    checkout = session.get(Checkout, step.checkout_id) if step is not None else None
    if step is None or checkout is None or checkout.store_id != store.id:
        return None
    if step.state != StepState.SCHEDULED.value or checkout.completed_at is not None:
        return False
    now = db.utcnow()
    claimed = session.execute(
        update(RecoveryStep)
        .where(RecoveryStep.id == step.id, RecoveryStep.state == StepState.SCHEDULED.value)
        .values(state=StepState.CLAIMED.value, due_at=now,
                lease_until=now + recovery_timers.CLAIM_LEASE, updated_at=now)
        .execution_options(synchronize_session=False))
    if cast(CursorResult[Any], claimed).rowcount != 1:
        return False  # the sweeper took it meanwhile
    queue.enqueue_after_commit(session, queue.Job.RECOVERY_STEP, step.id)
    return True


def complete(store: Store, checkout: Checkout) -> Recorded:
    """The demo shopper completes her cart: orders/create naming the checkout, paid by card."""
    number = str(random.randint(1000, 99999))
    payload: dict[str, Any] = {
        "id": f"demo-{uuid.uuid4().hex[:12]}", "number": number, "status": "placed",
        "currency": checkout.currency, "total": str(checkout.total),
        "payment_gateway": "card", "customer": demo.DEMO_CUSTOMER,
        "line_items": [{"title": item["title"], "quantity": item["quantity"],
                        "price": item["price"]} for item in checkout.items],
        "status_url": f"https://{demo.DEMO_DOMAIN}/orders/{number}",
        "checkout_id": checkout.platform_id,
    }
    return demo.deliver(store, "orders/create", payload)


def cart_rows(session: Session, store_id: int) -> list[CartRow]:
    """The store's newest demo carts with their steps, newest first."""
    checkouts = list(session.scalars(select(Checkout).where(Checkout.store_id == store_id)
                                     .order_by(Checkout.id.desc()).limit(CART_ROWS)))
    steps: dict[int, list[RecoveryStep]] = {c.id: [] for c in checkouts}
    for step in session.scalars(select(RecoveryStep).where(
            RecoveryStep.checkout_id.in_(steps)).order_by(RecoveryStep.cycle, RecoveryStep.step)):
        steps[step.checkout_id].append(step)
    return [CartRow(c, steps[c.id]) for c in checkouts]
