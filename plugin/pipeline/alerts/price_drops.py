"""Price drops: a variant whose price fell by the store's threshold (plugin.domain
.price_drops) is announced to the shoppers who asked for it on the storefront (waiting
price_drop subscriptions) and to those with it in an open cart, once per shopper and
variant within 30 days. Each alert is written to the outbox and sent by the send job under
the marketing policy (consent, caps, quiet hours, the US block, Meta's per-user limit).

Prices reach us in the product events both platforms deliver (Shopify products/update;
WooCommerce product deliveries, read back from the site). The catalog overwrites a
variant's row with the event's price, so the old price is read from the rows *before* the
catalog applies the event (`prices_before`) and compared with the row after (`note_prices`).

At most one alert per (shopper, variant) within REPEAT_WINDOW: a lookup of the shopper's
recent alert for the variant, and, for two events racing past that lookup together, a
unique key on the window's bucket, so a redelivered or concurrent event writes nothing new.
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from plugin.domain import price_drops
from plugin.domain.alerts import first_name_or_fallback, product_label
from plugin.domain.events import CustomerRef, EventKind, ProductEvent
from plugin.domain.journeys import choose_language
from plugin.domain.money import format_money
from plugin.domain.outbox import MessageState
from plugin.domain.phones import wa_recipient
from plugin.infra import db
from plugin.infra.queue import Job, enqueue_after_commit
from plugin.infra.sql import insert_ignore
from plugin.models import (
    AlertKind,
    AlertState,
    AlertSubscription,
    Automation,
    CatalogItem,
    Checkout,
    Customer,
    PriceDropAlert,
    Store,
    Template,
)
from plugin.pipeline import consent_log, outbox
from plugin.pipeline.alerts import flows, subscriptions

log = logging.getLogger(__name__)

# A cart untouched for longer than this is no longer "open" to us: its shopper has moved on.
OPEN_CART_AGE = timedelta(days=30)
_ALERTS = cast(Table, PriceDropAlert.__table__)  # rows updated by id, no objects


def prices_before(session: Session, store: Store, event: ProductEvent) -> dict[str, Decimal]:
    """The price each of the event's variants showed before the event (only those the
    catalog recorded one for); read before the catalog applies the event."""
    if event.kind == EventKind.PRODUCT_DELETED:
        return {}
    ids = [v.variant_id for v in event.variants if v.price is not None]
    if not ids:
        return {}
    rows = session.execute(select(CatalogItem.variant_id, CatalogItem.data).where(
        CatalogItem.store_id == store.id, CatalogItem.variant_id.in_(ids)))
    found = {variant_id: price_drops.listed_price(data) for variant_id, data in rows}
    return {variant_id: price for variant_id, price in found.items() if price is not None}


def note_prices(session: Session, store: Store, event: ProductEvent,
                before: dict[str, Decimal]) -> int:
    """After the catalog applied the event: alert each variant whose price fell by the
    store's threshold since `before`. How many alerts were written."""
    written = 0
    for variant in event.variants:
        old = before.get(variant.variant_id)
        if old is None or variant.price is None:
            continue  # never priced before (or a variation's id only): nothing to compare
        row = subscriptions.find_variant(session, store, variant.variant_id)
        if row is None:
            continue
        new = price_drops.listed_price(row.data) or variant.price
        if price_drops.is_drop(old, new, store.price_drop_percent):
            written += alert_variant(session, store, row, old, new, db.utcnow())
    return written


def alert_variant(session: Session, store: Store, row: CatalogItem, old: Decimal,
                  new: Decimal, now: datetime) -> int:
    """Write one alert to each of the variant's subscribers and open-cart shoppers not told
    about it within the repeat window; how many were written."""
    flow = flows.rule(session, store, price_drops.STEP)
    if not flow.enabled:
        return 0  # switched off in the Automations section
    templates = {t.language: t for t in session.scalars(select(Template).where(
        Template.store_id == store.id, Template.name == flow.template,
        Template.status == "APPROVED"))}
    if not templates:
        log.info("store %s has no approved %s template: its price drops go unannounced",
                 store.id, flow.template)
        return 0
    currency = _currency(row, store)
    rows: list[dict[str, Any]] = []
    alert_ids: dict[str, int] = {}
    for customer, subscription_id in _recipients(session, store, row.variant_id, now):
        if _told_recently(session, store.id, row.variant_id, customer.id, now):
            continue
        token = secrets.token_urlsafe(16)
        alert_id = insert_ignore(session, PriceDropAlert, {
            "store_id": store.id, "customer_id": customer.id, "variant_id": row.variant_id,
            "repeat_window": price_drops.window_of(now), "subscription_id": subscription_id,
            "link_token": token, "old_price": str(old), "new_price": str(new),
            "currency": currency, "created_at": now},
            ("store_id", "customer_id", "variant_id", "repeat_window"))
        if alert_id is None:
            continue  # another event wrote it a moment ago
        message = _message(store, row, flow, templates, customer, token=token, old=old, new=new,
                           currency=currency, cause=price_drops.cause(
                               alert_id, subscribed=subscription_id is not None))
        rows.append(message)
        alert_ids[message["cause"]] = alert_id
    ids = outbox.write_many(session, rows)
    if ids:
        session.execute(update(_ALERTS).where(_ALERTS.c.id == bindparam("alert"))
                        .values(message_id=bindparam("message")),
                        [{"alert": alert_ids[c], "message": m} for c, m in ids.items()])
    for message in rows:
        if message["state"] == MessageState.PENDING.value:
            enqueue_after_commit(session, Job.SEND_MESSAGE, ids[message["cause"]],
                                 int(flow.delay_seconds or 0))
    return len(rows)


