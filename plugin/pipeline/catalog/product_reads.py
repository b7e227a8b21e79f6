"""A product webhook that names its product without all of it: the product is read again
from the store, as the full sync reads it, and its rows written from that.

WooCommerce's product.created / product.updated bodies give a variable product's
variations as ids only, and a variation's own delivery names just that variation; written
as they are, the variants would have no price (kept out, deleted from Meta) or a lone
variation would make its siblings look deleted. Reading the product back through the REST
API gives every variation whole and maps it exactly as a full sync does. The read is a job
of its own (keyed by the inbound event), so no network call runs inside the process job's
transaction.
"""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from adapters.woocommerce import webhooks as woocommerce_webhooks
from plugin.domain.errors import PayloadError
from plugin.domain.events import EventKind, ProductEvent
from plugin.infra import db
from plugin.infra.queue import Job, enqueue_after_commit
from plugin.models import InboundEvent, Store, StoreStatus
from plugin.pipeline import store_gateway
from plugin.pipeline.alerts import price_drops as alert_prices
from plugin.pipeline.alerts import release as alert_release
from plugin.pipeline.catalog.items import queue_send, upsert_product
from plugin.platforms.woocommerce import catalog_export as woocommerce_export

log = logging.getLogger(__name__)

# Platforms whose product webhooks are read back from the store instead of being written.
READ_BACK_PLATFORMS = frozenset({"woocommerce"})


def reads_back(store: Store, event: ProductEvent) -> bool:
    """Whether this product event is answered by reading the product from the store."""
    return store.platform in READ_BACK_PLATFORMS and event.kind == EventKind.PRODUCT_CHANGED


def read_back_later(session: Session, event_id: int) -> None:
    """Queue the read of the product that inbound event `event_id` names (after commit)."""
    enqueue_after_commit(session, Job.CATALOG_PRODUCT, event_id)


def read_back(event_id: int) -> None:
    """The CATALOG_PRODUCT job: read the event's product from its store and upsert its
    rows (debounced like any webhook). A product the store no longer has is left to its
    product.deleted; a store error that passes is raised for the queue to retry."""
    with db.transaction() as session:
        event = session.get(InboundEvent, event_id)
        store = session.get(Store, event.store_id) if event and event.store_id else None
        if event is None or store is None or store.status != StoreStatus.ACTIVE.value:
            return
        try:
            parsed = woocommerce_webhooks.parse_event(event.topic, event.body)
        except PayloadError:  # the body was emptied (retention) or never parsed
            return
        if not isinstance(parsed, ProductEvent):
            return
        session.expunge(store)
    read_at = db.utcnow()  # a delete recorded before this moment is older than the read
    try:
        product = woocommerce_export.read_product(store, parsed.product_id)
    except store_gateway.RETRYABLE_ERRORS:
        raise
    except store_gateway.PERMANENT_ERRORS as exc:
        log.warning("catalog: product %s of store %s could not be read: %s",
                    parsed.product_id, store.id, exc)
        return
    if product is None:
        return
    with db.transaction() as session:
        store = session.get(Store, store.id)
        before = alert_prices.prices_before(session, store, product)
        tally = upsert_product(session, store, product, db.utcnow(), read_at=read_at)
        # The read product carries the variations' stock and prices: back-in-stock and
        # price-drop alerts may go.
        alert_release.note_product(session, store, product)
        alert_prices.note_prices(session, store, product, before)
        if tally.changed or tally.deleted:
            queue_send(session, store)
