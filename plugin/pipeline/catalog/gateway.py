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

from plugin.domain.catalog_batches import BatchStatus, ItemRequest, RemoteItem
from plugin.domain.errors import CatalogError
from plugin.models import Store, WhatsAppAccount
from plugin.pipeline.catalog.sandbox import SandboxCatalog

# The catalog id of a store's sandbox catalog starts with this (then the store id).
SANDBOX_PREFIX = "sandbox-"

__all__ = ["SANDBOX_PREFIX", "CatalogGateway", "SandboxCatalog", "account_for", "cloud_catalog",
           "for_store", "has_catalog", "sandbox_catalog_id"]


class CatalogGateway(Protocol):
    """One connected catalog, its access already bound."""

    catalog_id: str

    def items_batch(self, catalog_id: str, requests: Sequence[ItemRequest]) -> str:
        """Send one items_batch call; return Meta's handle. Raises CatalogError
        (CatalogThrottled to wait)."""

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
    """Meta's catalog for a number with a token: the coordinator binds
    adapters.whatsapp.catalog.CatalogApi (pooled client, account.access_token) here."""
    raise CatalogError("cloud catalog not wired")
