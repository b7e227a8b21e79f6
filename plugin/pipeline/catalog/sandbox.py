"""The sandbox catalog: Meta's catalog played in process for a number with no WhatsApp
token. It keeps what it was sent (its own tables, so several workers share it), applies
Meta's basic item checks so a bad item fails with a reason, and finishes each batch at once.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain.catalog_batches import (
    BatchStatus,
    ItemProblem,
    ItemRequest,
    Method,
    RemoteItem,
    SentBatch,
)
from plugin.domain.catalog_items import DESCRIPTION_LIMIT, TITLE_LIMIT, CatalogItem
from plugin.domain.errors import CatalogError
from plugin.infra import db
from plugin.models import SandboxCatalogBatch, SandboxCatalogItem

# Items per page of list_items, as Meta's default page of a catalog's products.
LIST_PAGE_SIZE = 100
# Requests applied per read and write (keeps each IN list short).
_CHUNK = 500
# Meta's retailer_id limit.
RETAILER_ID_LIMIT = 100
# A price as Meta takes it: "12.50 USD", "1200 JPY".
_PRICE = re.compile(r"\d+(\.\d{1,3})? [A-Z]{3}")
_AVAILABILITY = frozenset({"in stock", "out of stock", "preorder", "available for order",
                           "discontinued"})


class SandboxCatalog:
    """A catalog held in our own database (see module doc); implements CatalogGateway."""

    def __init__(self, catalog_id: str) -> None:
        self.catalog_id = catalog_id

    def items_batch(self, catalog_id: str, requests: Sequence[ItemRequest]) -> SentBatch:
        """Apply the batch at once (valid items stored, DELETEs removed) and return its
        handle; the problems wait for batch_status, as Meta's do."""
        if not requests:
            raise CatalogError("The batch has no requests.", 100)
        handle = f"sandbox-{uuid.uuid4().hex}"
        problems: list[ItemProblem] = []
        with db.transaction() as session:
            for start in range(0, len(requests), _CHUNK):
                problems.extend(_apply(session, catalog_id, requests[start:start + _CHUNK]))
            session.add(SandboxCatalogBatch(catalog_id=catalog_id, handle=handle,
                                            problems=[asdict(p) for p in problems]))
        return SentBatch(handle)

    def batch_status(self, catalog_id: str, handle: str) -> BatchStatus:
        """The batch's problems; a sandbox batch is finished as soon as it is taken."""
        with db.transaction() as session:
            batch = session.scalars(select(SandboxCatalogBatch).where(
                SandboxCatalogBatch.catalog_id == catalog_id,
                SandboxCatalogBatch.handle == handle)).first()
            if batch is None:
                raise CatalogError(f"Unknown batch handle {handle}.", 100)
            problems = tuple(ItemProblem(**p) for p in batch.problems)
        return BatchStatus(handle=handle, finished=True, problems=problems)

    def list_items(self, catalog_id: str,
                   after: str | None) -> tuple[list[RemoteItem], str | None]:
        """One page of held items in id order; the cursor is the last id of the page."""
        with db.transaction() as session:
            rows = list(session.scalars(
                select(SandboxCatalogItem)
                .where(SandboxCatalogItem.catalog_id == catalog_id,
                       SandboxCatalogItem.id > int(after or 0))
                .order_by(SandboxCatalogItem.id).limit(LIST_PAGE_SIZE + 1)))
            # One row past the page tells whether another page follows.
            rows, more = rows[:LIST_PAGE_SIZE], len(rows) > LIST_PAGE_SIZE
            items = [_remote(row) for row in rows]
            cursor = str(rows[-1].id) if more else None
        return items, cursor


def _apply(session: Session, catalog_id: str,
           requests: Sequence[ItemRequest]) -> list[ItemProblem]:
    """Apply some requests of a batch: one read of the items they name, one write."""
    held = {row.retailer_id: row for row in session.scalars(select(SandboxCatalogItem).where(
        SandboxCatalogItem.catalog_id == catalog_id,
        SandboxCatalogItem.retailer_id.in_([r.retailer_id for r in requests])))}
    problems: list[ItemProblem] = []
    for request in requests:
        rid = request.retailer_id
        if not rid or len(rid) > RETAILER_ID_LIMIT:
            problems.append(ItemProblem(rid, "retailer_id: Invalid retailer ID.", code="1200"))
        elif request.method == Method.DELETE:
            if rid in held:
                session.delete(held.pop(rid))
        elif request.item is None:
            problems.append(ItemProblem(rid, "data: Missing item data.", code="1200"))
        elif errors := check_item(request.item):
            problems.extend(ItemProblem(rid, e, code="1200") for e in errors)
        else:
            data = asdict(request.item)
            data["additional_image_links"] = list(request.item.additional_image_links)
            if rid in held:
                held[rid].data, held[rid].updated_at = data, db.utcnow()
            else:
                held[rid] = SandboxCatalogItem(catalog_id=catalog_id, retailer_id=rid, data=data)
                session.add(held[rid])
    session.flush()
    return problems


def check_item(item: CatalogItem) -> list[str]:
    """Meta's basic checks of an item, each failure in Meta's words (empty: accepted)."""
    errors = []
    if not item.title or len(item.title) > TITLE_LIMIT:
        errors.append("title: Title is required and must be at most 150 characters.")
    if len(item.description) > DESCRIPTION_LIMIT:
        errors.append("description: Description must be at most 5000 characters.")
    if not _PRICE.fullmatch(item.price):
        errors.append(f"price: Invalid price format '{item.price}'.")
    if item.sale_price and not _PRICE.fullmatch(item.sale_price):
        errors.append(f"sale_price: Invalid sale price format '{item.sale_price}'.")
    if item.availability not in _AVAILABILITY:
        errors.append(f"availability: Invalid value '{item.availability}'.")
    if not item.image_link.startswith(("https://", "http://")):
        errors.append("image_link: Invalid image URL.")
    if not item.link.startswith(("https://", "http://")):
        errors.append("link: Invalid product URL.")
    return errors


def _remote(row: SandboxCatalogItem) -> RemoteItem:
    data = row.data
    return RemoteItem(retailer_id=row.retailer_id, title=data.get("title", ""),
                      price=data.get("price", ""), sale_price=data.get("sale_price", ""),
                      availability=data.get("availability", ""),
                      image_link=data.get("image_link", ""), link=data.get("link", ""))
