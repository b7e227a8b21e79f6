"""The Analytics page's revenue: per flow and currency, the attributed orders and their
revenue over a period, read from the daily revenue rollups (never the order or message
tables), and the attributed orders behind each figure, read from the attributions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.domain import attribution as rules
from plugin.domain.message_flows import label_of
from plugin.models import Customer, OrderAttribution, RevenueRollup

# Attributed orders listed per page of the drill-down.
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class RevenueLine:
    """One flow's attributed orders and revenue in one currency over the period."""

    flow: str
    label: str
    currency: str
    orders: int
    revenue: Decimal


def lines(session: Session, store_id: int, first: date | None, last: date | None, *,
          flow: str | None = None) -> list[RevenueLine]:
    """Each flow (or only `flow`) and currency with an attributed order left in the period
    (every day when `first` and `last` are None), most revenue first (figures of different
    currencies are never added together)."""
    where = [RevenueRollup.store_id == store_id]
    if first is not None:
        where.append(RevenueRollup.day >= first)
    if last is not None:
        where.append(RevenueRollup.day <= last)
    if flow is not None:
        where.append(RevenueRollup.flow == flow)
    rows = session.execute(
        select(RevenueRollup.flow, RevenueRollup.currency, func.sum(RevenueRollup.orders),
               func.sum(RevenueRollup.amount_millis))
        .where(*where)
        .group_by(RevenueRollup.flow, RevenueRollup.currency))
    found = [RevenueLine(flow=flow, label=label_of(flow), currency=currency,
                         orders=int(orders or 0), revenue=rules.from_millis(int(amount or 0)))
             for flow, currency, orders, amount in rows if orders or amount]
    return sorted(found, key=lambda r: (r.currency, -r.revenue, r.flow))


def totals(found: list[RevenueLine]) -> dict[str, tuple[int, Decimal]]:
    """Orders and revenue per currency, over every flow."""
    out: dict[str, tuple[int, Decimal]] = {}
    for line in found:
        orders, revenue = out.get(line.currency, (0, Decimal(0)))
        out[line.currency] = (orders + line.orders, revenue + line.revenue)
    return out


COLUMNS = ("flow", "currency", "orders", "revenue")


def table_rows(found: list[RevenueLine]) -> list[list[str]]:
    """The revenue table as text cells in COLUMNS order (the page's and the CSV's)."""
    return [[line.label, line.currency, str(line.orders), str(line.revenue)]
            for line in found]


@dataclass(frozen=True, slots=True)
class AttributedOrder:
    """One order behind a figure, and the message that earned it."""

    order_id: int
    number: str
    amount: str
    currency: str
    customer: str
    message_id: int | None
    flow: str
    label: str
    template: str
    touch: str
    touched_at: datetime
    ordered_at: datetime


def orders(session: Session, store_id: int, first: date, last: date, *,
           flow: str | None = None, currency: str | None = None, page: int = 1,
           size: int = PAGE_SIZE) -> tuple[list[AttributedOrder], int]:
    """The attributed orders (not voided) of the period, newest first, optionally of one
    flow and currency: one page of them, and how many there are in all."""
    where = [OrderAttribution.store_id == store_id, OrderAttribution.day >= first,
             OrderAttribution.day <= last, OrderAttribution.voided_at.is_(None)]
    if flow:
        where.append(OrderAttribution.flow == flow)
    if currency:
        where.append(OrderAttribution.currency == currency)
    total = int(session.scalar(select(func.count(OrderAttribution.id)).where(*where)) or 0)
    rows = session.execute(
        select(OrderAttribution, Customer.first_name, Customer.last_name, Customer.phone_e164)
        .outerjoin(Customer, Customer.id == OrderAttribution.customer_id).where(*where)
        .order_by(OrderAttribution.ordered_at.desc(), OrderAttribution.id.desc())
        .offset((max(page, 1) - 1) * size).limit(size))
    found = [AttributedOrder(
        order_id=a.order_id, number=a.order_number, amount=a.amount, currency=a.currency,
        customer=" ".join(p for p in (first_name, last_name) if p) or phone or "",
        message_id=a.message_id, flow=a.flow, label=label_of(a.flow), template=a.template,
        touch=a.touch, touched_at=a.touched_at, ordered_at=a.ordered_at)
        for a, first_name, last_name, phone in rows]
    return found, total


ORDER_COLUMNS = ("order", "amount", "currency", "customer", "flow", "message_id", "template",
                 "touch", "touched_at_utc", "ordered_at_utc")


def order_rows(found: list[AttributedOrder]) -> list[list[str]]:
    """The drill-down as text cells in ORDER_COLUMNS order."""
    return [[o.number, o.amount, o.currency, o.customer, o.label,
             "" if o.message_id is None else str(o.message_id), o.template, o.touch,
             o.touched_at.isoformat(), o.ordered_at.isoformat()] for o in found]
