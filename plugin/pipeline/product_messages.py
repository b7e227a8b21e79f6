"""Product messages to one shopper, through the outbox: one catalog item (`product`), or up
to 30 in up to 10 titled sections (`product_list`). The inbox, the bot, campaigns and the
public API all call `send_products`.

Only items of the store's own catalog (catalog_items) that are neither deleted nor kept
out may be offered: Meta would show a broken card for anything else. Inside the 24-hour
window the message is interactive, and carries its stand-in template (when one is
approved) in case the window closes before it goes; outside the window only an approved
marketing template with a catalog or multi-product button may carry products
(plugin.pipeline.product_templates), and the send policy then wants the shopper's
marketing opt-in, like any marketing message.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from adapters.whatsapp.messages import (
    PRODUCT_ITEMS_MAX,
    PRODUCT_SECTIONS_MAX,
    SECTION_TITLE_MAX,
    Body,
    MessageLimitError,
    ProductSection,
)
from plugin.domain import policy
from plugin.domain.phones import wa_recipient
from plugin.infra import db, queue
from plugin.models import CatalogItem, Customer, ItemState, Message, Store, WhatsAppAccount
from plugin.pipeline import outbox, product_templates
from plugin.pipeline.product_templates import ProductMessageRefused

# The outbox step of every product message (with a cause, it keeps each message once).
STEP = "product_message"
# The section title of a multi-product message given as a plain list of items.
DEFAULT_SECTION_TITLE = "Products"
# Catalog item states that may not be offered: Meta no longer (or never) lists them.
NOT_OFFERED = {ItemState.KEPT_OUT: "kept out of the catalog",
               ItemState.DELETING: "deleted from the store",
               ItemState.DELETED: "deleted from the store"}

__all__ = ["ProductMessageRefused", "send_products"]


def send_products(session: Session, store: Store, customer: Customer, *,
                  retailer_ids: Sequence[str] = (), sections: Sequence[ProductSection] = (),
                  body: str = "", header: str = "", footer: str = "",
                  template: str | None = None, template_parameters: Sequence[str] = (),
                  cause: str | None = None, now: datetime | None = None) -> Message:
    """Write a product message for `customer` to the outbox and queue its send (after the
    caller commits); the existing message when `cause` was already used. Give either
    `retailer_ids` (one: a single product; more: one section) or `sections`. Raises
    ProductMessageRefused, naming the field, when it cannot be sent as asked."""
    wanted = _sections(retailer_ids, sections, header)
    if customer.store_id != store.id:
        raise ProductMessageRefused("This customer is not one of this store's.", "customer_id")
    if not customer.phone_e164:
        raise ProductMessageRefused("This customer has no WhatsApp number.", "customer_id")
    catalog_id = _catalog_id(session, store)
    _check_offered(session, store, [pid for s in wanted for pid in s.product_retailer_ids])
    to = wa_recipient(customer.phone_e164)
    single = not sections and len(retailer_ids) == 1
    moment = now or db.utcnow()
    template_row = None
    fallback = None
    if policy.window_open(customer.last_inbound_at, moment):
        payload = _interactive(to, catalog_id, wanted, single, body, header, footer)
        stand_in = _template_or_none(session, store, customer, wanted, single, template,
                                     template_parameters, header)
        if stand_in is not None:
            fallback = {"template": stand_in["template"]["name"], "payload": stand_in}
    else:
        row, shape = product_templates.choose(session, store, customer, multi=not single,
                                              name=template, parameters=template_parameters,
                                              header=header)
        payload = product_templates.build(row, shape, to, sections=wanted,
                                          parameters=template_parameters, header=header)
        template_row = row.name
    key = cause or f"products:{uuid.uuid4().hex}"
    message_id = outbox.write(session, store_id=store.id, customer_id=customer.id, cause=key,
                              step=STEP, to=customer.phone_e164, payload=payload,
                              template=template_row, fallback=fallback)
    if message_id is not None:
        queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
    return session.scalars(select(Message).where(
        Message.store_id == store.id, Message.cause == key, Message.step == STEP)).one()


def _sections(retailer_ids: Sequence[str], sections: Sequence[ProductSection],
              header: str) -> list[ProductSection]:
    """The products as sections, within WhatsApp's limits, each limit named when broken."""
    if bool(retailer_ids) == bool(sections):
        raise ProductMessageRefused("Give either retailer_ids or sections (one of them).",
                                    "sections" if sections else "retailer_ids")
    if retailer_ids:
        wanted = [ProductSection(title=DEFAULT_SECTION_TITLE,
                                 product_retailer_ids=list(retailer_ids))]
    else:
        wanted = list(sections)
    if len(wanted) > PRODUCT_SECTIONS_MAX:
        raise ProductMessageRefused(f"A product message has at most {PRODUCT_SECTIONS_MAX} "
                                    f"sections; {len(wanted)} were given.", "sections")
    total = sum(len(s.product_retailer_ids) for s in wanted)
    if total > PRODUCT_ITEMS_MAX:
        raise ProductMessageRefused(f"A product message offers at most {PRODUCT_ITEMS_MAX} "
                                    f"products; {total} were given.",
                                    "sections" if sections else "retailer_ids")
    for section in wanted:
        if not section.product_retailer_ids:
            raise ProductMessageRefused(f"The section {section.title!r} has no products.",
                                        "sections")
        if not section.title.strip() or len(section.title) > SECTION_TITLE_MAX:
            raise ProductMessageRefused(f"Section titles have 1–{SECTION_TITLE_MAX} "
                                        f"characters: {section.title!r}.", "sections")
    ids = [pid for s in wanted for pid in s.product_retailer_ids]
    if len(set(ids)) != len(ids):
        raise ProductMessageRefused("Each product may be offered once per message.",
                                    "sections" if sections else "retailer_ids")
    if (sections or total > 1) and not header.strip():
        raise ProductMessageRefused("A multi-product message (sections, or several "
                                    "products) needs a header.", "header")
    return wanted


