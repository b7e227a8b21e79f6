"""A product alert's button: /t/<token> resolved to the variant's product page (for a
cross-sell suggestion, the first suggested variant's).

The token is the subscription's (or the price-drop alert's) random `link_token`
(secrets.token_urlsafe(16)), so the URL in a shopper's chat names no store, product or
shopper. The first click is recorded on the subscription or alert (`clicked_at`) for the
alert's figures. The /t/ route itself belongs to the widget's links module, which tries
each resolver in turn.
"""
from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.infra import db
from plugin.models import AlertSubscription, CatalogItem, CrossSellOffer, PriceDropAlert, Store
from plugin.pipeline import reactions
from plugin.pipeline.catalog.items import base_url

# What secrets.token_urlsafe(16) produces; anything else is refused before a query.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,32}$")


def resolve_alert_link(token: str, *, count: bool = True) -> str | None:
    """The product page an alert's /t/<token> leads to (the first click recorded when
    `count`: a HEAD from a link preview is no click), or None when the token is no alert's
    (a back-in-stock subscription's or a price-drop alert's)."""
    if not _TOKEN.match(token):
        return None
    with db.transaction() as session:
        found: AlertSubscription | PriceDropAlert | None = session.scalars(
            select(AlertSubscription).where(AlertSubscription.link_token == token)).first()
        if found is None:
            found = session.scalars(select(PriceDropAlert).where(
                PriceDropAlert.link_token == token)).first()
        if found is None:
            return _cross_sell_link(session, token, count)
        if count and found.message_id is not None:
            reactions.clicked(session, found.message_id, db.utcnow())
        if count and found.clicked_at is None:
            model = type(found)
            session.execute(update(model).where(
                model.id == found.id, model.clicked_at.is_(None))
                .values(clicked_at=db.utcnow()))
        row = session.scalars(select(CatalogItem).where(
            CatalogItem.store_id == found.store_id,
            CatalogItem.variant_id == found.variant_id)).first()
        link = str((row.data or {}).get("link") or "") if row is not None else ""
        if not link.lower().startswith(("https://", "http://")):
            store = session.get(Store, found.store_id)
            link = base_url(store) if store is not None else ""
        return link or None


def _cross_sell_link(session: Session, token: str, count: bool) -> str | None:
    """A cross-sell offer's link: its first suggestion's page (the store's when gone)."""
    offer = session.scalars(select(CrossSellOffer).where(
        CrossSellOffer.link_token == token)).first()
    if offer is None:
        return None
    if count and offer.message_id is not None:
        reactions.clicked(session, offer.message_id, db.utcnow())
    if count and offer.clicked_at is None:
        session.execute(update(CrossSellOffer).where(
            CrossSellOffer.id == offer.id, CrossSellOffer.clicked_at.is_(None))
            .values(clicked_at=db.utcnow()))
    first = str((offer.suggested or [""])[0])
    row = session.scalars(select(CatalogItem).where(
        CatalogItem.store_id == offer.store_id, CatalogItem.variant_id == first)).first()
    link = str((row.data or {}).get("link") or "") if row is not None else ""
    if not link.lower().startswith(("https://", "http://")):
        store = session.get(Store, offer.store_id)
        link = base_url(store) if store is not None else ""
    return link or None
