"""Connecting a Shopify store: save its grant, then learn its name, currency and so on."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import current_app

from adapters.shopify.admin import AdminClient, AdminError
from plugin.infra import db
from plugin.models import Store
from plugin.platforms import starters
from plugin.platforms.shopify import client, tokens

log = logging.getLogger(__name__)


def admin_client(store_id: int, domain: str,
                 sleep: Callable[[float], None] = time.sleep) -> AdminClient:
    """The Admin GraphQL client of one store, with tokens refreshed as needed."""
    settings = current_app.config["STORECHAT"]
    endpoint = (f"{client.admin_base(settings.shopify_admin_url, domain)}"
                f"/admin/api/{settings.shopify_api_version}/graphql.json")
    return AdminClient(client.http(), endpoint, tokens.StoreTokens(store_id), sleep=sleep)


def connect(domain: str, grant: Any, owner_id: int | None = None) -> int:
    """Create or update the store for `domain` with a fresh grant; returns its id."""
    with db.transaction() as tx:
        store = tokens.find_store(tx, domain)
        if store is None:
            store = Store(platform="shopify", domain=domain, name=domain.split(".")[0])
            tx.add(store)
        if owner_id is not None and store.owner_id is None:
            store.owner_id = owner_id
        tokens.save_grant(store, grant)
        tx.flush()
        starters.install_starters(tx, store)
        return store.id


def publish_widget_keys(store_id: int, domain: str) -> bool:
    """Give the theme's app embed this store's key and StoreChat's URL (app-owned
    metafields), so the owner only switches it on; False if Shopify failed."""
    settings = current_app.config["STORECHAT"]
    with db.transaction() as tx:
        store = tx.get(Store, store_id)
        key = store.key if store is not None else None
    if key is None:
        return False
    try:
        admin_client(store_id, domain).set_app_metafields(
            "storechat", {"store_key": key, "widget_url": settings.public_url.rstrip("/")})
    except (AdminError, tokens.TokenError) as error:
        log.warning("shopify: could not publish the widget keys of %s: %s", domain, error)
        return False
    return True


def refresh_shop_info(store_id: int, domain: str) -> bool:
    """Copy the shop's name, currency, country, timezone and locale; False if Shopify failed."""
    try:
        info = admin_client(store_id, domain).shop_info()
    except (AdminError, tokens.TokenError) as error:
        log.warning("shopify: could not read shop info of %s: %s", domain, error)
        return False
    with db.transaction() as tx:
        store = tx.get(Store, store_id)
        if store is None:
            return False
        store.name = info.name or store.name
        store.currency = info.currency[:3] or None
        store.country = info.country[:2] or None
        store.timezone = info.timezone or None
        store.locale = info.locale[:16] or None
    return True