def _catalog_id(session: Session, store: Store) -> str:
    catalog_id = session.scalars(select(WhatsAppAccount.catalog_id).where(
        WhatsAppAccount.store_id == store.id, WhatsAppAccount.catalog_id.is_not(None),
        WhatsAppAccount.catalog_id != "").order_by(WhatsAppAccount.id)).first()
    if not catalog_id:
        raise ProductMessageRefused("This store has no catalog connected to its WhatsApp "
                                    "number; connect one in the WhatsApp settings first.",
                                    "retailer_ids")
    return catalog_id


def _check_offered(session: Session, store: Store, ids: list[str]) -> None:
    """Refuse, naming each, the items that are not in the catalog or may not be offered."""
    rows = {row.retailer_id: row for row in session.scalars(select(CatalogItem).where(
        CatalogItem.store_id == store.id, CatalogItem.retailer_id.in_(ids)))}
    problems = []
    for pid in ids:
        row = rows.get(pid)
        if row is None:
            problems.append(f"{pid} (not in this store's catalog)")
        elif row.deleted_at is not None or row.state in NOT_OFFERED:
            why = NOT_OFFERED.get(row.state, "deleted from the store")
            problems.append(f"{pid} ({why}{': ' + row.reason if row.reason else ''})")
    if problems:
        raise ProductMessageRefused("These products cannot be offered: "
                                    + "; ".join(problems) + ".", "retailer_ids")


def _interactive(to: str, catalog_id: str, wanted: list[ProductSection], single: bool,
                 body: str, header: str, footer: str) -> Body:
    try:
        if single:
            return messages.single_product(to, catalog_id, wanted[0].product_retailer_ids[0],
                                           body=body, footer=footer)
        return messages.multi_product(to, catalog_id, header, body, wanted, footer=footer)
    except MessageLimitError as error:
        raise ProductMessageRefused(f"{error}.".replace("..", "."), _field(str(error))) \
            from None


def _field(error: str) -> str:
    for name in ("header", "footer", "body"):
        if error.startswith(name):
            return name
    return "sections"


def _template_or_none(session: Session, store: Store, customer: Customer,
                      wanted: list[ProductSection], single: bool, name: str | None,
                      parameters: Sequence[str], header: str) -> Body | None:
    """The stand-in template for a closed window, or None when none fits (the message then
    simply cannot go once the window closes). A template named by the caller must fit."""
    try:
        row, shape = product_templates.choose(session, store, customer, multi=not single,
                                              name=name, parameters=parameters,
                                              header=header)
        return product_templates.build(row, shape, wa_recipient(customer.phone_e164 or ""),
                                       sections=wanted, parameters=parameters, header=header)
    except ProductMessageRefused:
        if name is not None:
            raise
        return None
