"""A shop's Admin API tokens: got by token exchange, stored encrypted, refreshed in time.

Expiring offline tokens last an hour; their refresh token lasts 90 days and works once
(each refresh returns a new one). So exactly one worker may refresh a shop at a time: it
claims a short lease on the store row with one conditional UPDATE (atomic on SQLite and
PostgreSQL alike), refreshes, saves the rotated pair and drops the lease. Other workers
wait for the new token instead of spending the refresh token a second time.
"""
from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from shopify_app import IdTokenDetails, Res, ShopifyApp, TokenExchangeResult
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from plugin.domain.errors import ShopifyError
from plugin.infra import db
from plugin.models import Store
from plugin.models.stores import StoreStatus
from plugin.platforms.shopify import client
from plugin.platforms.stores import credentials, set_credentials

log = logging.getLogger(__name__)

# Refresh this long before the access token runs out (shopifyapp itself uses 60 s).
REFRESH_MARGIN = timedelta(seconds=120)
# How long one worker may hold the refresh lease: longer than a refresh with its retries.
LEASE_SECONDS = 60
# How long another worker waits for that refresh, and how often it looks.
WAIT_SECONDS = 20.0
POLL_SECONDS = 0.05


class TokenError(ShopifyError):
    """No usable access token for the shop."""


class ReconnectNeeded(TokenError):
    """The shop must open StoreChat again (or reinstall): its grant is gone."""


class TokenUnavailable(TokenError):
    """Shopify could not refresh the token just now; try again later."""


def verifier(app: Flask | None = None) -> ShopifyApp:
    """The app's shopifyapp instance; TokenError when Shopify is not configured."""
    found = (app or current_app).extensions.get("storechat.shopify")
    if found is None:
        raise TokenError("Shopify is not configured (SHOPIFY_API_KEY, SHOPIFY_API_SECRET)")
    return found


def shop_name(domain: str) -> str:
    """`acme` for `acme.myshopify.com`, as shopifyapp names shops."""
    return domain.removesuffix(".myshopify.com")


def exchange(id_token: IdTokenDetails, invalid_token_response: Res | None) -> TokenExchangeResult:
    """Trade a verified App Home ID token for an expiring offline token (shopifyapp)."""
    return verifier().exchange_using_token_exchange(
        "offline", id_token=id_token, invalid_token_response=invalid_token_response,
        expiring=True, http_client=client.http())


def save_grant(store: Store, grant: Any) -> None:
    """Store an access token (+ refresh token) and their expiry times; reactivates the store.

    `grant` is shopifyapp's TokenExchangeAccessToken or a dict with the same names.
    """
    get = grant.get if isinstance(grant, dict) else lambda name: getattr(grant, name, None)
    values = dict(credentials(store))
    values.update(access_token=get("token"), refresh_token=get("refresh_token"),
                  scope=get("scope") or "")
    set_credentials(store, values)
    store.access_expires_at = parse_expiry(get("expires"))
    store.refresh_expires_at = parse_expiry(get("refresh_token_expires"))
    store.token_lease_until = None
    store.status = StoreStatus.ACTIVE.value
    store.uninstalled_at = None


def parse_expiry(value: Any) -> datetime | None:
    """shopifyapp's "2025-01-01T00:00:00Z" (or a datetime) as naive UTC; None when absent."""
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def access_token(store_id: int) -> str:
    """A valid access token for the store, refreshed first when it is close to expiry."""
    return _obtain(store_id, stale=None)


def refreshed(store_id: int, stale: str) -> str:
    """A token other than `stale`, which Shopify just refused (401): refresh once."""
    return _obtain(store_id, stale=stale)


class StoreTokens:
    """adapters.shopify.admin.TokenSource for one store (needs an app context)."""

    def __init__(self, store_id: int) -> None:
        self.store_id = store_id

    def current(self) -> str:
        """A token believed valid."""
        return access_token(self.store_id)

    def refreshed(self, stale: str) -> str:
        """A token other than `stale`."""
        return refreshed(self.store_id, stale)


