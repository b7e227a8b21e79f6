"""Product cards from the inbox: the store's synced catalog items, found by name or item
id, and one or several of them sent as a single- or multi-product message through the
one product message path (plugin.pipeline.product_messages), inside the 24-hour window
only: outside it the composer offers templates, like for any free-form reply."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plugin.domain.inbox import InboxError
from plugin.models import CatalogItem, Conversation, Customer, ItemState, Store
from plugin.pipeline import product_messages
from plugin.pipeline.inbox import compose, threads
from plugin.pipeline.product_templates import ProductMessageRefused

# How many products the composer lists for one search (a message takes at most 30).
SEARCH_LIMIT = 40
# The header and body of a multi-product message when the agent gives none: WhatsApp
# requires both.
DEFAULT_HEADER = "Our picks for you"
DEFAULT_BODY = "Here are the products we talked about."


@dataclass(frozen=True, slots=True)
class ProductChoice:
    """A synced catalog item the composer offers: its id for Meta, title, price, image."""

    retailer_id: str
    title: str
    price: str
    image: str


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(session: Session, store_id: int, query: str = "",
           limit: int = SEARCH_LIMIT) -> list[ProductChoice]:
    """The store's synced, offerable items whose title, item id or variant id contains
    `query` (any case), by title; all of them (up to `limit`) for an empty query."""
    found = select(CatalogItem).where(
        CatalogItem.store_id == store_id, CatalogItem.state == ItemState.SYNCED,
        CatalogItem.deleted_at.is_(None))
    words = query.strip()[:60]
    if words:
        like = f"%{_escaped(words)}%"
        found = found.where(or_(CatalogItem.title.ilike(like, escape="\\"),
                                CatalogItem.retailer_id.ilike(like, escape="\\"),
                                CatalogItem.variant_id.ilike(like, escape="\\")))
    rows = session.scalars(found.order_by(CatalogItem.title, CatalogItem.id).limit(limit))
    return [ProductChoice(retailer_id=r.retailer_id, title=r.title or r.retailer_id,
                          price=str((r.data or {}).get("sale_price") or
                                    (r.data or {}).get("price") or ""),
                          image=str((r.data or {}).get("image_link") or ""))
            for r in rows]


def send(session: Session, conversation: Conversation, customer: Customer, author_id: int,
         retailer_ids: Sequence[str], text: str = "", header: str = "") -> int:
    """Send the chosen products as one message (one: a product card; several: a
    multi-product list); its outbox id. InboxError, in plain words, outside the window,
    with nothing chosen, or for an item that may not be offered."""
    chosen = list(dict.fromkeys(r.strip() for r in retailer_ids if r.strip()))
    if not chosen:
        raise InboxError("Choose at least one product to send.")
    compose.free_form_recipient(customer)  # the window: refused here with the reason
    store = session.get(Store, conversation.store_id)
    assert store is not None
    several = len(chosen) > 1
    body = text.strip() or (DEFAULT_BODY if several else "")
    try:
        message = product_messages.send_products(
            session, store, customer, retailer_ids=chosen, body=body,
            header=(header.strip() or DEFAULT_HEADER) if several else "",
            cause=f"inbox:{conversation.id}:{author_id}:{secrets.token_hex(6)}")
    except ProductMessageRefused as error:
        raise InboxError(str(error)) from None
    threads.note_sent(session, conversation.store_id, customer.id,
                      f"[products] {body or chosen[0]}"[:200])
    return message.id
