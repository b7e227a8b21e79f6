"""A campaign's figures: progress while it sends (counts by state, for the progress bar),
and its results: sent, delivered, read, clicked, replied, opted out, the orders and revenue
of its recipients within the attribution window after their message was sent, and the
orders and revenue last-touch attribution gave the campaign.

Clicked, replied and opted out are the Analytics page's own figures for the campaign's
flow: each sent message counted once by the time its row keeps (plugin.pipeline.reactions
puts a reply or an opt-out down to the last message that reached the shopper, so a reply
after a later order update is that update's, not the campaign's). Recipients' orders count
once each, for the recipient who placed them, placed (as attribution reads an order's time)
from the send until `attribution_days` after it. The attributed orders are those whose last
touched message was the campaign's (plugin.pipeline.order_attribution), summed over every
day of the revenue rollups Analytics reads. An order may count in both, one or neither:
the owner's page says why.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from plugin.domain import campaigns as domain
from plugin.domain.message_flows import flow_of
from plugin.domain.outbox import MessageState
from plugin.models import Campaign, Message, Order
from plugin.pipeline import revenue_figures
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
    # Last touch, as Analytics counts the campaign's flow (cancelled and refunded orders out).
    attributed_orders: int = 0
    attributed_revenue: dict[str, Decimal] = field(default_factory=dict)  # by currency
    flow: str = ""  # the campaign's flow key on Analytics (its orders list's `flow`)


def flow(campaign: Campaign) -> str:
    """The campaign's flow key on the Analytics page (every message of it shares it)."""
    return flow_of(links.cause(campaign.id), "")


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
        func.count(Message.clicked_at), func.count(Message.replied_at),
        func.count(Message.opted_out_at),
    ).where(mine)).one()
    sent, delivered, read, clicked, replied, opted_out = (int(v or 0) for v in counts)
    orders, revenue = _recipients_orders(session, campaign)
    attributed_orders, attributed_revenue = _attributed(session, campaign)
    return Results(sent=sent, delivered=delivered, read=read, replied=replied,
                   clicked=clicked, opted_out=opted_out, orders=orders, revenue=revenue,
                   attribution_days=campaign.attribution_days,
                   attributed_orders=attributed_orders,
                   attributed_revenue=attributed_revenue, flow=flow(campaign))


def _recipients_orders(session: Session, campaign: Campaign) -> tuple[int, dict[str, Decimal]]:
    """Orders its recipients placed within `attribution_days` of their message, each once,
    and their revenue by currency."""
    mine = and_(_mine(campaign), Message.sent_at.is_not(None))
    window = timedelta(days=campaign.attribution_days)
    # When the shopper placed it (as attribution reads it), else when it reached us.
    placed = func.coalesce(Order.placed_at, Order.created_at)
    orders = session.execute(select(Order.id, Order.total, Order.currency, placed,
                                    Message.sent_at)
                             .join(Message, Message.customer_id == Order.customer_id)
                             .where(mine, Order.store_id == campaign.store_id,
                                    placed >= Message.sent_at))
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    counted: set[int] = set()
    for order_id, total, currency, placed_at, sent_at in orders:
        if order_id in counted or placed_at > sent_at + window:
            continue
        counted.add(order_id)
        try:
            revenue[currency] += Decimal(total)
        except InvalidOperation:
            continue
    return len(counted), dict(revenue)


def _attributed(session: Session, campaign: Campaign) -> tuple[int, dict[str, Decimal]]:
    """Orders last-touch attribution gave the campaign and their revenue by currency, from
    the revenue rollups of its flow over every day (what Analytics sums for a period)."""
    by_currency = revenue_figures.totals(revenue_figures.lines(
        session, campaign.store_id, None, None, flow=flow(campaign)))
    return (sum(orders for orders, _ in by_currency.values()),
            {currency: revenue for currency, (_, revenue) in by_currency.items()})
