"""Back in stock: a variant's waiting shoppers released, oldest first, in proportion to the
units that came back (plugin.domain.alerts.release_quota), each alert written to the outbox
once and sent by the send job under the marketing policy (consent, caps, quiet hours, the
US block, Meta's per-user limit), which first checks the variant has not sold out again.

Stock reaches us as Shopify's inventory_levels/update (inventory item → variant through the
catalog rows) and as WooCommerce's product deliveries (the product's or variation's stock);
both run through the catalog first, so the catalog row is what we read stock from here and
again at send time. What one restock may not release, the housekeeping sweep releases when
the hour has passed or more stock arrived (`sweep`).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from plugin.domain import alerts
from plugin.domain.catalog_items import availability
from plugin.domain.events import EventKind, ProductEvent, StockEvent
from plugin.domain.journeys import choose_language
from plugin.domain.outbox import MessageState
from plugin.domain.phones import wa_recipient
from plugin.domain.policy import SOLD_OUT_AGAIN
from plugin.infra import db
from plugin.infra.queue import Job, enqueue_after_commit
from plugin.models import (
    AlertKind,
    AlertState,
    AlertSubscription,
    Automation,
    CatalogItem,
    Customer,
    Message,
    Store,
    Template,
)
from plugin.pipeline import outbox
from plugin.pipeline.alerts import flows, price_drops, subscriptions
from plugin.pipeline.catalog import items as catalog_items

log = logging.getLogger(__name__)

# WooCommerce has no locations: its store-wide quantity is kept as this one "location".
STORE_LEVEL = "store"
_SENT = (MessageState.SENT.value, MessageState.DELIVERED.value, MessageState.READ.value)
_STOPPED = (MessageState.SKIPPED.value, MessageState.FAILED.value)
# Subscriptions released per batch of statements (well under SQLite's bound-variable limit).
BATCH = 500
# The table, not the mapped class: a release updates thousands of rows, no objects needed.
_SUBSCRIPTIONS = AlertSubscription.__table__


# Process appliers: the catalog's, then the alerts -------------------------------------------

def apply_product_event(session: Session, store: Store,
                        event: ProductEvent) -> list[tuple[int, int]]:
    """The catalog's product applier, then: a deleted product's subscriptions end; a
    variant back in stock releases its waiting shoppers; a price fallen far enough is
    announced (its old price read before the catalog overwrites it)."""
    before = price_drops.prices_before(session, store, event)
    new = catalog_items.apply_product_event(session, store, event)
    note_product(session, store, event)
    price_drops.note_prices(session, store, event, before)
    return new


def apply_stock_event(session: Session, store: Store, event: StockEvent) -> list[tuple[int, int]]:
    """The catalog's stock applier, then: each variant of the inventory item released."""
    new = catalog_items.apply_stock_event(session, store, event)
    rows = session.scalars(select(CatalogItem).where(
        CatalogItem.store_id == store.id,
        CatalogItem.inventory_item_id == event.inventory_item_id)).all()
    now = db.utcnow()
    for row in rows:  # none for an unknown inventory item: nothing to release
        if row.deleted_at is None:
            release_variant(session, store, row, now)
    return new


def note_product(session: Session, store: Store, event: ProductEvent) -> None:
    """After a product's rows were written: cancel or release its variants' subscriptions."""
    if event.kind == EventKind.PRODUCT_DELETED:
        subscriptions.cancel_deleted(session, store, event.product_id)
        return
    now = db.utcnow()
    for variant in event.variants:
        if not variant.title and variant.price is None and variant.inventory_quantity is None:
            continue  # only an id (WooCommerce's variation list): its read-back says more
        row = subscriptions.find_variant(session, store, variant.variant_id)
        if row is None:
            continue
        if store.platform == "woocommerce":
            # The store-wide quantity (None: not managed) is the row's one level.
            quantity = variant.inventory_quantity
            row.stock_levels = {} if quantity is None else {STORE_LEVEL: quantity}
        fallback = alerts.Stock(availability(variant) == "in stock",
                                variant.inventory_quantity)
        release_variant(session, store, row, now, fallback)


# Releasing ------------------------------------------------------------------------------------

def stock_of(row: CatalogItem) -> alerts.Stock:
    """The variant's stock as its catalog row records it."""
    return alerts.stock_of(row.stock_levels or {},
                           (row.data or {}).get("availability") if row.data else None)


