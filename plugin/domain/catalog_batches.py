"""What the catalog sync asks of Meta and what Meta answers, as plain values.

The sync (plugin.pipeline.catalog) speaks these to a catalog gateway: the Cloud API adapter
(adapters.whatsapp.catalog) turns them into items_batch calls and reads Meta's answers back
into them; the sandbox catalog (no WhatsApp token) answers them in process.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from plugin.domain.catalog_items import CatalogItem

# Meta takes at most this many requests in one items_batch call.
MAX_BATCH_REQUESTS = 5000


class Method(enum.StrEnum):
    """What a batch request does to one item (allow_upsert makes UPDATE create a new one)."""

    UPDATE = "UPDATE"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class ItemRequest:
    """One entry of an items_batch call: UPDATE carries the item, DELETE only its id."""

    method: Method
    retailer_id: str
    item: CatalogItem | None = None


@dataclass(frozen=True, slots=True)
class ItemProblem:
    """An error or warning Meta reported for one item of a batch, in Meta's words."""

    retailer_id: str
    message: str
    warning: bool = False
    code: str = ""


@dataclass(frozen=True, slots=True)
class SentBatch:
    """What Meta answered an items_batch call: the handle to poll ("" when it took none of
    the requests) and the items it refused or warned about at once, before any poll."""

    handle: str
    problems: tuple[ItemProblem, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class BatchStatus:
    """Meta's verdict on a batch: `finished` once every request was handled, with the
    problems it found (an item with no error among them was accepted)."""

    handle: str
    finished: bool
    problems: tuple[ItemProblem, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class RemoteItem:
    """An item as Meta's catalog holds it (for reconciliation): enough to tell drift."""

    retailer_id: str
    title: str = ""
    price: str = ""  # "12.50 USD"
    sale_price: str = ""
    availability: str = ""
    image_link: str = ""
    link: str = ""