def _obtain(store_id: int, stale: str | None) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        now = db.utcnow()
        with db.transaction() as tx:
            store = _usable_store(tx, store_id)
            values = credentials(store)
            token = str(values.get("access_token") or "")
            if token and token != stale and not _due(store, now):
                return token
            renewable = bool(values.get("refresh_token"))
            if renewable:
                claimed = _claim(tx, store_id, now, now + timedelta(seconds=LEASE_SECONDS),
                                 seen_expiry=store.access_expires_at)
            else:
                # A non-expiring token that Shopify refuses cannot be renewed from here.
                store.status = StoreStatus.RECONNECT_NEEDED.value
        if not renewable:
            raise ReconnectNeeded("the access token was refused and cannot be refreshed")
        if claimed:
            return _refresh(store_id)
        if time.monotonic() > deadline:
            raise TokenUnavailable("another worker is still refreshing this shop's token")
        time.sleep(POLL_SECONDS)


def _usable_store(tx: Session, store_id: int) -> Store:
    store = tx.get(Store, store_id, populate_existing=True)
    if store is None or store.platform != "shopify":
        raise TokenError(f"store {store_id} is not a Shopify store")
    if store.status != StoreStatus.ACTIVE.value:
        raise ReconnectNeeded(f"{store.domain} is {store.status}")
    return store


def _due(store: Store, now: datetime) -> bool:
    expires = store.access_expires_at
    return expires is not None and expires - REFRESH_MARGIN <= now


def _claim(tx: Session, store_id: int, now: datetime, lease: datetime,
           seen_expiry: datetime | None) -> bool:
    # Only while the token is still the one just read: another worker may have refreshed it
    # and dropped its lease between that read and this update, and a second refresh would
    # spend the rotated refresh token Shopify has just replaced.
    same_token = (Store.access_expires_at.is_(None) if seen_expiry is None
                  else Store.access_expires_at == seen_expiry)
    statement = (
        update(Store)
        .where(Store.id == store_id, same_token,
               or_(Store.token_lease_until.is_(None), Store.token_lease_until < now))
        .values(token_lease_until=lease)
        .execution_options(synchronize_session=False)
    )
    return tx.execute(statement).rowcount == 1


def _refresh(store_id: int) -> str:
    """Refresh under our lease; save the rotated pair, or mark the store, and drop the lease."""
    try:
        with db.transaction() as tx:
            store = tx.get(Store, store_id, populate_existing=True)
            assert store is not None
            values = credentials(store)
            grant = {"shop": shop_name(store.domain), "access_mode": "offline",
                     "refresh_token": values.get("refresh_token"),
                     # "" makes shopifyapp refresh now: we have decided that it is due.
                     "expires": "",
                     "refresh_token_expires": _iso(store.refresh_expires_at)}
        result = verifier().refresh_token_exchanged_access_token(grant, http_client=client.http())
    except BaseException:
        _release(store_id)
        raise
    with db.transaction() as tx:
        store = tx.get(Store, store_id, populate_existing=True)
        assert store is not None
        if result.ok and result.access_token is not None:
            save_grant(store, result.access_token)
            log.info("shopify: refreshed the access token of %s", store.domain)
            return result.access_token.token
        store.token_lease_until = None
        if result.log.code in ("invalid_grant", "refresh_token_expired"):
            store.status = StoreStatus.RECONNECT_NEEDED.value
            log.warning("shopify: %s must reconnect (%s)", store.domain, result.log.code)
            failure: TokenError = ReconnectNeeded(
                f"{store.domain} must open StoreChat from its Shopify admin again")
        else:
            failure = TokenUnavailable(f"refresh failed: {result.log.code}")
    raise failure


def _release(store_id: int) -> None:
    with db.transaction() as tx:
        tx.execute(update(Store).where(Store.id == store_id).values(token_lease_until=None)
                   .execution_options(synchronize_session=False))


def _iso(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def find_store(session: Session, domain: str) -> Store | None:
    """The Shopify store with this domain, or None."""
    return session.scalars(select(Store).where(Store.platform == "shopify",
                                               Store.domain == domain)
                           .order_by(Store.id)).first()
