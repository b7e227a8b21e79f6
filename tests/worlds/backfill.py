"""Backfill worlds: a store's history made through the live paths (the inbound message path,
the outbox and Meta's status reports, the order pipeline, a campaign link's click, holdout
draws, survey answers), a snapshot of every table the Analytics page reads, and a way to
take those tables back to what a store had before they existed."""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from plugin.domain import csat
from plugin.domain.events import CustomerRef, EventKind, OrderEvent
from plugin.domain.messaging import (
    DeliveryStatus,
    InboundKind,
    InboundMessage,
    Sender,
    StatusUpdate,
)
from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.models import (
    AdOrder,
    AdRollup,
    Campaign,
    ConversationRollup,
    CsatSurvey,
    Customer,
    KeywordRollup,
    LiftRollup,
    Message,
    MessageRollup,
    Order,
    OrderAttribution,
    ReplyClock,
    RevenueRollup,
    Store,
    SurveyState,
    WidgetSettings,
)
from plugin.pipeline import analytics_backfill, conversations, holdouts, orders, outbox, rollups
from plugin.pipeline.campaigns import links
from tests.worlds.conversation_figures import HOLIDAY, TEXTS, WEEK, ZONE

# What a shopper or the store can do next, as the hypothesis draws it.
ACTIONS = ("text", "text", "stop", "team", "campaign", "click", "order", "cancel", "csat",
           "ad", "button")
SHOPPERS = 3
PHONE_NUMBER_ID = "1065"
START = datetime(2026, 10, 30, 12, 0)  # naive UTC, straddling New York's clock change
# One history that reaches every table (so a property over drawn ones is never vacuous).
EVERY_TABLE = [("ad", 0, 0, 0), ("text", 0, 5, 0), ("team", 0, 20, 2), ("campaign", 0, 30, 1),
               ("click", 0, 5, 0), ("text", 0, 10, 3), ("order", 0, 60, 5),
               ("campaign", 1, 1, 3), ("text", 1, 1, 1), ("order", 1, 30, 7),
               ("csat", 0, 600, 10), ("text", 2, 1, 2), ("campaign", 2, 1, 2),
               ("stop", 2, 5, 0), ("order", 2, 20, 1), ("cancel", 2, 30, 0),
               ("button", 1, 1440, 0), ("team", 1, 90, 1)]
_stores = itertools.count()


