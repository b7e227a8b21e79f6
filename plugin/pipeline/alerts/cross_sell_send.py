"""Cross-sell after delivery, when due: choose what goes with what the shopper bought and
write the suggestion to the outbox, as marketing (consent, STOP, caps and quiet hours are
the send job's, as for every marketing message).

What is suggested (plugin.domain.cross_sell.choose): the products bought together with the
order's products most often in the store's history, then products of the same category;
only variants in stock now (the catalog's stock, as back-in-stock alerts read it), never a
product this shopper has bought in any order.

How it is said: with a catalog connected to the number and an approved marketing template
with a multi-product button, one multi-product message showing the items (only items Meta
holds); otherwise the flow's own template, naming the products, its URL button a /t/<token>
to the first one's page (plugin.pipeline.alerts.links).
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from adapters.whatsapp.messages import ProductSection
from plugin.domain import cross_sell
from plugin.domain.alerts import first_name_or_fallback, product_label
from plugin.domain.events import OrderEvent
from plugin.domain.journeys import choose_language
from plugin.domain.phones import wa_recipient
from plugin.infra import db, queue
from plugin.models import (
    Automation,
    CatalogItem,
    CrossSellOffer,
    CrossSellPair,
    Customer,
    ItemState,
    OfferState,
    Order,
    Store,
    Template,
    WhatsAppAccount,
)
from plugin.pipeline import outbox, product_templates
from plugin.pipeline.alerts import cross_sell as counting
from plugin.pipeline.alerts import flows
from plugin.pipeline.alerts.release import stock_of

log = logging.getLogger(__name__)

# Offers written per sweep run: a bounded batch, the rest wait for the next run.
BATCH = 200
# Candidates read from each source before the stock and "already bought" filters.
CANDIDATES = 50
# The multi-product message's one section.
SECTION_TITLE = "Goes with your order"
_GONE = (ItemState.DELETING, ItemState.DELETED)


def send_due(now: datetime) -> int:
    """Write the suggestion of every offer that came due (a bounded batch); how many."""
    with db.transaction() as session:
        ids = counting.due(session, now, BATCH)
    return flows.write_due(ids, write_offer, now)


def write_offer(session: Session, offer_id: int, now: datetime) -> int:
    """Write one due offer's message (1), or record why it has none (0). Claimed by a
    conditional update, so two sweeps never write one offer twice."""
    offer = flows.claim_due(session, CrossSellOffer, offer_id, OfferState.SCHEDULED,
                            OfferState.SENT)
    if offer is None:
        return 0
    store = session.get(Store, offer.store_id)
    customer = session.get(Customer, offer.customer_id) if offer.customer_id else None
    flow = flows.rule(session, store, cross_sell.JOURNEY) if store else None
    why = _why_not(store, customer, flow)
    if why:
        return _skip(offer, why)
    assert store is not None and customer is not None and flow is not None
    order = session.get(Order, offer.order_id)
    ordered = _products_of([order] if order else [])
    rows = suggestions(session, store.id, ordered, bought=bought_by(session, customer))
    if not rows:
        return _skip(offer, "nothing to suggest: no product in stock goes with this order")
    offer.suggested = [row.variant_id for row in rows]
    offer.link_token = secrets.token_urlsafe(16)
    payload, template = _message(session, store, customer, flow, offer, rows, order)
    if payload is None:
        return _skip(offer, f"no approved “{flow.template}” template to carry it")
    message_id = outbox.write(session, store_id=store.id, customer_id=customer.id,
                              order_id=offer.order_id, cause=cross_sell.cause(offer.id),
                              step=cross_sell.JOURNEY, to=customer.phone_e164 or "",
                              template=template, payload=payload)
    offer.message_id = message_id
    if message_id is not None:
        queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
    return 1


def _why_not(store: Store | None, customer: Customer | None,
             flow: Automation | None) -> str:
    if store is None or flow is None:
        return "the store is gone"
    if not flow.enabled:
        return "cross-sell was switched off before it was due"
    if customer is None or not customer.phone_e164:
        return "the customer has no WhatsApp number"
    return ""


def _skip(offer: CrossSellOffer, reason: str) -> int:
    offer.state, offer.reason = OfferState.SKIPPED, reason[:255]
    return 0


def _products_of(orders: Iterable[Order]) -> list[str]:
    return cross_sell.distinct_products(
        line.product_id for order in orders
        for line in OrderEvent.from_snapshot(order.snapshot or {}).line_items)


def bought_by(session: Session, customer: Customer) -> set[str]:
    """Every product the customer has bought from the store, in any order."""
    return set(_products_of(session.scalars(select(Order).where(
        Order.store_id == customer.store_id, Order.customer_id == customer.id))))


def suggestions(session: Session, store_id: int, ordered: list[str], *,
                bought: set[str], limit: int = cross_sell.MAX_SUGGESTIONS
                ) -> list[CatalogItem]:
    """One in-stock catalog row (variant) per suggested product, best first."""
    if not ordered:
        return []
    together = [(str(p), int(n)) for p, n in session.execute(
        together_query(store_id, ordered))]
    categories = set(session.scalars(select(CatalogItem.category).where(
        CatalogItem.store_id == store_id, CatalogItem.product_id.in_(ordered),
        CatalogItem.category != "")))
    same = list(dict.fromkeys(session.scalars(
        select(CatalogItem.product_id).where(CatalogItem.store_id == store_id,
                                             CatalogItem.category.in_(categories))
        .order_by(CatalogItem.product_id).limit(CANDIDATES)))) if categories else []
    candidates = {p for p, _n in together} | set(same)
    sellable = _sellable_rows(session, store_id, candidates - bought)
    chosen = cross_sell.choose(together=together, same_category=same, bought=bought,
                               in_stock={p: True for p in sellable}, limit=limit)
    return [sellable[p] for p in chosen]


def together_query(store_id: int, ordered: list[str]) -> Select[Any]:
    """The products bought together with `ordered` most often (a range of the pairs'
    unique index per ordered product; bench/cross_sell.py explains its plan)."""
    total = func.sum(CrossSellPair.orders)
    return (select(CrossSellPair.other_id, total.label("n"))
            .where(CrossSellPair.store_id == store_id, CrossSellPair.product_id.in_(ordered))
            .group_by(CrossSellPair.other_id).order_by(total.desc(), CrossSellPair.other_id)
            .limit(CANDIDATES))


def _sellable_rows(session: Session, store_id: int,
                   products: set[str]) -> dict[str, CatalogItem]:
    """product → its first variant in stock now (listed, not deleted), for `products`."""
    found: dict[str, CatalogItem] = {}
    if not products:
        return found
    for row in session.scalars(select(CatalogItem).where(
            CatalogItem.store_id == store_id, CatalogItem.product_id.in_(products),
            CatalogItem.deleted_at.is_(None), CatalogItem.state.not_in(_GONE),
            CatalogItem.data.is_not(None)).order_by(CatalogItem.id)):
        if row.product_id not in found and stock_of(row).in_stock is True:
            found[row.product_id] = row
    return found


def _message(session: Session, store: Store, customer: Customer, flow: Automation,
             offer: CrossSellOffer, rows: list[CatalogItem],
             order: Order | None) -> tuple[dict[str, object] | None, str | None]:
    """(payload, template name) of the suggestion: multi-product when it can be, else the
    flow's link template; (None, None) when no approved template can carry it."""
    names = [product_label(row.title) or row.variant_id for row in rows]
    number = f"#{order.number}" if order is not None and order.number else ""
    to = wa_recipient(customer.phone_e164 or "")
    synced = [row.retailer_id for row in rows if row.state == ItemState.SYNCED]
    if synced and _catalog_connected(session, store.id):
        language = customer.locale or store.locale or flow.language
        values = _values(customer, names, number, language)
        try:
            template, shape = product_templates.choose(
                session, store, customer, multi=True, name=None,
                parameters=flows.body(flow, values), header=store.name or "For you")
            payload = product_templates.build(
                template, shape, to, sections=[ProductSection(
                    title=SECTION_TITLE, product_retailer_ids=synced)],
                parameters=flows.body(flow, values), header=store.name or "For you")
            return payload, template.name
        except product_templates.ProductMessageRefused as refused:
            log.info("store %s: cross-sell falls back to its link template (%s)", store.id,
                     refused)
    return _link_message(session, store, customer, flow, offer, names, number, to)


