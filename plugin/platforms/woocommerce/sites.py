"""A connected WooCommerce store: its keys (encrypted), its REST client, its status.

Network calls never run inside a database transaction: a slow store must not hold a lock.
Credentials are changed with `update_credentials`, which re-reads them in the writing
transaction, so two jobs changing different fields do not undo each other.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.woocommerce.client import AddressRefused, Unauthorized, WooClient
from plugin.domain.errors import StoreConnectError
from plugin.infra import db
from plugin.models import Store, StoreStatus
from plugin.pipeline.recovery import stops as recovery_stops
from plugin.platforms import starters
from plugin.platforms.stores import credentials, set_credentials
from plugin.platforms.woocommerce import egress, urls

log = logging.getLogger(__name__)
T = TypeVar("T")
PLATFORM = "woocommerce"


def find(session: Session, domain: str) -> Store | None:
    """The WooCommerce store at this normalised URL, if StoreChat knows it."""
    return session.scalars(select(Store).where(Store.platform == PLATFORM,
                                               Store.domain == domain)
                           .order_by(Store.id)).first()


def save_keys(owner_id: int, domain: str, keys: dict[str, Any]) -> int:
    """Create or update the owner's store at `domain` with fresh API keys; its id."""
    with db.transaction() as tx:
        store = find(tx, domain)
        if store is not None and store.owner_id not in (None, owner_id):
            raise StoreConnectError("This store is connected to another StoreChat account.")
        if store is None:
            store = Store(platform=PLATFORM, domain=domain, owner_id=owner_id,
                          name=urlsplit(domain).hostname or domain)
            tx.add(store)
        store.owner_id = owner_id
        store.status = StoreStatus.ACTIVE.value
        store.uninstalled_at = None
        values = credentials(store)
        values.update(consumer_key=str(keys["consumer_key"]),
                      consumer_secret=str(keys["consumer_secret"]),
                      key_id=keys.get("key_id"), query_string_auth=False,
                      key_permissions=str(keys.get("key_permissions") or "read_write"))
        values.pop("problem", None)  # fresh keys: a new chance
        values.setdefault("connection_secret", secrets.token_urlsafe(32))
        values.setdefault("webhooks", {})
        set_credentials(store, values)
        tx.flush()
        starters.install_starters(tx, store)
        return store.id


def update_credentials(store_id: int, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply `change` to the store's current credentials and save them."""
    with db.transaction() as tx:
        store = tx.get(Store, store_id)
        if store is None:
            return
        values = credentials(store)
        change(values)
        set_credentials(store, values)
    # This process's receiver caches credentials (plugin.platforms.stores.webhook_target); a new
    # webhook secret must count at once, or the first delivery would be refused.
    current_app.extensions.get("storechat.webhook_targets", {}).pop(
        (_key_of(store_id), PLATFORM), None)


def _key_of(store_id: int) -> str:
    return db.session().scalar(select(Store.key).where(Store.id == store_id)) or ""


def client(store: Store) -> WooClient:
    """The REST client of a store, in the auth mode it needs; StoreUrlError if not public.

    Its connections are checked again where they land (egress): DNS may have changed since.
    """
    settings = current_app.config["STORECHAT"]
    urls.check_public(store.domain, allow_private=settings.allow_http_stores)
    values = credentials(store)
    return WooClient(store.domain, str(values.get("consumer_key", "")),
                     str(values.get("consumer_secret", "")),
                     query_string_auth=bool(values.get("query_string_auth")),
                     session=egress.session(allow_private=settings.allow_http_stores))


def problem(store: Store) -> str:
    """Why StoreChat stopped calling this store, in words for its owner ("" when none)."""
    return str(credentials(store).get("problem") or "")


def calling(store: Store) -> AbstractContextManager[WooClient]:
    """The store's client for a block of calls: closed after it; a switch to query-string
    auth remembered; the store marked reconnect-needed when its keys are refused or its
    address is (the reason kept for the owner), the error raised on to the caller."""
    return _guarded(store, client(store))


@contextmanager
def _guarded(store: Store, api: WooClient) -> Iterator[WooClient]:
    try:
        yield api
    except Unauthorized:
        set_status(store.id, StoreStatus.RECONNECT_NEEDED)
        raise
    except AddressRefused as error:
        _stop(store.id, str(error))
        raise
    finally:
        api.close()
        if api.auth_mode_changed:
            log.info("woocommerce: store %s needs query-string auth; remembered", store.id)
            update_credentials(store.id, lambda v: v.update(query_string_auth=True))


def with_client(store_id: int, work: Callable[[Store, WooClient], T]) -> T | None:
    """Run `work` with the store's client (see `calling`); None when it cannot run: the
    store is not active, its address does not resolve now, or the store refused us."""
    store = db.session().get(Store, store_id, populate_existing=True)
    if store is None or store.platform != PLATFORM or store.status != StoreStatus.ACTIVE.value:
        return None
    try:
        api = client(store)
    except urls.StoreUrlError as error:
        log.warning("woocommerce: store %s not called: %s", store_id, error)
        return None  # perhaps a passing DNS failure: try again next time
    try:
        with _guarded(store, api):
            return work(store, api)
    except Unauthorized as error:
        log.warning("woocommerce: store %s refused its keys: %s", store_id, error)
        return None
    except AddressRefused as error:
        log.warning("woocommerce: store %s not called: %s", store_id, error)
        return None


def _stop(store_id: int, reason: str) -> None:
    """Stop calling a store whose address StoreChat must not call; keep why, for its owner."""
    update_credentials(store_id, lambda values: values.update(problem=reason))
    set_status(store_id, StoreStatus.RECONNECT_NEEDED)


def set_status(store_id: int, status: StoreStatus) -> None:
    """Move the store to `status` (reconnect-needed, uninstalled…)."""
    with db.transaction() as tx:
        store = tx.get(Store, store_id)
        if store is not None:
            store.status = status.value
            if status is StoreStatus.UNINSTALLED:
                store.uninstalled_at = db.utcnow()
                recovery_stops.store_uninstalled(tx, store_id)
