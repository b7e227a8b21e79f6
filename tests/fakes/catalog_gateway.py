"""A Meta-like catalog gateway for the sync's tests: Meta's behaviours the sandbox catalog
does not have. Batches can stay unfinished for a few polls, items can be refused or warned
about with Meta's own words, and any call can be throttled, as Graph does (code 80014 with
a wait from X-Business-Use-Case-Usage). Every call is recorded so a test can count what
was sent."""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from plugin.domain.catalog_batches import (
    BatchStatus,
    ItemProblem,
    ItemRequest,
    Method,
    RemoteItem,
    SentBatch,
)
from plugin.domain.catalog_items import CatalogItem
from plugin.domain.errors import CatalogThrottled

# Items per page of list_items (Graph's default for a catalog's products).
PAGE_SIZE = 25


@dataclass
class _Batch:
    requests: tuple[ItemRequest, ...]
    problems: tuple[ItemProblem, ...]
    polls_left: int


@dataclass
class MetaLikeCatalog:
    """One catalog as Meta holds it, with knobs for its failure modes."""

    catalog_id: str = "cat-1"
    items: dict[str, CatalogItem] = field(default_factory=dict)
    # retailer id → Meta's error (the item is refused) or warning (accepted, with a note).
    refuse: dict[str, str] = field(default_factory=dict)
    warn: dict[str, str] = field(default_factory=dict)
    # Polls a new batch answers "not finished" before it finishes.
    unfinished_polls: int = 0
    # The next call of these operations is throttled ("items_batch", "batch_status",
    # "list_items"), waiting this many seconds.
    throttle: dict[str, float] = field(default_factory=dict)
    batches: dict[str, _Batch] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    _handles: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def items_batch(self, catalog_id: str, requests: Sequence[ItemRequest]) -> SentBatch:
        """Take a batch: refused items are not stored, the rest are applied."""
        self._call("items_batch", catalog_id)
        problems = []
        for request in requests:
            rid = request.retailer_id
            if request.method == Method.UPDATE and rid in self.refuse:
                problems.append(ItemProblem(rid, self.refuse[rid], code="1200"))
                continue
            if request.method == Method.DELETE:
                self.items.pop(rid, None)
            else:
                assert request.item is not None
                self.items[rid] = request.item
            if rid in self.warn:
                problems.append(ItemProblem(rid, self.warn[rid], warning=True))
        handle = f"handle-{next(self._handles)}"
        self.batches[handle] = _Batch(tuple(requests), tuple(problems), self.unfinished_polls)
        return SentBatch(handle)

    def batch_status(self, catalog_id: str, handle: str) -> BatchStatus:
        """Unfinished for `unfinished_polls` polls, then finished with its problems."""
        self._call("batch_status", catalog_id)
        batch = self.batches[handle]
        if batch.polls_left > 0:
            batch.polls_left -= 1
            return BatchStatus(handle=handle, finished=False)
        return BatchStatus(handle=handle, finished=True, problems=batch.problems)

    def list_items(self, catalog_id: str,
                   after: str | None) -> tuple[list[RemoteItem], str | None]:
        """A page of held items in retailer-id order; the cursor is an offset."""
        self._call("list_items", catalog_id)
        ids = sorted(self.items)
        start = int(after or 0)
        page = [_remote(self.items[i]) for i in ids[start:start + PAGE_SIZE]]
        end = start + PAGE_SIZE
        return page, (str(end) if end < len(ids) else None)

    def sent(self) -> list[ItemRequest]:
        """Every request of every batch, in order."""
        return [r for b in self.batches.values() for r in b.requests]

    def _call(self, operation: str, catalog_id: str) -> None:
        assert catalog_id == self.catalog_id, f"called for catalog {catalog_id}"
        self.calls.append(operation)
        if operation in self.throttle:
            wait = self.throttle.pop(operation)
            raise CatalogThrottled("(#80014) There have been too many calls for this "
                                   "catalog.", 80014, wait_seconds=wait)


def _remote(item: CatalogItem) -> RemoteItem:
    return RemoteItem(retailer_id=item.retailer_id, title=item.title, price=item.price,
                      sale_price=item.sale_price, availability=item.availability,
                      image_link=item.image_link, link=item.link)
