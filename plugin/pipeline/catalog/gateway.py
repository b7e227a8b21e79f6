"""The catalog gateway: what the sync asks of a store's Meta catalog, and which one a store
has. The Cloud API adapter (adapters.whatsapp.catalog.CatalogApi, token bound) answers for a
number with a WhatsApp token; the sandbox catalog answers in process for everyone else.

Gateways are called outside any open transaction: they do network (or their own) I/O, and
an SQLite write lock must never be held across them.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.whatsapp.catalog import CatalogApi
from plugin.domain.catalog_batches import BatchStatus, ItemRequest, RemoteItem, SentBatch
from plugin.models import Store, WhatsAppAccount
from plugin.pipeline.catalog.sandbox import SandboxCatalog
from plugin.pipeline.transports import cloud_client

# The catalog id of a store's sandbox catalog starts with this (then the store id).
SANDBOX_PREFIX = "sandbox-"

__all__ = ["SANDBOX_PREFIX", "CatalogGateway", "CloudCatalog", "SandboxCatalog", "account_for",
           "cloud_catalog", "for_store", "has_catalog", "sandbox_catalog_id"]


class CatalogGateway(Protocol):
    """One connected catalog, its access already bound."""

    catalog_id: str

    def items_batch(self, catalog_id: str, requests: Sequence[ItemRequest]) -> SentBatch:
        """Send one items_batch call; return Meta's handle and the items refused at once.
        Raises CatalogError (CatalogThrottled to wait)."""

    def batch_status(self, catalog_id: str, handle: str) -> BatchStatus:
        """Meta's verdict on a batch so far. Raises CatalogError (CatalogThrottled)."""

    def list_items(self, catalog_id: str,
                   after: str | None) -> tuple[list[RemoteItem], str | None]:
        """One page of the catalog's items and the cursor of the next (None at the end)."""


def sandbox_catalog_id(store: Store) -> str:
    """The id of the store's sandbox catalog."""
    return f"{SANDBOX_PREFIX}{store.id}"


def account_for(session: Session, store: Store) -> WhatsAppAccount | None:
    """The store's WhatsApp number (the first connected), which holds its catalog."""
    return session.scalars(select(WhatsAppAccount).where(WhatsAppAccount.store_id == store.id)
                           .order_by(WhatsAppAccount.id).limit(1)).first()


def for_store(session: Session, store: Store) -> CatalogGateway | None:
    """The store's connected catalog, or None when it has none (then nothing is sent).

    A number with a token and a catalog id → Meta (cloud_catalog); a number without a token
    whose catalog was connected in the sandbox → the sandbox catalog; the demo store always
    has its sandbox catalog, so a newcomer sees the whole flow with no Meta account.
    """
    account = account_for(session, store)
    if account is not None and account.catalog_id:
        if account.access_token and not account.catalog_id.startswith(SANDBOX_PREFIX):
            return cloud_catalog(account)
        return SandboxCatalog(account.catalog_id)
    if store.platform == "demo":
        return SandboxCatalog(sandbox_catalog_id(store))
    return None


def has_catalog(session: Session, store: Store) -> bool:
    """Whether the store has a catalog connected (without building its gateway)."""
    if store.platform == "demo":
        return True
    account = account_for(session, store)
    return account is not None and bool(account.catalog_id)


def cloud_catalog(account: WhatsAppAccount) -> CatalogGateway:
    """Meta's catalog for a number with a token, over this process's pooled Cloud client."""
    assert account.access_token and account.catalog_id
    return CloudCatalog(CatalogApi(cloud_client()), account.catalog_id, account.access_token)


class CloudCatalog:
    """A Meta catalog, its number's token bound (adapters.whatsapp.catalog does the calls)."""

    def __init__(self, api: CatalogApi, catalog_id: str, token: str) -> None:
        self._api = api
        self._token = token
        self.catalog_id = catalog_id

    def items_batch(self, catalog_id: str, requests: Sequence[ItemRequest]) -> SentBatch:
        """As CatalogGateway.items_batch: Meta validates each item as it takes the call."""
        handle, problems = self._api.items_batch_checked(catalog_id, self._token, requests)
        return SentBatch(handle, problems)

    def batch_status(self, catalog_id: str, handle: str) -> BatchStatus:
        """As CatalogGateway.batch_status."""
        return self._api.batch_status(catalog_id, self._token, handle)

    def list_items(self, catalog_id: str,
                   after: str | None) -> tuple[list[RemoteItem], str | None]:
        """As CatalogGateway.list_items."""
        return self._api.list_items(catalog_id, self._token, after)
