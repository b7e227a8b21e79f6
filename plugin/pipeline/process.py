"""The process job: turn one stored inbound event into snapshots and outbox rows, once."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from adapters import demo
from adapters.shopify import webhooks as shopify
from adapters.whatsapp import notifications as whatsapp_webhook
from adapters.woocommerce import webhooks as woocommerce
from plugin.domain.errors import PayloadError
from plugin.domain.events import (
    CheckoutEvent,
    ComplianceEvent,
    CustomerEvent,
    DomainEvent,
    ExportFinished,
    OrderEvent,
    ProductEvent,
    StockEvent,
    StoreEvent,
)
from plugin.infra import db
from plugin.infra.leases import claim_event
from plugin.models import EventState, InboundEvent, Store
from plugin.pipeline import checkouts, consent_log
from plugin.pipeline.alerts import release as alert_release
from plugin.pipeline.catalog import full_sync as catalog_full_sync
from plugin.pipeline.catalog import product_reads
from plugin.pipeline.compliance import REDACTED_BODY, apply_compliance_event
from plugin.pipeline.conversations import apply_notification
from plugin.pipeline.orders import apply_order_event
from plugin.pipeline.store_events import apply_store_event

log = logging.getLogger(__name__)

# After this many failed attempts an event is parked as failed for a person to look at.
MAX_EVENT_ATTEMPTS = 5

Parser = Callable[[str, bytes], DomainEvent | None]
# What to do with each kind of domain event; kinds without an entry are recorded as
# processed and wait for the features that use them (catalog, abandoned carts, …).
Applier = Callable[[Session, Store, Any], list[tuple[int, int]]]
APPLIERS: dict[type, Applier] = {
    OrderEvent: apply_order_event,
    CheckoutEvent: checkouts.apply_checkout_event,
    StoreEvent: apply_store_event,
    CustomerEvent: consent_log.apply_customer_event,
    # The catalog's appliers, then the back-in-stock alerts they may release.
    ProductEvent: alert_release.apply_product_event,
    StockEvent: alert_release.apply_stock_event,
    ExportFinished: catalog_full_sync.apply_export_finished,
}

# source → the adapter function that reads its payloads. Each platform issue adds its own.
PARSERS: dict[str, Parser] = {
    "demo": demo.parse_event,
    "shopify": shopify.parse_event,
    "woocommerce": woocommerce.parse_event,
}


def process_event(event_id: int) -> None:
    """Process an inbound event if it is pending and unclaimed; re-running changes nothing."""
    settings = current_app.config["STORECHAT"]
    with db.transaction() as session:
        if not claim_event(session, event_id, db.utcnow(), settings.lease_seconds):
            return
    try:
        # The appliers queue their new messages' sends for after this commit.
        with db.transaction() as session:
            _apply(session, event_id)
    except PayloadError as exc:  # this payload will never parse: retrying cannot help
        _finish(event_id, EventState.FAILED, str(exc))
        return
    except Exception as exc:
        log.exception("processing event %s failed", event_id)
        _give_back(event_id, f"{exc.__class__.__name__}: {exc}")


def _apply(session: Session, event_id: int) -> list[tuple[int, int]]:
    event = session.get(InboundEvent, event_id)
    if event.source == "whatsapp":
        # One Meta delivery batches many updates for many numbers and stores.
        apply_notification(session, whatsapp_webhook.parse_notification(event.body))
        _mark(session, event_id, EventState.PROCESSED, None)
        return []
    parser = PARSERS.get(event.source)
    domain_event = parser(event.topic, event.body) if parser else None
    store = session.get(Store, event.store_id) if event.store_id else None
    if isinstance(domain_event, ComplianceEvent):
        # Privacy requests are honoured even for a shop we no longer know, and their own
        # payload (which names the person) is erased with the rest.
        apply_compliance_event(session, store, domain_event)
        event.body = REDACTED_BODY
        _mark(session, event_id, EventState.PROCESSED, None)
        return []
    if domain_event is None or store is None:
        # Unknown topics are stored and ignored, as promised to the platforms.
        _mark(session, event_id, EventState.IGNORED, None)
        return []
    if isinstance(domain_event, ProductEvent) and product_reads.reads_back(store, domain_event):
        # The body does not hold the whole product: its own job reads it from the store.
        product_reads.read_back_later(session, event_id)
        _mark(session, event_id, EventState.PROCESSED, None)
        return []
    applier = APPLIERS.get(type(domain_event))
    new_messages = applier(session, store, domain_event) if applier else []
    # The checkout consent box rides on cart and order deliveries of the companion plugin.
    consent_log.apply_delivery_consent(session, store, event, domain_event)
    _mark(session, event_id, EventState.PROCESSED, None)
    return new_messages


def _mark(session: Session, event_id: int, state: EventState, error: str | None) -> None:
    session.execute(
        update(InboundEvent)
        .where(InboundEvent.id == event_id, InboundEvent.state == EventState.PROCESSING.value)
        .values(state=state.value, error=error and error[:500], lease_until=None,
                processed_at=db.utcnow())
    )


def _finish(event_id: int, state: EventState, error: str) -> None:
    with db.transaction() as session:
        _mark(session, event_id, state, error)


def _give_back(event_id: int, error: str) -> None:
    """Return a failed event to pending for the sweeper, or park it after too many tries."""
    with db.transaction() as session:
        event = session.get(InboundEvent, event_id)
        if event is None or event.state != EventState.PROCESSING.value:
            return
        if event.attempts >= MAX_EVENT_ATTEMPTS:
            _mark(session, event_id, EventState.FAILED, error)
        else:
            event.state = EventState.PENDING.value
            event.lease_until = None
            event.error = error[:500]
