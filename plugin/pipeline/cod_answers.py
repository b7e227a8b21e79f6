"""Cash-on-delivery answers: the shopper's Confirm/Cancel tap acts on the store's order.

The tap is recorded first, in the transaction that stores the inbound message: the order's
cod_state moves from "asked" with a conditional update, so the first answer wins and a
repeated tap or a redelivery does nothing more. The same transaction writes the thank-you
into the outbox. Only after it commits are the jobs queued: the send, and `apply_answer`,
which tags, notes, confirms or cancels the order at the store and is retried by the queue
while the store does not answer. The shopper's answer is never lost to a store outage.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adapters.shopify.admin import AdminClient, order_gid
from adapters.whatsapp import messages
from adapters.woocommerce.client import WooClient
from adapters.woocommerce.statuses import woo_status_after
from plugin.domain import cod
from plugin.domain.journeys import COD_JOURNEY
from plugin.domain.messaging import InboundKind, InboundMessage, Sender
from plugin.domain.phones import wa_recipient
from plugin.infra import db, queue
from plugin.models import Automation, Customer, Order, Store, StoreStatus
from plugin.pipeline import outbox, store_gateway

log = logging.getLogger(__name__)

JOURNEY = COD_JOURNEY  # the Automation row whose conditions hold `on_cancel`
JOB_RETRY = store_gateway.JOB_RETRY
# The staff note Shopify keeps on an order StoreChat cancelled.
STAFF_NOTE = "Cancelled by the customer in WhatsApp (StoreChat cash-on-delivery confirmation)."
_BUTTONS = (InboundKind.BUTTON, InboundKind.BUTTON_REPLY)


def handle_button(session: Session, store_id: int, customer: Customer,
                  message: InboundMessage) -> bool:
    """True when `message` is a COD button tap: then it is acted on once, or ignored (and
    logged) when the order is unknown, not this sender's, or already answered."""
    reply = cod.parse_payload(message.payload) if message.kind in _BUTTONS else None
    if reply is None:
        return False
    order = session.scalars(select(Order).where(Order.store_id == store_id,
                                                Order.platform_id == reply.order_id)).first()
    if order is None:
        log.info("COD answer for unknown order %s of store %s ignored", reply.order_id,
                 store_id)
        return True
    owner = session.get(Customer, order.customer_id) if order.customer_id else None
    if not same_person(owner, customer, message.sender):
        log.warning("COD answer for order %s of store %s came from another number; ignored",
                    reply.order_id, store_id)
        return True
    new_state = cod.answered_state(order.cod_state, reply.answer)
    # Conditional on "asked": of two taps processed at once, exactly one moves the order.
    if new_state is None or session.execute(
            update(Order).where(Order.id == order.id, Order.cod_state == cod.ASKED)
            .values(cod_state=new_state, updated_at=db.utcnow())).rowcount != 1:
        log.info("COD order %s of store %s was already answered", reply.order_id, store_id)
        return True
    store = session.get(Store, store_id)
    reply_id = _write_thank_you(session, store, order, customer, owner, message, reply.answer)
    if reply_id is not None:
        queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, reply_id)
    if store.platform in store_gateway.PLATFORMS:
        queue.enqueue_after_commit(session, queue.Job.COD_ANSWER, order.id)
    else:
        order.cod_applied_at = db.utcnow()  # the demo store: nothing to carry anywhere
    return True


def same_person(owner: Customer | None, customer: Customer, sender: Sender) -> bool:
    """True when the sender is the order's customer, by row, WhatsApp id, phone or
    business-scoped id (a shopper may have a second row from an earlier chat)."""
    if owner is None:
        return False
    if owner.id == customer.id:
        return True
    if sender.wa_id and (owner.wa_id == sender.wa_id or owner.phone_e164 == f"+{sender.wa_id}"):
        return True
    return bool(sender.bsuid and owner.bsuid == sender.bsuid)


def _write_thank_you(session: Session, store: Store, order: Order, customer: Customer,
                     owner: Customer | None, message: InboundMessage,
                     answer: cod.Answer) -> int | None:
    """The thank-you as a free-form text (the shopper just wrote: the window is open)."""
    phone = f"+{message.sender.wa_id}" if message.sender.wa_id else (
        customer.phone_e164 or (owner.phone_e164 if owner else None))
    if not phone:
        return None
    language = cod.reply_language(customer.locale, owner.locale if owner else None,
                                  store.locale)
    # The row whose window the tap just opened (`customer`): the send policy checks it.
    return outbox.write(
        session, store_id=store.id, customer_id=customer.id, order_id=order.id,
        cause=outbox.order_cause(order.platform_id), step=cod.reply_step(answer), to=phone,
        payload=messages.text(wa_recipient(phone),
                              cod.thank_you(answer, language, order.number)))


