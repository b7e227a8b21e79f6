"""The audit trail: every message we send is noted on its order in the store's own admin.

Shopify gets a tag per journey step ("storechat-order-confirmation"); WooCommerce a private
order note naming the message, the number and the wamid. Each message is noted once:
`Message.audited_at` is claimed with a conditional update before the call and given back if
the call fails, so a job that runs twice notes nothing twice. (A worker dying between the
claim and the call loses that one note: a missing line beats a duplicate in the owner's
admin.) The calls happen in a job, after the send, and never hold up a send.

This module is also the seam both it and the COD answers use to reach a store's admin.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import update

from adapters.shopify import admin as shopify_admin
from adapters.shopify.admin import AdminClient
from adapters.woocommerce import client as woocommerce_client
from adapters.woocommerce.client import WooClient
from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.models import Message, Order, Store
from plugin.platforms.shopify import shops, tokens
from plugin.platforms.woocommerce import sites

log = logging.getLogger(__name__)

# Store errors that pass (throttling, 5xx, timeouts, a token refresh in progress): the job
# raises them and the queue runs it again later, with backoff. Any other store error is
# logged and dropped, since trying again cannot help.
RETRYABLE_ERRORS: tuple[type[Exception], ...] = (
    shopify_admin.Throttled, shopify_admin.Unavailable, tokens.TokenUnavailable,
    woocommerce_client.Unavailable)
PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    shopify_admin.AdminError, tokens.TokenError, woocommerce_client.WooError)
# Huey retry options for jobs that call a store: 30 s, then 1, 2, 4, 8 and 16 minutes.
JOB_RETRY: dict[str, Any] = {"retries": 6, "retry_delay": 30, "retry_backoff": 2}
# Platforms with an admin to write to; the demo store has none.
PLATFORMS = ("shopify", "woocommerce")
TAG_PREFIX = "storechat-"

_NOTED_STATES = (MessageState.SENT.value, MessageState.DELIVERED.value,
                 MessageState.READ.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreOrder:
    """An order as the calls to its store need it (read in a transaction, used after)."""

    store_id: int
    platform: str
    domain: str
    order_id: str  # the platform's id


def step_tag(step: str) -> str:
    """The Shopify tag for a journey step: "order_confirmation" → "storechat-order-confirmation"."""
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


def call_store(target: StoreOrder, *, shopify: Callable[[AdminClient], object],
               woocommerce: Callable[[WooClient], object]) -> bool:
    """Run the platform's call against the store's admin; True when it ran.

    RETRYABLE_ERRORS propagate (the caller's job is retried); other store errors, a store
    that must reconnect and an unknown platform are logged and give False.
    """
    try:
        if target.platform == "shopify":
            shopify(shops.admin_client(target.store_id, target.domain))
            return True
        if target.platform == "woocommerce":
            return sites.with_client(target.store_id,
                                     lambda _store, api: woocommerce(api) or True) is not None
    except RETRYABLE_ERRORS:
        log.warning("store %s did not answer about order %s; will retry", target.store_id,
                    target.order_id)
        raise
    except PERMANENT_ERRORS as error:
        log.warning("store %s refused a call about order %s: %s", target.store_id,
                    target.order_id, error)
    return False


def add_woo_note(api: WooClient, order_id: str, note: str, unless: str = "") -> bool:
    """Add a private note to a WooCommerce order; with `unless`, only when no note of the
    order contains that text yet (so a retried job does not note twice). True if added."""
    if unless:
        existing = api.get(f"orders/{order_id}/notes")
        if any(unless in str(n.get("note", "")) for n in existing if isinstance(n, dict)):
            return False
    api.post(f"orders/{order_id}/notes", {"note": note, "customer_note": False})
    return True
