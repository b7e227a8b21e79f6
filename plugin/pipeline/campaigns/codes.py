"""A campaign's discount codes at its store: one shared code, or one single-use code per
recipient, each derived from the campaign (and recipient) so that a retry after a crash
looks the code up and finds it instead of making a second one. A code row's `created_at`
is set once the store has it: the runner makes only the missing ones, each once.

Many unique codes on Shopify (BULK_FROM or more missing) go in bulk: the campaign's codes,
in the order of their rows, fall in groups of CODES_PER_DISCOUNT; each group's first code
makes its discount, and the others are added to it 250 a call
(plugin.platforms.discount_batches), each call's codes recorded as soon as its job is done.

Unique codes on WooCommerce go in batches of up to 100 a request (`coupons/batch`,
plugin.platforms.woocommerce.coupons), each request's codes recorded as soon as the store
answers; a code the store already has (made by a request whose answer was lost) counts as
made. A shared code is one coupon, made as a cart's is.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from adapters.shopify.admin import QueryError
from plugin.domain import campaigns as domain
from plugin.infra import db
from plugin.models import Campaign, CampaignCode, Store
from plugin.platforms import discount_batches, discounts
from plugin.platforms.shopify import shops
from plugin.platforms.woocommerce import coupons, sites

# Codes made per runner tick: a store call each, so a tick stays well inside its lease.
CODES_PER_TICK = 200
# From this many missing unique codes, a Shopify store gets them in bulk; and how many a
# tick adds that way (a call and a short job per 250).
BULK_FROM = 20
BULK_CODES_PER_TICK = 2500
# Unique codes a tick makes at a WooCommerce store, 100 a request: a batch of 100 can take
# a busy shared host ten seconds or more, so five of them keep a tick inside its lease.
WOO_CODES_PER_TICK = 500

def code_for(campaign_id: int, customer_id: int | None) -> str:
    """The campaign's shared code (no customer) or one recipient's unique code."""
    key = f"campaign:{campaign_id}" + (f":{customer_id}" if customer_id is not None else "")
    return discounts.discount_code(key)


def make_missing(campaign_id: int, limit: int = CODES_PER_TICK) -> int:
    """Create up to `limit` of the campaign's codes the store does not have yet (more at
    once: in bulk on Shopify, in batches on WooCommerce); how many are still missing after.
    The platform's error (ProviderError) when the store refuses."""
    with db.transaction() as session:
        campaign = session.get_one(Campaign, campaign_id)
        store = session.get_one(Store, campaign.store_id)
        discount = domain.read_discount(campaign.discount)
        unique = _unique_missing(session, campaign_id)
        bulk = store.platform == "shopify" and unique >= BULK_FROM
        batches = store.platform == "woocommerce" and unique > 0
        if bulk or batches:
            session.expunge(store)
    if bulk or batches:
        expires = datetime.now(UTC) + timedelta(hours=discount.hours)
        if bulk:
            _make_in_bulk(store, campaign_id, discount.percent, expires)
        else:
            _make_in_batches(store, campaign_id, discount.percent, expires)
        with db.transaction() as session:
            return missing(session, campaign_id)
    with db.transaction() as session:
        campaign = session.get_one(Campaign, campaign_id)
        store = session.get_one(Store, campaign.store_id)
        rows = list(session.execute(select(CampaignCode.id, CampaignCode.customer_id,
                                           CampaignCode.code)
                                    .where(CampaignCode.campaign_id == campaign_id,
                                           CampaignCode.created_at.is_(None))
                                    .order_by(CampaignCode.id).limit(limit)))
        session.expunge(store)
        expires = datetime.now(UTC) + timedelta(hours=discount.hours)
    for row in rows:
        _create(store, row.code, discount.percent, expires,
                single_use=row.customer_id is not None)
        with db.transaction() as session:
            session.execute(update(CampaignCode).where(CampaignCode.id == row.id)
                            .values(created_at=db.utcnow()))
    with db.transaction() as session:
        return missing(session, campaign_id)


def missing(session: Session, campaign_id: int) -> int:
    """How many of the campaign's codes the store does not have yet."""
    return int(session.scalar(select(func.count(CampaignCode.id)).where(
        CampaignCode.campaign_id == campaign_id, CampaignCode.created_at.is_(None))) or 0)


def _create(store: Store, code: str, percent: int, expires: datetime, *,
            single_use: bool) -> None:
    # The demo store has no admin to hold codes: its code is shown and sent as it is.
    if store.platform in ("shopify", "woocommerce"):
        discounts.make_code(store, code, percent, expires, single_use=single_use,
                            purpose="Campaign")


