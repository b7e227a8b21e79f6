"""A customer's touches of our messages, as last-touch attribution reads them: each read
(the message's read report) and each recorded click of a message's tracked link, whichever
flow recorded it (cart recovery, campaigns, back in stock, price drop, cross-sell)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain.attribution import Candidate, Touch
from plugin.models import (
    AlertSubscription,
    CampaignClick,
    CrossSellOffer,
    Customer,
    Message,
    PriceDropAlert,
    RecoveryStep,
)

# The newest messages of a customer looked at: far more than any window holds for one
# shopper, and a bound on the work an order does.
RECENT_MESSAGES = 500
# Where each flow records the click of its link, by message (the first click for all but
# campaigns, which keep every click).
CLICK_TABLES = (CampaignClick, RecoveryStep, AlertSubscription, PriceDropAlert,
                CrossSellOffer)


def customer_ids(session: Session, store_id: int, customer_id: int) -> list[int]:
    """The customer, and the store's other customers with their phone: a cart's shopper
    known by phone before the store's account for them existed is the same person."""
    phone = session.scalar(select(Customer.phone_e164).where(Customer.id == customer_id))
    ids = {customer_id}
    if phone:
        ids.update(session.scalars(select(Customer.id).where(
            Customer.store_id == store_id, Customer.phone_e164 == phone)))
    return sorted(ids)


def candidates(session: Session, store_id: int, customers: list[int],
               since: datetime) -> list[Candidate]:
    """Every read and click at or after `since` of the customers' messages that went out."""
    ids = list(session.scalars(
        select(Message.id).where(Message.customer_id.in_(customers),
                                 Message.store_id == store_id,
                                 Message.sent_at.is_not(None))
        .order_by(Message.id.desc()).limit(RECENT_MESSAGES)))
    if not ids:
        return []
    found = [Candidate(message_id=m, kind=Touch.READ, at=at)
             for m, at in session.execute(select(Message.id, Message.read_at).where(
                 Message.id.in_(ids), Message.read_at >= since))]
    for table in CLICK_TABLES:
        found.extend(Candidate(message_id=int(m), kind=Touch.CLICKED, at=at)
                     for m, at in session.execute(
                         select(table.message_id, table.clicked_at).where(
                             table.message_id.in_(ids), table.clicked_at >= since)))
    return found