def apply_answer(order_id: int) -> None:
    """Job: carry the recorded answer to the store (tag or note; confirm or cancel).
    Safe to run again: each step checks or is idempotent. Raises a passing store error so
    that the queue retries it."""
    with db.transaction() as session:
        order = session.get(Order, order_id)
        store = session.get(Store, order.store_id) if order else None
        if order is None or store is None:
            return
        action = cod.action_for(order.cod_state, _on_cancel(session, store.id))
        target = store_gateway.StoreOrder(store_id=store.id, platform=store.platform,
                                  domain=store.domain, order_id=order.platform_id)
    if action is None or target.platform not in store_gateway.PLATFORMS:
        _mark_applied(order_id)
        return
    done = store_gateway.call_store(target,
                            shopify=lambda admin: _shopify(admin, target.order_id, action),
                            woocommerce=lambda api: _woocommerce(api, target.order_id, action))
    with db.transaction() as session:
        store = session.get(Store, target.store_id)
        waiting = store is not None and not store.active
    # Done, or refused for good by a store that is still connected (logged by call_store):
    # either way there is nothing more to try. A store that must reconnect first keeps the
    # answer waiting; the sweeper carries it over once the store is back.
    if done or not waiting:
        _mark_applied(order_id)


def _mark_applied(order_id: int) -> None:
    with db.transaction() as session:
        session.execute(update(Order).where(Order.id == order_id,
                                            Order.cod_applied_at.is_(None))
                        .values(cod_applied_at=db.utcnow()))


# The sweeper looks for answers whose job was lost for this long after they were given.
RECOVERY_WINDOW = timedelta(days=2)
RECOVERY_BATCH = 500


def enqueue_unapplied(now: datetime, stale: datetime) -> int:
    """Queue `cod_answer` again for answers recorded before `stale` that never reached their
    (connected) store: a worker died or the queue was down. The job is idempotent."""
    session = db.session()
    order_ids = list(session.scalars(
        select(Order.id).join(Store, Store.id == Order.store_id)
        .where(Order.cod_state.in_((cod.CONFIRMED, cod.CANCELLED)),
               Order.cod_applied_at.is_(None),
               Order.updated_at < stale, Order.updated_at > now - RECOVERY_WINDOW,
               Store.status == StoreStatus.ACTIVE.value,
               Store.platform.in_(store_gateway.PLATFORMS))
        .limit(RECOVERY_BATCH)))
    session.rollback()
    for order_id in order_ids:
        queue.enqueue(queue.Job.COD_ANSWER, order_id)
    return len(order_ids)


def _on_cancel(session: Session, store_id: int) -> str | None:
    conditions: dict[str, Any] | None = session.scalars(
        select(Automation.conditions).where(Automation.store_id == store_id,
                                            Automation.journey == JOURNEY)).first()
    return str((conditions or {}).get("on_cancel") or "") or None


def _shopify(admin: AdminClient, order_id: str, action: cod.Action) -> None:
    gid = order_gid(order_id)
    # Tags are idempotent; a cancelled order is checked first, as cancelling twice errs.
    admin.add_tags(gid, [cod.tag_for(action)])
    if action is cod.Action.CANCEL and not admin.order_cancelled(gid):
        # Cash on delivery: nothing was paid, so nothing is refunded; the stock goes back.
        admin.cancel_order(gid, reason="CUSTOMER", refund=False, restock=True,
                           notify_customer=False, staff_note=STAFF_NOTE)


def _woocommerce(api: WooClient, order_id: str, action: cod.Action) -> None:
    order = api.get(f"orders/{order_id}")
    # The note first, so the owner reads why before the status changes; its marker keeps
    # a retried job from writing it twice.
    store_gateway.add_woo_note(api, order_id, cod.owner_note(action),
                               unless=f"[{cod.tag_for(action)}]")
    status = woo_status_after(action, str(order.get("status") or ""))
    if status is not None:
        api.put(f"orders/{order_id}", {"status": status})