def _link_message(session: Session, store: Store, customer: Customer, flow: Automation,
                  offer: CrossSellOffer, names: list[str], number: str,
                  to: str) -> tuple[dict[str, object] | None, str | None]:
    templates = {t.language: t for t in session.scalars(select(Template).where(
        Template.store_id == store.id, Template.name == flow.template,
        Template.status == "APPROVED"))}
    if not templates:
        return None, None
    language = choose_language(flow.template, [customer.locale, store.locale],
                               {(flow.template, lang) for lang in templates}, flow.language)
    template = templates[language]
    body = flows.body(flow, _values(customer, names, number, language))
    buttons = []
    if _has_url_button(template):
        buttons = [{"type": "button", "sub_type": "url", "index": "0",
                    "parameters": [{"type": "text", "text": offer.link_token}]}]
    parameter_names = (tuple(flow.variables or ())
                       if template.parameter_format == "NAMED" else ())
    try:
        return messages.template(to, flow.template, language, body=body, buttons=buttons,
                                 parameter_names=parameter_names), flow.template
    except messages.MessageLimitError as error:
        log.info("store %s: cross-sell breaks a WhatsApp limit (%s)", store.id, error)
        return None, None


def _values(customer: Customer, names: list[str], number: str,
            language: str) -> dict[str, str]:
    """The flow fields a template blank may take."""
    return {"first_name": first_name_or_fallback(customer.first_name or "", language),
            "product_titles": cross_sell.titles(names, language),
            "order_number": number,
            "link": f"{current_app.config['STORECHAT'].public_url.rstrip('/')}/t/"}


def _catalog_connected(session: Session, store_id: int) -> bool:
    return session.scalars(select(WhatsAppAccount.id).where(
        WhatsAppAccount.store_id == store_id, WhatsAppAccount.catalog_id.is_not(None),
        WhatsAppAccount.catalog_id != "").limit(1)).first() is not None


def _has_url_button(template: Template) -> bool:
    for component in template.components or []:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == "BUTTONS":
            return any(isinstance(b, dict) and str(b.get("type", "")).upper() == "URL"
                       for b in component.get("buttons") or [])
    return False
