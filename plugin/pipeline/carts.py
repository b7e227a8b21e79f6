"""Carts sent from the WhatsApp catalog (Meta's `order` message) become a checkout at the
store, answered with its pay link: a Shopify draft order's invoice URL, or a pending
WooCommerce order's payment URL.

The cart is recorded in the transaction that stores the inbound message, unique on its
wamid, with each retailer id mapped through catalog_items to the variant it was made for;
a redelivery or a second processing of the notification finds the row and does nothing.
Only after that commits is the `cart_checkout` job queued. It calls the store outside any
transaction; a store that does not answer gets the shopper a polite word (once) and the
job raises so the queue tries again with backoff; a store that refuses, or is still down
after the retries, gets the shopper told the shop will follow up. Every answer is written
once per cart (cause `cart:<id>`), so the pay link goes exactly once.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adapters.woocommerce.checkout import WooLine, create_pending_order
from plugin.domain import carts
from plugin.domain.messaging import InboundKind, InboundMessage
from plugin.infra import db, queue
from plugin.infra.sql import insert_ignore
from plugin.models import CartCheckout, CartState, CatalogItem, Customer, ItemState, Store
from plugin.pipeline import replies, store_gateway
from plugin.platforms.shopify import shops
from plugin.platforms.woocommerce import sites

log = logging.getLogger(__name__)

JOB_RETRY = store_gateway.JOB_RETRY
# Attempts after which a store that keeps failing is given up on (1 + the queue's retries).
MAX_ATTEMPTS = 1 + int(JOB_RETRY["retries"])
# Outbox steps of the answers (with the cause `cart:<id>`, each is written at most once).
PAY_LINK_STEP = "cart_pay_link"
DELAYED_STEP = "cart_delayed"
FAILED_STEP = "cart_failed"
UNKNOWN_STEP = "cart_unknown"
# Marks the store's draft order / order as coming from a WhatsApp cart.
SHOPIFY_TAGS = ["storechat-whatsapp-cart"]
NOTE = "Cart sent from WhatsApp (StoreChat)."
# A cart still received and untouched this long has lost its job (longer than the queue's
# longest retry delay, 16 minutes); the sweeper queues it again, up to RECOVERY_WINDOW old.
LOST_AFTER = timedelta(minutes=20)
RECOVERY_WINDOW = timedelta(days=2)
RECOVERY_BATCH = 500
# Catalog item states whose variant can no longer be sold through the catalog.
_GONE = (ItemState.KEPT_OUT, ItemState.DELETING, ItemState.DELETED)


def handle_order(session: Session, store_id: int, customer: Customer,
                 message: InboundMessage) -> bool:
    """True when `message` is a cart: recorded once (its lines mapped to our variants) and
    its checkout job queued after commit; a repeat of the same wamid does nothing more."""
    if message.kind is not InboundKind.ORDER or not message.order:
        return False
    lines = carts.cart_lines(message.order.get("product_items") or [])
    known = {row.retailer_id: row for row in session.scalars(select(CatalogItem).where(
        CatalogItem.store_id == store_id,
        CatalogItem.retailer_id.in_([line.retailer_id for line in lines]),
        CatalogItem.state.not_in(_GONE), CatalogItem.deleted_at.is_(None)))}
    mapped = [{"retailer_id": line.retailer_id, "quantity": line.quantity,
               "variant_id": known[line.retailer_id].variant_id,
               "product_id": known[line.retailer_id].product_id}
              for line in lines if line.retailer_id in known]
    now = db.utcnow()
    cart_id = insert_ignore(session, CartCheckout, {
        "store_id": store_id, "customer_id": customer.id, "wamid": message.wamid,
        "catalog_id": str(message.order.get("catalog_id") or "")[:64], "lines": mapped,
        "unknown": [line.retailer_id for line in lines if line.retailer_id not in known],
        "state": CartState.RECEIVED, "attempts": 0, "created_at": now, "updated_at": now,
    }, ("store_id", "wamid"))
    if cart_id is None:
        log.info("cart %s of store %s was already received", message.wamid, store_id)
    else:
        queue.enqueue_after_commit(session, queue.Job.CART_CHECKOUT, cart_id)
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class _Call:
    """What the store call needs, read in a transaction and used after it."""

    store_id: int
    platform: str
    domain: str
    lines: list[dict[str, Any]]
    phone: str | None
    wamid: str


def enqueue_lost(now: datetime) -> int:
    """Queue `cart_checkout` again for carts whose job was lost (a dead worker, a queue
    outage): still received, untouched for LOST_AFTER. The job is idempotent."""
    session = db.session()
    cart_ids = list(session.scalars(select(CartCheckout.id).where(
        CartCheckout.state == CartState.RECEIVED, CartCheckout.updated_at < now - LOST_AFTER,
        CartCheckout.created_at > now - RECOVERY_WINDOW).limit(RECOVERY_BATCH)))
    session.rollback()
    for cart_id in cart_ids:
        queue.enqueue(queue.Job.CART_CHECKOUT, cart_id)
    return len(cart_ids)


def _load(session: Session, cart_id: int
          ) -> tuple[CartCheckout, Store, Customer | None] | None:
    """The cart still waiting for its checkout, with its store and shopper; else None."""
    cart = session.get(CartCheckout, cart_id)
    if cart is None or cart.state != CartState.RECEIVED:
        return None
    store = session.get(Store, cart.store_id)
    if store is None:  # deleted with the store (cascade); nothing to answer
        return None
    return cart, store, session.get(Customer, cart.customer_id)


def checkout(cart_id: int) -> None:
    """Job: make the cart's checkout at the store and answer with its pay link. Safe to run
    again (a finished cart is left alone); raises a passing store error for the queue."""
    with db.transaction() as session:
        loaded = _load(session, cart_id)
        if loaded is None:
            return
        cart, store, customer = loaded
        if not cart.lines:
            _finish(session, cart, store, customer, CartState.EMPTY, UNKNOWN_STEP,
                    carts.nothing_known_text(cart.unknown))
            return
        if store.platform not in store_gateway.PLATFORMS or not store.active:
            cart.error = "the store cannot take checkouts (not connected)"
            _finish(session, cart, store, customer, CartState.FAILED, FAILED_STEP,
                    carts.failed_text())
            return
        cart.attempts += 1
        cart.updated_at = db.utcnow()
        last_try = cart.attempts >= MAX_ATTEMPTS
        call = _Call(store_id=store.id, platform=store.platform, domain=store.domain,
                     lines=list(cart.lines), phone=customer.phone_e164 if customer else None,
                     wamid=cart.wamid)
    try:
        made = _call_store(call)
    except store_gateway.RETRYABLE_ERRORS as error:
        _not_yet(cart_id, str(error), last_try)
        if not last_try:
            raise
        return
    except store_gateway.PERMANENT_ERRORS as error:
        log.warning("store %s refused the checkout of cart %s: %s", call.store_id, cart_id,
                    error)
        made = None
        reason = str(error)
    else:
        reason = "the store could not be called (it must be reconnected)"
    with db.transaction() as session:
        loaded = _load(session, cart_id)
        if loaded is None:
            return
        cart, store, customer = loaded
        if made is None:
            cart.error = reason[:2000]
            _finish(session, cart, store, customer, CartState.FAILED, FAILED_STEP,
                    carts.failed_text())
            return
        cart.platform_id, cart.pay_url = made
        cart.error = None
        _finish(session, cart, store, customer, CartState.DONE, PAY_LINK_STEP,
                carts.pay_link_text(store.name, made[1], cart.unknown))


def _call_store(call: _Call) -> tuple[str, str] | None:
    """The checkout's id and pay URL at the store; None when the store cannot be called."""
    if call.platform == "shopify":
        admin = shops.admin_client(call.store_id, call.domain)
        return admin.create_draft_order(
            [(str(line["variant_id"]), int(line["quantity"])) for line in call.lines],
            phone=call.phone, note=NOTE, tags=SHOPIFY_TAGS)
    woo_lines = [WooLine(product_id=str(line["product_id"]),
                         variation_id=(None if line["variant_id"] == line["product_id"]
                                       else str(line["variant_id"])),
                         quantity=int(line["quantity"])) for line in call.lines]
    return sites.with_client(call.store_id, lambda _store, api: create_pending_order(
        api, woo_lines, phone=call.phone, note=NOTE, wamid=call.wamid))