def _recipients(session: Session, store: Store, variant_id: str,
                now: datetime) -> list[tuple[Customer, int | None]]:
    """The variant's confirmed, unexpired price-drop subscribers (with their subscription),
    then the shoppers with it in an open cart who did not subscribe; each customer once."""
    chosen: dict[int, tuple[Customer, int | None]] = {}
    for customer, subscription_id in session.execute(
            select(Customer, AlertSubscription.id)
            .join(AlertSubscription, AlertSubscription.customer_id == Customer.id)
            .where(AlertSubscription.store_id == store.id,
                   AlertSubscription.variant_id == variant_id,
                   AlertSubscription.kind == AlertKind.PRICE_DROP.value,
                   AlertSubscription.state == AlertState.WAITING.value,
                   AlertSubscription.expires_at > now)
            .order_by(AlertSubscription.created_at, AlertSubscription.id)).all():
        chosen.setdefault(customer.id, (customer, subscription_id))
    for checkout in _open_carts(session, store.id, variant_id, now):
        shopper = _cart_customer(session, store, checkout)
        if shopper is not None:
            chosen.setdefault(shopper.id, (shopper, None))
    return list(chosen.values())


def _open_carts(session: Session, store_id: int, variant_id: str,
                now: datetime) -> list[Checkout]:
    """The store's open carts (not completed, not ordered, touched recently, with a phone)
    holding the variant. Cart lines are JSON, so the variant is matched here, not in SQL:
    the store-and-phone index narrows it to carts we could message at all."""
    carts = session.scalars(select(Checkout).where(
        Checkout.store_id == store_id, Checkout.completed_at.is_(None),
        Checkout.order_id.is_(None), Checkout.phone_e164.is_not(None),
        Checkout.updated_at >= now - OPEN_CART_AGE))
    return [c for c in carts if any(isinstance(line, dict) and
                                    str(line.get("variant_id") or "") == variant_id
                                    for line in c.items or ())]


def _cart_customer(session: Session, store: Store, checkout: Checkout) -> Customer | None:
    """The cart's customer, else the store's customer with its phone, else one made for
    that phone as cart recovery makes it (consent, caps and the window live on it)."""
    if checkout.customer_id is not None:
        found = session.get(Customer, checkout.customer_id)
        if found is not None:
            return found
    by_phone = session.scalars(select(Customer).where(
        Customer.store_id == store.id, Customer.phone_e164 == checkout.phone_e164)
        .order_by(Customer.id)).first()
    if by_phone is not None:
        return by_phone
    return consent_log.upsert_customer(session, store, CustomerRef(
        platform_id="", first_name=checkout.first_name, phone=checkout.phone_e164,
        email=checkout.email, locale=checkout.locale))


def _told_recently(session: Session, store_id: int, variant_id: str, customer_id: int,
                   now: datetime) -> bool:
    return session.scalar(select(PriceDropAlert.id).where(
        PriceDropAlert.store_id == store_id, PriceDropAlert.variant_id == variant_id,
        PriceDropAlert.customer_id == customer_id,
        PriceDropAlert.created_at > now - price_drops.REPEAT_WINDOW).limit(1)) is not None


def _currency(row: CatalogItem, store: Store) -> str:
    """The variant's currency as the catalog row records it ("20.00 EUR"), else the store's."""
    parts = str((row.data or {}).get("price") or "").split(" ")
    return parts[1] if len(parts) == 2 and len(parts[1]) == 3 else (store.currency or "")


def _message(store: Store, row: CatalogItem, flow: Automation, templates: dict[str, Template],
             customer: Customer, *, token: str, old: Decimal, new: Decimal, currency: str,
             cause: str) -> dict[str, Any]:
    """One alert as an outbox row: the flow's template in the shopper's language, its
    blanks filled as the flow maps them (prices written as that language writes money),
    the button's {{1}} the alert's token; due after the flow's delay."""
    name = flow.template
    language = choose_language(name, [customer.locale, store.locale],
                               {(name, lang) for lang in templates}, flow.language)
    template = templates[language]
    data = row.data or {}
    header = []
    if _header_format(template) == "IMAGE" and data.get("image_link"):
        header = [{"type": "image", "image": {"link": data["image_link"]}}]
    body = flows.body(flow, {
        "first_name": first_name_or_fallback(customer.first_name or "", language),
        "product_title": product_label(row.title) or row.variant_id,
        "old_price": format_money(old, currency, language),
        "new_price": format_money(new, currency, language)})
    button = {"type": "button", "sub_type": "url", "index": "0",
              "parameters": [{"type": "text", "text": token}]}
    names = tuple(flow.variables or ()) if template.parameter_format == "NAMED" else ()
    phone = customer.phone_e164 or ""
    state, reason = MessageState.PENDING.value, None
    try:
        payload = messages.template(wa_recipient(phone) if phone else None, name, language,
                                    header=header, body=body, buttons=[button],
                                    parameter_names=names)
    except messages.MessageLimitError as error:
        payload, state = {}, MessageState.SKIPPED.value
        reason = f"not sent: the message breaks a WhatsApp limit ({error})"[:255]
    delay = int(flow.delay_seconds or 0)
    return {"store_id": store.id, "customer_id": customer.id, "cause": cause,
            "step": price_drops.STEP, "to": phone, "template": name,
            "payload": payload, "state": state, "reason": reason,
            "not_before": db.utcnow() + timedelta(seconds=delay) if delay else None}


def _header_format(template: Template) -> str:
    for component in template.components or []:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == "HEADER":
            return str(component.get("format", "")).upper()
    return ""
