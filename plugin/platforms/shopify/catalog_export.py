"""A Shopify store's whole catalog without loading the store: a bulk operation that Shopify
runs on its side, finished by `bulk_operations/finish`, then its file read line by line.

The full sync calls `start_export` (keeps the id), waits for the webhook (or polls
`export_state`), then streams `read_export` into its own table. Nothing here writes the
database, and no network call runs inside a transaction of ours.
"""
from __future__ import annotations

from collections.abc import Iterator

import httpx
from flask import current_app
from sqlalchemy.orm import Session

from adapters.shopify import bulk
from adapters.shopify.admin import QueryError
from adapters.shopify.bulk import ExportFileError, ExportRefused, ExportState
from plugin.domain.events import ProductEvent
from plugin.models import Store
from plugin.platforms.shopify import client, shops

__all__ = ["ExportFileError", "ExportRefused", "ExportState", "export_state", "read_export",
           "start_export"]

# Shopify's files live on its storage service behind https; plain http is only the test
# seam's (a fake Shopify on loopback).
FILE_SCHEME = "https://"


def start_export(session: Session, store: Store) -> str:
    """Start the bulk export of every product of `store`; its operation gid. ExportRefused
    when Shopify will not (code OPERATION_IN_PROGRESS: one of ours is still running),
    another ShopifyError when Shopify cannot be reached. `session` is not written."""
    api = shops.admin_client(store.id, store.domain)
    data = api.execute(bulk.RUN_MUTATION, {"query": bulk.PRODUCTS_QUERY})
    return bulk.started_id(data.get("bulkOperationRunQuery") or {})


def export_state(session: Session, store: Store, export_id: str) -> ExportState:
    """Where the export `export_id` of `store` stands (status, file URL, error, counts);
    QueryError when Shopify knows no such operation (an id of another shop, or gone)."""
    api = shops.admin_client(store.id, store.domain)
    node = api.execute(bulk.STATE_QUERY, {"id": export_id}).get("node")
    if not isinstance(node, dict) or not node.get("id"):
        raise QueryError(f"Shopify knows no bulk operation {export_id}")
    return ExportState.from_node(node)


def read_export(store: Store, url: str) -> Iterator[ProductEvent]:
    """Every product of the finished export's file at `url`, one ProductEvent at a time
    with the shop's currency, streamed: the file is never held whole. ExportFileError when
    the file cannot be read to its end (the caller must not treat what it got as all)."""
    _check_url(url)
    currency = (store.currency or "").strip().upper()
    try:
        # The shared Shopify client: pooled, with timeouts per read. No token is sent: the
        # file's URL is signed by Shopify and goes to its storage, not to the Admin API.
        with client.http().stream("GET", url) as response:
            if response.status_code != 200:
                raise ExportFileError(f"the export's file answered HTTP {response.status_code}"
                                      " (its link lasts 7 days; start a new export)")
            yield from bulk.read_products(response.iter_lines(), currency=currency)
    except httpx.HTTPError as error:
        raise ExportFileError(f"the export's file could not be read to its end "
                              f"({error.__class__.__name__})") from None


def _check_url(url: str) -> None:
    seam = current_app.config["STORECHAT"].shopify_admin_url != client.DEFAULT_ADMIN_URL
    if not (url.startswith(FILE_SCHEME) or (seam and url.startswith("http://127.0.0.1:"))):
        raise ExportFileError("the export's file is not at an https address")
