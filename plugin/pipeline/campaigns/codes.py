"""A campaign's discount codes at its store: one shared code, or one single-use code per
recipient, each derived from the campaign (and recipient) so that a retry after a crash
looks the code up and finds it instead of making a second one. A code row's `created_at`
is set once the store has it: the runner makes only the missing ones, each once.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from plugin.domain import campaigns as domain
from plugin.infra import db
from plugin.models import Campaign, CampaignCode, Store
from plugin.platforms import discounts

# Codes made per runner tick: a store call each, so a tick stays well inside its lease.
CODES_PER_TICK = 200

def code_for(campaign_id: int, customer_id: int | None) -> str:
    """The campaign's shared code (no customer) or one recipient's unique code."""
    key = f"campaign:{campaign_id}" + (f":{customer_id}" if customer_id is not None else "")
    return discounts.discount_code(key)


def make_missing(campaign_id: int, limit: int = CODES_PER_TICK) -> int:
    """Create up to `limit` of the campaign's codes the store does not have yet; how many
    are still missing after. The platform's error (ProviderError) when the store refuses."""
    with db.transaction() as session:
        campaign = session.get_one(Campaign, campaign_id)
        store = session.get_one(Store, campaign.store_id)
        discount = domain.read_discount(campaign.discount)
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
