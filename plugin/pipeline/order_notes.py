"""The audit trail: every message we send is noted on its order in the store's own admin.

Shopify gets a tag per journey step ("storechat-order-confirmation"); WooCommerce a private
order note naming the message, the number and the wamid. Each message is noted once:
`Message.audited_at` is claimed with a conditional update before the call and given back if
the call fails, so a job that runs twice notes nothing twice. (A worker dying between the
claim and the call loses that one note: a missing line beats a duplicate in the owner's
admin.) The calls happen in a job, after the send, and never hold up a send.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from adapters.shopify import admin as shopify_admin
from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.models import Message, Order, Store
from plugin.pipeline.store_gateway import (
    PLATFORMS,
    RETRYABLE_ERRORS,
    StoreOrder,
    add_woo_note,
    call_store,
)

TAG_PREFIX = "storechat-"

_NOTED_STATES = (MessageState.SENT.value, MessageState.DELIVERED.value,
                 MessageState.READ.value)


def step_tag(step: str) -> str:
    """The Shopify tag for a step: "order_confirmation" → "storechat-order-confirmation"."""
    return TAG_PREFIX + step.replace("_", "-").lower()


def woo_note(name: str, to: str, wamid: str | None) -> str:
    """The private WooCommerce order note for one sent message."""
    suffix = f" (wamid {wamid})" if wamid else ""
    return f"StoreChat sent the WhatsApp message \u201c{name}\u201d to {to}{suffix}."


def note_message(message_id: int) -> None:
    """Job: note a sent message on its order, once; raises a passing store error to be
    retried by the queue. Messages without an order, or not sent, are left alone."""
    now = db.utcnow()
    with db.transaction() as session:
        message = session.get(Message, message_id)
        if (message is None or message.order_id is None or message.audited_at is not None
                or message.state not in _NOTED_STATES):
            return
        order = session.get(Order, message.order_id)
        store = session.get(Store, message.store_id)
        if order is None or store is None:
            return
        claimed = session.execute(
            update(Message).where(Message.id == message_id, Message.audited_at.is_(None))
            .values(audited_at=now)).rowcount == 1
        if not claimed:
            return
        target = StoreOrder(store_id=store.id, platform=store.platform, domain=store.domain,
                            order_id=order.platform_id)
        tag = step_tag(message.step)
        note = woo_note(message.template or message.step, message.to, message.wamid)
    if target.platform not in PLATFORMS:
        return  # the demo store: nothing to call, and the message counts as noted
    try:
        noted = call_store(
            target,
            shopify=lambda admin: admin.add_tags(shopify_admin.order_gid(target.order_id), [tag]),
            woocommerce=lambda api: add_woo_note(api, target.order_id, note))
    except RETRYABLE_ERRORS:
        _release(message_id, now)
        raise
    if not noted:
        _release(message_id, now)


def _release(message_id: int, claimed_at: datetime) -> None:
    """Give the claim back so a later run can note the message."""
    with db.transaction() as session:
        session.execute(update(Message).where(Message.id == message_id,
                                              Message.audited_at == claimed_at)
                        .values(audited_at=None))