class Clock:
    """The time every part of StoreChat reads (db.utcnow), moved by the world."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_store(session: Session, name: str) -> int:
    """A New York store with business hours and one campaign (id in its campaigns)."""
    store = Store(platform="woocommerce", domain=f"{name}.example", name=name, country="US",
                  timezone=ZONE, currency="USD")
    session.add(store)
    session.flush()
    session.add(WidgetSettings(store_id=store.id, settings={
        "hours": WEEK, "holidays": [HOLIDAY.isoformat()]}))
    session.add(Campaign(store_id=store.id, name="Spring", template="spring", language="en"))
    session.flush()
    return store.id


@dataclass
class History:
    """A store's history as it is being made: the clock, and what later actions point at."""

    session: Session
    store_id: int
    clock: Clock
    n: int = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def _phone(self, shopper: int) -> str:
        return f"35191234567{shopper}"

    def _inbound(self, shopper: int, kind: InboundKind, text: str = "", payload: str = "",
                 referral: dict[str, Any] | None = None) -> None:
        at = int(self.clock.now.replace(tzinfo=UTC).timestamp())
        conversations.apply_message(self.session, self.store_id, InboundMessage(
            wamid=f"wamid.IN{uuid.uuid4().hex}", phone_number_id=PHONE_NUMBER_ID,
            sender=Sender(wa_id=self._phone(shopper)), kind=kind, timestamp=at, text=text,
            payload=payload, referral=referral))

    def _customer_id(self, shopper: int) -> int | None:
        return self.session.scalar(select(Customer.id).where(
            Customer.store_id == self.store_id,
            Customer.phone_e164 == "+" + self._phone(shopper)).order_by(Customer.id))

    def _send(self, shopper: int, cause: str, step: str, reports: int) -> int | None:
        """Write a message, send it now, and have Meta report it delivered / read."""
        customer_id = self._customer_id(shopper)
        message_id = outbox.write(self.session, store_id=self.store_id, cause=cause,
                                  step=step, to="+" + self._phone(shopper), payload={},
                                  customer_id=customer_id, template="spring")
        if message_id is None:
            return None
        self.session.execute(update(Message).where(Message.id == message_id)
                             .values(state=MessageState.SENDING.value))
        wamid = f"wamid.OUT{message_id}"
        outbox.mark_sent(self.session, message_id, wamid=wamid, transport="t", payload={},
                         now=self.clock.now)
        at = int(self.clock.now.replace(tzinfo=UTC).timestamp())
        for status in (DeliveryStatus.DELIVERED, DeliveryStatus.READ)[:reports]:
            conversations.apply_status(self.session, StatusUpdate(
                wamid=wamid, phone_number_id=PHONE_NUMBER_ID, recipient=self._phone(shopper),
                status=status, timestamp=at, callback_data=f"storechat:{message_id}"))
        return message_id

    def _campaign_id(self) -> int:
        return self.session.scalars(select(Campaign.id).where(
            Campaign.store_id == self.store_id)).one()

    def _order(self, shopper: int, kind: EventKind, number: int, status: str,
               total: str) -> None:
        store = self.session.get_one(Store, self.store_id)
        orders.apply_order_event(self.session, store, OrderEvent(
            kind=kind, order_id=f"o-{number}", number=str(1000 + number), status=status,
            currency="USD", total=Decimal(total),
            customer=CustomerRef(platform_id=f"shop:{shopper}", phone="+" + self._phone(shopper)),
            placed_at=self.clock.now.isoformat() + "+00:00"))

    def act(self, action: str, shopper: int, minutes: int, extra: int) -> None:
        """Let `minutes` pass, then do one action (extra picks a text, a score, a total)."""
        self.clock.now += timedelta(minutes=minutes)
        n = self._next()
        if action == "text":
            self._inbound(shopper, InboundKind.TEXT, TEXTS[extra % len(TEXTS)])
        elif action == "stop":
            self._inbound(shopper, InboundKind.TEXT, "STOP")
        elif action == "button":
            self._inbound(shopper, InboundKind.BUTTON, "Track my order", "track")
        elif action == "ad":
            self._inbound(shopper, InboundKind.TEXT, "Is this in stock?", referral={
                "source_id": f"ad{extra % 2}", "source_type": "ad", "headline": "Linen"})
        elif self._customer_id(shopper) is None:
            return  # the store does not know this shopper yet
        elif action == "team":
            self._send(shopper, f"inbox:{shopper}", f"agent:1:{n}", extra % 3)
        elif action == "campaign":
            self._campaign(shopper, n, extra)
        elif action == "click":
            self._click(shopper)
        elif action == "order":
            self._order(shopper, EventKind.ORDER_PLACED, n, "processing", f"{10 + extra}.50")
        elif action == "cancel":
            self._cancel(shopper)
        elif action == "csat":
            self._answer_survey(shopper, extra % 11)
        self._stamp_defaults()

    def _stamp_defaults(self) -> None:
        """Rows whose creation time a column default took from the real clock get the
        world's time, as they would have had they been written then."""
        for model in (Customer, Order):
            self.session.execute(update(model).where(
                model.store_id == self.store_id, model.created_at > self.clock.now)
                .values(created_at=self.clock.now))

    def _campaign(self, shopper: int, n: int, extra: int) -> None:
        campaign_id = self._campaign_id()
        customer_id = self._customer_id(shopper)
        held = extra % 3 == 0
        holdouts.record(self.session, self.store_id, f"campaign:{campaign_id}",
                        [(f"campaign:{campaign_id}:{n}", customer_id, held)], self.clock.now,
                        timedelta(days=5))
        if not held:
            self._send(shopper, f"campaign:{campaign_id}", f"c{n}", extra % 3)

    def _click(self, shopper: int) -> None:
        campaign_id = self._campaign_id()
        message_id = self.session.scalar(select(Message.id).where(
            Message.store_id == self.store_id, Message.customer_id == self._customer_id(shopper),
            Message.cause == f"campaign:{campaign_id}").order_by(Message.id.desc()))
        if message_id is not None:
            links.record_click(self.session, campaign_id, message_id)

    def _latest_order(self, shopper: int) -> Order | None:
        shoppers = select(Customer.id).where(Customer.store_id == self.store_id,
                                             Customer.phone_e164 == "+" + self._phone(shopper))
        return self.session.scalars(select(Order).where(
            Order.store_id == self.store_id, Order.customer_id.in_(shoppers))
            .order_by(Order.id.desc())).first()

    def _cancel(self, shopper: int) -> None:
        order = self._latest_order(shopper)
        if order is not None:
            self._order(shopper, EventKind.ORDER_CANCELLED, int(order.platform_id[2:]),
                        "cancelled", order.total)

    def _answer_survey(self, shopper: int, score: int) -> None:
        order = self._latest_order(shopper)
        if order is None or order.customer_id is None:
            return
        survey_id = self.session.scalar(select(CsatSurvey.id).where(
            CsatSurvey.order_id == order.id))
        if survey_id is None:
            survey = CsatSurvey(store_id=self.store_id, order_id=order.id,
                                customer_id=order.customer_id, state=SurveyState.SENT,
                                delivered_at=self.clock.now, due_at=self.clock.now)
            self.session.add(survey)
            self.session.flush()
            survey_id = survey.id
        self._inbound(shopper, InboundKind.LIST_REPLY, f"{score}",
                      csat.row_id(survey_id, score))