def release_variant(session: Session, store: Store, row: CatalogItem, now: datetime,
                    fallback: alerts.Stock | None = None) -> int:
    """Release as many of the variant's waiting shoppers as its stock allows, oldest first,
    writing each one's alert to the outbox; how many were released. `fallback` is the
    stock an event reported, used when the row itself cannot tell (no listing)."""
    stock = stock_of(row)
    if fallback is not None and (stock.in_stock is None or (
            stock.units is None and fallback.in_stock == stock.in_stock)):
        stock = fallback  # the row cannot tell, or the event also knows how many
    if stock.in_stock is not True:
        return 0
    in_window = session.scalar(select(func.count(AlertSubscription.id)).where(
        AlertSubscription.store_id == store.id, AlertSubscription.variant_id == row.variant_id,
        AlertSubscription.released_at >= now - alerts.RELEASE_WINDOW)) or 0
    quota = alerts.release_quota(stock, in_window)
    if quota <= 0:
        return 0
    flow = flows.rule(session, store, alerts.STEP)
    if not flow.enabled:
        return 0  # switched off in the Automations section: the subscribers keep waiting
    templates = _templates(session, store, flow.template)
    if not templates:
        log.info("store %s has no approved %s template: its alerts wait", store.id,
                 flow.template)
        return 0
    chosen = select_waiting(session, store.id, row.variant_id, now, quota)
    base = current_app.config["STORECHAT"].public_url.rstrip("/")
    released = 0
    for first in range(0, len(chosen), BATCH):
        released += _release_batch(session, store, row, flow, templates, now, base,
                                   chosen[first:first + BATCH])
    return released


def _release_batch(session: Session, store: Store, row: CatalogItem, flow: Automation,
                   templates: dict[str, Template], now: datetime, base: str,
                   chosen: list[Any]) -> int:
    """Mark a batch of selected subscriptions released, write their alerts and queue their
    sends: a few statements per batch, not per shopper."""
    # Conditional on the state we read, so a concurrent release cannot take one twice.
    taken = set(session.execute(
        update(_SUBSCRIPTIONS)
        .where(_SUBSCRIPTIONS.c.id.in_([c[0] for c in chosen]),
               _SUBSCRIPTIONS.c.state == AlertState.WAITING.value)
        .values(state=AlertState.RELEASED.value, released_at=now)
        .returning(_SUBSCRIPTIONS.c.id)).scalars())
    step = f"{alerts.STEP}@{now:%Y%m%d%H%M%S%f}"  # a later release (after a sell-out) is new
    messages = [_alert(store, row, flow, templates, subscription_id=subscription_id, step=step,
                       url=f"{base}/t/{token}", customer_id=customer_id, phone=phone or "",
                       first_name=first_name or "", locale=locale)
                for subscription_id, token, customer_id, phone, first_name, locale in chosen
                if subscription_id in taken]
    ids = outbox.write_many(session, messages)
    by_subscription = {alerts.subscription_of(cause): message_id
                       for cause, message_id in ids.items()}
    if by_subscription:
        session.execute(update(_SUBSCRIPTIONS)
                        .where(_SUBSCRIPTIONS.c.id == bindparam("subscription"))
                        .values(message_id=bindparam("message")),
                        [{"subscription": s, "message": m} for s, m in by_subscription.items()])
    for message in messages:
        if message["state"] == MessageState.PENDING.value:
            enqueue_after_commit(session, Job.SEND_MESSAGE, ids[message["cause"]],
                                 int(flow.delay_seconds or 0))
    return len(taken)


def select_waiting(session: Session, store_id: int, variant_id: str, now: datetime,
                   limit: int) -> list[Any]:
    """The first `limit` waiting, unexpired subscriptions to a variant, in the order they were
    made (a range of ix_alert_subscriptions_selection), with their shopper's details."""
    query = waiting_query(store_id, variant_id, now, limit)
    if session.get_bind().dialect.name == "postgresql":
        # Another worker releasing the same variant takes the next rows, not these.
        query = query.with_for_update(of=AlertSubscription, skip_locked=True)
    return list(session.execute(query))


def waiting_query(store_id: int, variant_id: str, now: datetime, limit: int) -> Select[Any]:
    """The selection `select_waiting` runs (bench/alerts.py explains its plan)."""
    return (select(AlertSubscription.id, AlertSubscription.link_token, Customer.id,
                   Customer.phone_e164, Customer.first_name, Customer.locale)
            .join(Customer, Customer.id == AlertSubscription.customer_id)
            .where(AlertSubscription.store_id == store_id,
                   AlertSubscription.variant_id == variant_id,
                   AlertSubscription.kind == AlertKind.BACK_IN_STOCK.value,
                   AlertSubscription.state == AlertState.WAITING.value,
                   AlertSubscription.expires_at > now)
            .order_by(AlertSubscription.created_at, AlertSubscription.id).limit(limit))


def _templates(session: Session, store: Store, name: str) -> dict[str, Template]:
    return {t.language: t for t in session.scalars(select(Template).where(
        Template.store_id == store.id, Template.name == name,
        Template.status == "APPROVED"))}


