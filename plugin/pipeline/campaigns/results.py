"""A campaign's figures: progress while it sends (counts by state, for the progress bar),
and its results: sent, delivered, read, replied, clicked, opted out, and the orders and
revenue of its recipients within the attribution window after their message was sent.

Replied and opted out are read from the customer's newest inbound time and the consent
log after the message's send time; orders count once each, for the recipient who placed
them, placed from the send until `attribution_days` after it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from plugin.domain import campaigns as domain
from plugin.domain.outbox import MessageState
from plugin.models import Campaign, CampaignClick, ConsentEntry, Customer, Message, Order
from plugin.pipeline.campaigns import links, materialise


@dataclass(frozen=True, slots=True)
class Progress:
    """Where the sending is: each recipient counted once, by where their message is."""

    total: int
    held: int  # written, not released yet
    queued: int  # released, waiting for the send
    sent: int  # sent, delivered or read
    failed: int
    dropped: int  # skipped: the deadline, a cancel, the send policy
    deadline_dropped: int

    @property
    def done(self) -> int:
        """Recipients whose message is settled (sent, failed or dropped)."""
        return self.sent + self.failed + self.dropped

    @property
    def percent(self) -> int:
        """The progress bar's value."""
        return domain.progress_percent(self.done, self.total)


@dataclass(frozen=True, slots=True)
class Results:
    """What the campaign achieved."""

    sent: int
    delivered: int
    read: int
    replied: int
    clicked: int
    opted_out: int
    orders: int
    revenue: dict[str, Decimal] = field(default_factory=dict)  # by currency
    attribution_days: int = domain.ATTRIBUTION_DAYS_DEFAULT


def _mine(campaign: Campaign):  # type: ignore[no-untyped-def]
    return and_(Message.store_id == campaign.store_id,
                Message.cause == links.cause(campaign.id))


def progress(session: Session, campaign: Campaign) -> Progress:
    """The counts, in one query."""
    s = MessageState
    held = and_(Message.state == s.PENDING.value, Message.not_before == materialise.HELD_UNTIL)
    row = session.execute(select(
        func.count(Message.id),
        func.sum(case((held, 1), else_=0)),
        func.sum(case((and_(Message.state.in_((s.PENDING.value, s.SENDING.value)), ~held),
                       1), else_=0)),
        func.sum(case((Message.state.in_((s.SENT.value, s.DELIVERED.value, s.READ.value)),
                       1), else_=0)),
        func.sum(case((Message.state == s.FAILED.value, 1), else_=0)),
        func.sum(case((Message.state == s.SKIPPED.value, 1), else_=0)),
        func.sum(case((and_(Message.state == s.SKIPPED.value,
                            Message.reason == domain.DEADLINE_PASSED), 1), else_=0)),
    ).where(_mine(campaign))).one()
    total, held_n, queued, sent, failed, dropped, late = (int(v or 0) for v in row)
    return Progress(total=max(total, campaign.total), held=held_n, queued=queued, sent=sent,
                    failed=failed, dropped=dropped, deadline_dropped=late)


def results(session: Session, campaign: Campaign) -> Results:
    """The figures, in a few queries."""
    mine = and_(_mine(campaign), Message.sent_at.is_not(None))
    counts = session.execute(select(
        func.count(Message.id), func.count(Message.delivered_at), func.count(Message.read_at),
        func.sum(case((Customer.last_inbound_at > Message.sent_at, 1), else_=0)),
    ).join(Customer, Customer.id == Message.customer_id).where(mine)).one()
    sent, delivered, read, replied = (int(v or 0) for v in counts)
    clicked = int(session.scalar(select(func.count(CampaignClick.message_id)).where(
        CampaignClick.campaign_id == campaign.id)) or 0)
    opted_out = int(session.scalar(select(func.count(func.distinct(Message.customer_id)))
                                   .join(ConsentEntry,
                                         ConsentEntry.customer_id == Message.customer_id)
                                   .where(mine, ConsentEntry.purpose == "marketing",
                                          ConsentEntry.granted.is_(False),
                                          ConsentEntry.created_at >= Message.sent_at)) or 0)
    window = timedelta(days=campaign.attribution_days)
    orders = session.execute(select(Order.id, Order.total, Order.currency, Order.created_at,
                                    Message.sent_at)
                             .join(Message, Message.customer_id == Order.customer_id)
                             .where(mine, Order.store_id == campaign.store_id,
                                    Order.created_at >= Message.sent_at))
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    counted: set[int] = set()
    for order_id, total, currency, created_at, sent_at in orders:
        if order_id in counted or created_at > sent_at + window:
            continue
        counted.add(order_id)
        try:
            revenue[currency] += Decimal(total)
        except InvalidOperation:
            continue
    return Results(sent=sent, delivered=delivered, read=read, replied=replied,
                   clicked=clicked, opted_out=opted_out, orders=len(counted),
                   revenue=dict(revenue), attribution_days=campaign.attribution_days)
