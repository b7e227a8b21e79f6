"""Copying a customer's tags to their store platform, when the owner turned it on
(TagSettings.write_back): Shopify customer tags through GraphQL `tagsAdd` / `tagsRemove`,
WooCommerce customer meta through REST `PUT customers/<id>`.

One job per customer whose tags changed (Job.CUSTOMER_TAGS), run after the change commits.
The job reads the tags as they are when it runs, so a retried or late job writes the newest
state, never an old one. Guests (no platform customer record) are skipped.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from adapters.shopify.admin import AdminClient
from plugin.domain.customer_tags import AUTOMATIC
from plugin.infra import db, queue
from plugin.models import Customer, Store, TagSettings
from plugin.pipeline.store_gateway import PLATFORMS, StoreOrder, call_store

log = logging.getLogger(__name__)

# Shopify: our tags carry this prefix, so they never collide with the merchant's own and
# removing a lapsed automatic tag never removes one of theirs.
SHOPIFY_PREFIX = "storechat:"
# WooCommerce: the customer meta key holding the tags, comma-separated (no leading '_':
# WooCommerce's REST API does not write protected meta).
WOO_META_KEY = "storechat_tags"


@dataclass(frozen=True, slots=True)
class _Target:
    store: StoreOrder
    customer_id: str
    tags: list[str]


def enqueue(session: Session, store_id: int, customer_ids: list[int]) -> None:
    """Queue a write-back for each customer once the transaction commits, if the store's
    owner turned write-back on."""
    settings = session.get(TagSettings, store_id)
    if settings is None or not settings.write_back:
        return
    for customer_id in customer_ids:
        queue.enqueue_after_commit(session, queue.Job.CUSTOMER_TAGS, customer_id)


def write_back(customer_id: int) -> None:
    """The job: write the customer's current tags to their platform record."""
    target = _target(customer_id)
    if target is None:
        return
    ran = call_store(target.store,
                     shopify=lambda admin: _shopify(admin, target),
                     woocommerce=lambda api: api.put(
                         f"customers/{target.customer_id}",
                         {"meta_data": [{"key": WOO_META_KEY,
                                         "value": ",".join(target.tags)}]}))
    if not ran:
        log.info("tags of customer %s were not written to store %s", customer_id,
                 target.store.store_id)


def _shopify(admin: AdminClient, target: _Target) -> None:
    gid = f"gid://shopify/Customer/{target.customer_id}"
    if target.tags:
        admin.add_tags(gid, [SHOPIFY_PREFIX + tag for tag in target.tags])
    lapsed = [SHOPIFY_PREFIX + tag for tag in AUTOMATIC if tag not in target.tags]
    admin.remove_tags(gid, lapsed)


def _target(customer_id: int) -> _Target | None:
    with db.transaction() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            return None
        settings = session.get(TagSettings, customer.store_id)
        store = session.get(Store, customer.store_id)
        if settings is None or not settings.write_back or store is None \
                or store.platform not in PLATFORMS or not customer.platform_id.isdigit():
            return None  # turned off since, another platform, or a guest
        about = StoreOrder(store_id=store.id, platform=store.platform, domain=store.domain,
                           order_id=f"customer {customer.platform_id}")
        return _Target(about, customer.platform_id,
                       sorted({str(t) for t in customer.tags or []}))