def _alert(store: Store, row: CatalogItem, flow: Automation, templates: dict[str, Template],
           *, subscription_id: int, step: str, url: str, customer_id: int, phone: str,
           first_name: str, locale: str | None) -> dict[str, Any]:
    """One alert as an outbox row (outbox.write_many): the flow's template in the
    shopper's language, its blanks filled as the flow maps them, with the variant's image
    when the template has an image header; due after the flow's delay."""
    name = flow.template
    language = choose_language(name, [locale, store.locale],
                               {(name, lang) for lang in templates}, flow.language)
    template = templates[language]
    data = row.data or {}
    header = []
    if _header_format(template) == "IMAGE" and data.get("image_link"):
        header = [{"type": "image", "image": {"link": data["image_link"]}}]
    body = flows.body(flow, {
        "first_name": alerts.first_name_or_fallback(first_name, language),
        "product_title": alerts.product_label(row.title) or row.variant_id,
        "product_url": url})
    names = tuple(flow.variables or ()) if template.parameter_format == "NAMED" else ()
    state, reason = MessageState.PENDING.value, None
    try:
        payload = messages.template(wa_recipient(phone) if phone else None, name,
                                    language, header=header, body=body, parameter_names=names)
    except messages.MessageLimitError as error:
        payload, state = {}, MessageState.SKIPPED.value
        reason = f"not sent: the message breaks a WhatsApp limit ({error})"[:255]
    delay = int(flow.delay_seconds or 0)
    return {"store_id": store.id, "customer_id": customer_id,
            "cause": alerts.cause(subscription_id), "step": step, "to": phone,
            "template": name, "payload": payload, "state": state, "reason": reason,
            "not_before": db.utcnow() + timedelta(seconds=delay) if delay else None}


def _header_format(template: Template) -> str:
    for component in template.components or []:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == "HEADER":
            return str(component.get("format", "")).upper()
    return ""


# At send time, and the sweep ------------------------------------------------------------------

def still_in_stock(session: Session, message: Message) -> bool | None:
    """For a back-in-stock alert: False when its variant sold out again (or is gone) since
    it was released; None for every other message, or when the stock is unknown."""
    subscription_id = alerts.subscription_of(message.cause or "")
    if subscription_id is None:
        return None
    subscription = session.get(AlertSubscription, subscription_id)
    if subscription is None:
        return None
    store = session.get(Store, subscription.store_id)
    row = subscriptions.find_variant(session, store, subscription.variant_id) if store else None
    if row is None:  # deleted, or gone from its product
        return False
    return stock_of(row).in_stock


def sweep(now: datetime) -> int:
    """Housekeeping: settle released subscriptions by their alert's fate (sent: alerted;
    stopped by a sell-out: waiting again, in their place; stopped otherwise: cancelled),
    expire the lapsed, and release what stock allows now. How many were released."""
    with db.transaction() as session:
        _settle(session)
        session.execute(update(AlertSubscription).where(
            AlertSubscription.state.in_((AlertState.PENDING.value, AlertState.WAITING.value)),
            AlertSubscription.expires_at <= now).values(state=AlertState.EXPIRED.value)
            .execution_options(synchronize_session=False))
        pairs = list(session.execute(select(AlertSubscription.store_id,
                                            AlertSubscription.variant_id).where(
            AlertSubscription.state == AlertState.WAITING.value,
            AlertSubscription.kind == AlertKind.BACK_IN_STOCK.value).distinct()))
    released = 0
    for store_id, variant_id in pairs:
        with db.transaction() as session:
            store = session.get(Store, store_id)
            if store is None or not store.active:
                continue
            row = subscriptions.find_variant(session, store, variant_id)
            if row is None:  # the variant is gone from the store: nobody will be told
                product = session.scalar(select(AlertSubscription.product_id).where(
                    AlertSubscription.store_id == store_id,
                    AlertSubscription.variant_id == variant_id).limit(1))
                subscriptions.cancel_deleted(session, store, product or "", variant_id)
                continue
            released += release_variant(session, store, row, now)
    return released


def _settle(session: Session) -> None:
    released = (select(AlertSubscription.id, Message.state, Message.reason)
                .join(Message, Message.id == AlertSubscription.message_id)
                .where(AlertSubscription.state == AlertState.RELEASED.value,
                       Message.state.in_(_SENT + _STOPPED)))
    for subscription_id, state, reason in session.execute(released).all():
        values: dict[str, Any]
        if state in _SENT:
            values = {"state": AlertState.ALERTED.value}
        elif reason == SOLD_OUT_AGAIN:
            values = {"state": AlertState.WAITING.value, "released_at": None,
                      "message_id": None}
        else:
            values = {"state": AlertState.CANCELLED.value}
        session.execute(update(AlertSubscription).where(AlertSubscription.id == subscription_id)
                        .values(**values).execution_options(synchronize_session=False))
