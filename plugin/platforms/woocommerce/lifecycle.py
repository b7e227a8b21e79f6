"""A connected WooCommerce store's life: set up once its keys arrive, and disconnected.

Setting up verifies the keys, keeps the store's currency, name and timezone, starts the
reconciliation cursor and provisions the webhooks; disconnecting deletes the webhooks and
forgets the keys. Both are safe to run twice.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from adapters.woocommerce.client import WooClient, WooError
from plugin.infra import db
from plugin.models import Store, StoreStatus
from plugin.platforms.woocommerce import provision, sites

log = logging.getLogger(__name__)


def setup(store_id: int) -> None:
    """Job: verify fresh keys with system_status, keep currency/timezone/version, then
    provision the webhooks and start the reconciliation cursor. Safe to run twice."""
    def work(store: Store, api: WooClient) -> None:
        status = api.system_status()
        try:
            site = api.site_info()
        except WooError:
            site = None  # the index is only for the name and timezone; not worth failing
        with db.transaction() as tx:
            row = tx.get(Store, store_id)
            if row is None:
                return
            row.currency = status.currency[:3] or row.currency
            if site is not None:
                row.name = site.name[:255] or row.name
                row.timezone = site.timezone[:64] or row.timezone
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        # Reconciliation starts from the store's newest change, on the store's own clock:
        # history before the connection is not replayed as new events.
        newest = api.get("orders", {"orderby": "modified", "order": "desc", "per_page": 1,
                                    "dates_are_gmt": "true"})
        start = str(newest[0].get("date_modified_gmt") or "") if newest else ""

        def remember(values: dict[str, Any]) -> None:
            values.update(wc_version=status.wc_version, verified_at=now)
            if start:
                values.setdefault("last_modified_gmt", start)

        sites.update_credentials(store_id, remember)
        provision.provision(store_id, api)

    try:
        sites.with_client(store_id, work)
    except WooError as error:
        # Unavailable or refused: the reconciliation retries provisioning on its cadence.
        log.warning("woocommerce: setting up store %s failed: %s", store_id, error)


def disconnect(store_id: int) -> None:
    """Delete our webhooks from the store (force=true), forget its keys, mark it uninstalled."""
    try:
        sites.with_client(store_id, lambda store, api: provision.remove(store_id, api))
    except WooError as error:
        log.warning("woocommerce: could not delete the webhooks of store %s: %s", store_id, error)
    for name in ("consumer_key", "consumer_secret", "key_id", "webhooks"):
        sites.update_credentials(store_id, lambda v, n=name: v.pop(n, None))
    sites.set_status(store_id, StoreStatus.UNINSTALLED)
