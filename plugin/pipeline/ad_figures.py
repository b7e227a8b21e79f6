"""Click-to-WhatsApp ads: the conversations each ad started and the orders of the customers
it brought, counted into daily rollups as they happen (the referral is the one Meta sent
with the customer's first message from the ad, kept on the customer as `ad_source`), and
read back for a period."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plugin.domain import attribution as rules
from plugin.infra import db
from plugin.infra.sql import insert_ignore
from plugin.models import AdOrder, AdRollup, Customer, Order, ReceivedMessage, Store
from plugin.pipeline import rollups
from plugin.pipeline.recovery.attribution import ever_purchased

_ROLLUPS = AdRollup.__table__
_KEY = ["store_id", "day", "source_id", "currency"]


def _source(referral: dict[str, Any] | None) -> tuple[str, str, str] | None:
    """(source id, type, headline) of a referral; None without a source id."""
    referral = referral or {}
    source_id = str(referral.get("source_id") or "").strip()
    if not source_id:
        return None
    return (source_id[:128], str(referral.get("source_type") or "")[:16],
            str(referral.get("headline") or "")[:255])


def note_conversation(session: Session, store_id: int, referral: dict[str, Any] | None,
                      at: datetime) -> None:
    """A customer's first message came from an ad: one conversation for it on that day."""
    source = _source(referral)
    if source is None:
        return
    day = rollups.local_day(at, rollups.zone_named(session.scalar(
        select(Store.timezone).where(Store.id == store_id))))
    _add(session, store_id, day, source, "", conversations=1)


def note_order(session: Session, store: Store, order: Order, ordered_at: datetime) -> None:
    """Count a purchase for the ad that brought its customer (by the order's customer or
    one with their phone), once per order, when StoreChat first saw the order after it
    first knew that shopper (an older order's later update is not the ad's), on the day
    the order was placed."""
    if order.customer_id is None:
        return
    phone = session.scalar(select(Customer.phone_e164).where(Customer.id == order.customer_id))
    who = Customer.id == order.customer_id
    if phone:
        who = who | ((Customer.store_id == store.id) & (Customer.phone_e164 == phone))
    found = session.execute(select(Customer.ad_source, Customer.created_at).where(
        who, Customer.ad_source.is_not(None)).order_by(Customer.created_at)).first()
    source = _source(found[0]) if found else None
    if found is None or source is None or order.created_at < found[1]:
        return
    day = rollups.local_day(ordered_at, rollups.zone_named(store.timezone))
    currency = (order.currency or store.currency or "")[:3].upper()
    amount = rules.millis(order.total)
    if insert_ignore(session, AdOrder, {
            "store_id": store.id, "order_id": order.id, "source_id": source[0], "day": day,
            "currency": currency, "amount_millis": amount, "voided_at": None},
            ("order_id",)) is not None:
        _add(session, store.id, day, source, currency, orders=1, amount=amount)


def void_order(session: Session, store_id: int, order_id: int,
               refunded: Decimal | None = None) -> None:
    """A cancelled order (`refunded` None) or one refunded in full leaves its ad's figures,
    once; a partial refund leaves them as they are."""
    row = session.scalars(select(AdOrder).where(AdOrder.order_id == order_id,
                                                AdOrder.voided_at.is_(None))).first()
    if row is None or (refunded is not None and rules.millis(refunded) < row.amount_millis):
        return
    row.voided_at = db.utcnow()
    _add(session, store_id, row.day, (row.source_id, "", ""), row.currency, orders=-1,
         amount=-row.amount_millis)


def _add(session: Session, store_id: int, day: date, source: tuple[str, str, str],
         currency: str, *, conversations: int = 0, orders: int = 0, amount: int = 0) -> None:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    source_id, kind, headline = source
    statement = module.insert(_ROLLUPS).values(
        store_id=store_id, day=day, source_id=source_id, source_type=kind, headline=headline,
        currency=currency, conversations=conversations, orders=orders, amount_millis=amount)
    updates: dict[str, Any] = {
        "conversations": _ROLLUPS.c.conversations + statement.excluded.conversations,
        "orders": _ROLLUPS.c.orders + statement.excluded.orders,
        "amount_millis": _ROLLUPS.c.amount_millis + statement.excluded.amount_millis}
    if headline or kind:  # a take-back names no headline: keep the one there
        updates.update(source_type=statement.excluded.source_type,
                       headline=statement.excluded.headline)
    session.execute(statement.on_conflict_do_update(index_elements=_KEY, set_=updates))