def _not_yet(cart_id: int, reason: str, last_try: bool) -> None:
    """The store did not answer: tell the shopper once that the link follows, or, after the
    last try, that the shop will get back to them."""
    with db.transaction() as session:
        loaded = _load(session, cart_id)
        if loaded is None:
            return
        cart, store, customer = loaded
        cart.error = reason[:2000]
        cart.updated_at = db.utcnow()
        if last_try:
            _finish(session, cart, store, customer, CartState.FAILED, FAILED_STEP,
                    carts.failed_text())
        else:
            _answer(session, cart, store, customer, DELAYED_STEP, carts.delayed_text())


def _finish(session: Session, cart: CartCheckout, store: Store, customer: Customer | None,
            state: str, step: str, text: str) -> None:
    """Move the cart from received to `state` (only once) and write the answer."""
    result: Any = session.execute(update(CartCheckout).where(
        CartCheckout.id == cart.id, CartCheckout.state == CartState.RECEIVED).values(
        state=state, updated_at=db.utcnow()))
    if result.rowcount == 1:  # of two workers finishing the same cart, one answers
        _answer(session, cart, store, customer, step, text)


def _answer(session: Session, cart: CartCheckout, store: Store, customer: Customer | None,
            step: str, text: str) -> None:
    if customer is None or not customer.phone_e164:
        log.info("cart %s: the shopper has no WhatsApp number to answer", cart.id)
        return
    message_id = replies.queue_text(session, store, customer, text, cause=f"cart:{cart.id}",
                                    step=step)
    if message_id is not None:
        queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