def _unique_missing(session: Session, campaign_id: int) -> int:
    return int(session.scalar(select(func.count(CampaignCode.id)).where(
        CampaignCode.campaign_id == campaign_id, CampaignCode.customer_id.is_not(None),
        CampaignCode.created_at.is_(None))) or 0)


def _make_in_bulk(store: Store, campaign_id: int, percent: int, expires: datetime) -> None:
    """Add up to BULK_CODES_PER_TICK missing unique codes at a Shopify store, group by
    group: the group's discount first (its first code), then the rest 250 a call. A few
    queries per group find where the missing codes fall, not a read of every code."""
    api = shops.admin_client(store.id, store.domain)
    budget, after = BULK_CODES_PER_TICK, 0
    while budget > 0:
        with db.transaction() as session:
            found = _next_group(session, campaign_id, after, budget)
        if found is None:
            return
        anchor, todo, last_id = found
        if anchor.created_at is None:
            # Finds the discount a crash left behind, or makes it: once either way.
            _create(store, anchor.code, percent, expires, single_use=True)
            _record([anchor.id])
            budget -= 1
        target = discount_batches.discount_id(api, anchor.code)
        if target is None:
            raise QueryError(f"Shopify lost the discount of code {anchor.code}")
        by_code = {row.code: row.id for row in todo}
        for start in range(0, len(todo), discount_batches.CODES_PER_CALL):
            chunk = [row.code for row in todo[start:start + discount_batches.CODES_PER_CALL]]
            added = discount_batches.add_codes(api, target, chunk)
            _record([by_code[code] for code in added.made if code in by_code])
            added.check()  # the codes made are kept; a refused one stops the campaign's start
        budget -= len(todo)
        if last_id is None:
            return
        after = last_id


def _make_in_batches(store: Store, campaign_id: int, percent: int,
                     expires: datetime) -> None:
    """Create up to WOO_CODES_PER_TICK missing unique codes at a WooCommerce store, in
    batches of up to 100 coupons a request, each batch's codes recorded as it answers."""
    with db.transaction() as session:
        todo = list(session.execute(
            select(CampaignCode.id, CampaignCode.code).where(
                CampaignCode.campaign_id == campaign_id,
                CampaignCode.customer_id.is_not(None), CampaignCode.created_at.is_(None))
            .order_by(CampaignCode.id).limit(WOO_CODES_PER_TICK)))
    by_code = {row.code: row.id for row in todo}
    with sites.calling(store) as api:
        coupons.create_all(api, list(by_code), percent, expires,
                           lambda made: _record([by_code[code] for code in made]),
                           single_use=True, purpose="Campaign")


def _next_group(session: Session, campaign_id: int, after: int,
                limit: int) -> tuple[Any, list[Any], int | None] | None:
    """The group holding the first missing unique code after row id `after`: its anchor
    (first code), up to `limit` of its other missing codes, and its last row id (None for
    the campaign's last group); None when no code after `after` is missing."""
    unique = (CampaignCode.campaign_id == campaign_id, CampaignCode.customer_id.is_not(None))
    first = session.scalar(select(func.min(CampaignCode.id)).where(
        *unique, CampaignCode.created_at.is_(None), CampaignCode.id > after))
    if first is None:
        return None
    rank = int(session.scalar(select(func.count(CampaignCode.id)).where(
        *unique, CampaignCode.id < first)) or 0)
    size = discount_batches.CODES_PER_DISCOUNT
    group = rank // size
    ordered = select(CampaignCode.id, CampaignCode.code, CampaignCode.created_at).where(
        *unique).order_by(CampaignCode.id)
    anchor = session.execute(ordered.offset(group * size).limit(1)).one()
    last = session.execute(ordered.offset((group + 1) * size - 1).limit(1)).first()
    last_id = last.id if last is not None else None
    todo = list(session.execute(
        select(CampaignCode.id, CampaignCode.code).where(
            *unique, CampaignCode.created_at.is_(None), CampaignCode.id >= first,
            CampaignCode.id != anchor.id,
            *((CampaignCode.id <= last_id,) if last_id is not None else ()))
        .order_by(CampaignCode.id).limit(limit)))
    return anchor, todo, last_id


def _record(code_ids: list[int]) -> None:
    """The store has these codes now: never made again."""
    if not code_ids:
        return
    with db.transaction() as session:
        session.execute(update(CampaignCode).where(CampaignCode.id.in_(code_ids),
                                                   CampaignCode.created_at.is_(None))
                        .values(created_at=db.utcnow()))