def backfill(session: Session, store_id: int | None = None) -> int:
    """Recount the ads of one store (or all) from the referrals already kept on customers
    and their orders, replacing what was there; how many customers came from an ad."""
    stores = select(Store).where(Store.id == store_id) if store_id else select(Store)
    found = 0
    for store in session.scalars(stores).all():
        session.execute(delete(AdRollup).where(AdRollup.store_id == store.id))
        session.execute(delete(AdOrder).where(AdOrder.store_id == store.id))
        for customer in session.scalars(select(Customer).where(
                Customer.store_id == store.id, Customer.ad_source.is_not(None))).all():
            if _source(customer.ad_source) is None:
                continue
            found += 1
            referred_at = _referred_at(session, customer)
            note_conversation(session, store.id, customer.ad_source, referred_at)
            who = [customer.id]
            if customer.phone_e164:
                who += session.scalars(select(Customer.id).where(
                    Customer.store_id == store.id,
                    Customer.phone_e164 == customer.phone_e164)).all()
            # An order first seen before the ad brought the shopper is not the ad's (live,
            # the referral was not known yet when it arrived).
            for order in session.scalars(select(Order).where(
                    Order.store_id == store.id, Order.customer_id.in_(who),
                    Order.created_at >= referred_at)).all():
                if not ever_purchased(order.status):
                    continue  # a draft, a failed payment
                note_order(session, store, order, order.placed_at or order.created_at)
                if rules.undone(order.status):  # counted when placed, taken back when undone
                    void_order(session, store.id, order.id)
    return found


def _referred_at(session: Session, customer: Customer) -> datetime:
    """When the customer's first message from an ad arrived (the day the live count put its
    conversation on); when that message is not kept, when the customer was first known."""
    for at, details in session.execute(
            select(ReceivedMessage.received_at, ReceivedMessage.details)
            .where(ReceivedMessage.customer_id == customer.id)
            .order_by(ReceivedMessage.received_at, ReceivedMessage.id)):
        if isinstance(details, dict) and details.get("referral"):
            return at
    return customer.created_at


@dataclass(slots=True)
class AdFigures:
    """One ad's figures over a period."""

    source_id: str
    source_type: str = ""
    headline: str = ""
    conversations: int = 0
    orders: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)  # by currency


def figures(session: Session, store_id: int, first: date, last: date) -> list[AdFigures]:
    """Every ad with a conversation or an order in the period, most conversations first."""
    ads: dict[str, AdFigures] = {}
    for source_id, kind, headline, currency, talks, orders, amount in session.execute(
            select(AdRollup.source_id, func.max(AdRollup.source_type),
                   func.max(AdRollup.headline), AdRollup.currency,
                   func.sum(AdRollup.conversations), func.sum(AdRollup.orders),
                   func.sum(AdRollup.amount_millis))
            .where(AdRollup.store_id == store_id, AdRollup.day >= first, AdRollup.day <= last)
            .group_by(AdRollup.source_id, AdRollup.currency)):
        ad = ads.setdefault(source_id, AdFigures(source_id=source_id))
        ad.source_type = ad.source_type or kind or ""
        ad.headline = ad.headline or headline or ""
        ad.conversations += int(talks or 0)
        ad.orders += int(orders or 0)
        if currency and (orders or amount):
            ad.revenue[currency] = rules.from_millis(int(amount or 0))
    return sorted((a for a in ads.values() if a.conversations or a.orders),
                  key=lambda a: (-a.conversations, -a.orders, a.source_id))


AD_COLUMNS = ("source_id", "source_type", "headline", "conversations", "orders", "revenue")


def ad_rows(ads: list[AdFigures]) -> list[list[str]]:
    """The ads table as text cells in AD_COLUMNS order (the page's and the CSV's)."""
    return [[a.source_id, a.source_type, a.headline, str(a.conversations), str(a.orders),
             "; ".join(f"{c} {v}" for c, v in sorted(a.revenue.items()))] for a in ads]