def make_history(store_id: int, clock: Clock, steps: list[tuple[str, int, int, int]]) -> None:
    """Each step (action, shopper, minutes later, extra) through the live paths, each in its
    own transaction as a webhook or a click is (so the sends it queues go out at its time)."""
    history: History | None = None
    for action, shopper, minutes, extra in steps:
        with db.transaction() as session:
            if history is None:
                history = History(session, store_id, clock)
            history.session = session
            history.act(action, shopper, minutes, extra)


def snapshot(session: Session, store_id: int) -> dict[str, Any]:
    """Every analytics table of a store as comparable values: rows without their ids and
    the times of the run that wrote them, zero-valued rows left out."""
    def rows(model: Any, *columns: str, keep: Any = lambda r: True) -> list[tuple[Any, ...]]:
        found = session.scalars(select(model).where(model.store_id == store_id)).all()
        return sorted(tuple(getattr(r, c) for c in columns) for r in found if keep(r))

    return {
        "message_rollups": rows(MessageRollup, "day", "flow", "figure", "detail", "n",
                                keep=lambda r: r.n),
        "conversation_rollups": rows(ConversationRollup, "day", "figure", "detail", "n",
                                     keep=lambda r: r.n),
        "keyword_rollups": rows(KeywordRollup, "day", "language", "term", "n",
                                keep=lambda r: r.n),
        "reply_clocks": rows(ReplyClock, "customer_id", "open", "waiting_since",
                             "team_waiting_since", "first_pending", "team_first_pending"),
        "order_attributions": sorted(
            (a.order_id, a.message_id, a.customer_id, a.order_number, a.flow, a.template,
             a.touch, a.touched_at, a.ordered_at, a.day, a.currency, a.amount,
             a.voided_at is None)
            for a in session.scalars(select(OrderAttribution).where(
                OrderAttribution.store_id == store_id))),
        "revenue_rollups": rows(RevenueRollup, "day", "flow", "currency", "orders",
                                "amount_millis", keep=lambda r: r.orders or r.amount_millis),
        "lift_rollups": rows(LiftRollup, "day", "flow", "holdout", "members", "converted",
                             keep=lambda r: r.members or r.converted),
        "ad_rollups": rows(AdRollup, "day", "source_id", "currency", "conversations",
                           "orders", "amount_millis",
                           keep=lambda r: r.conversations or r.orders or r.amount_millis),
        "ad_orders": sorted((o.order_id, o.source_id, o.day, o.currency, o.amount_millis,
                             o.voided_at is None) for o in session.scalars(
                                 select(AdOrder).where(AdOrder.store_id == store_id))),
        "reactions": sorted(tuple(r) for r in session.execute(select(
            Message.id, Message.clicked_at, Message.replied_at, Message.opted_out_at)
            .where(Message.store_id == store_id))),
    }


def before_the_upgrade(session: Session, store_id: int) -> None:
    """Take the store back to what it had before the analytics tables: none of their rows,
    no reactions kept on its messages."""
    for model in (MessageRollup, ConversationRollup, KeywordRollup, ReplyClock,
                  OrderAttribution, RevenueRollup, LiftRollup, AdRollup, AdOrder):
        session.execute(delete(model).where(model.store_id == store_id))
    session.execute(update(Message).where(Message.store_id == store_id).values(
        clicked_at=None, replied_at=None, opted_out_at=None))


def live_history(app: Flask, steps: list[tuple[str, int, int, int]]) -> tuple[int, Clock]:
    """A new store with this history, made through the live paths; its id and clock."""
    clock = Clock(START)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "utcnow", clock)
        rollups.forget_zones()
        with app.app_context():
            with db.transaction() as session:
                store_id = make_store(session, f"s{next(_stores)}")
            make_history(store_id, clock, steps)
    return store_id, clock


def run_backfill(app: Flask, store_id: int, clock: Clock) -> analytics_backfill.Report:
    """The backfill of one store, three days after its history (nothing it writes may carry
    the time it runs)."""
    with pytest.MonkeyPatch.context() as patch:
        clock.now += timedelta(days=3)
        patch.setattr(db, "utcnow", clock)
        with app.app_context(), db.transaction() as session:
            return analytics_backfill.run(session, store_id)


def snapshot_of(app: Flask, store_id: int) -> dict[str, Any]:
    """The snapshot of a store's analytics tables, read in its own app context."""
    with app.app_context():
        return snapshot(db.session(), store_id)
