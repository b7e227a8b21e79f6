"""The attributed revenue figures equal a brute-force computation over generated messages,
touches and orders: orders go through the order pipeline (apply_order_event), and the
expected figures are worked out here on their own, touch by touch, from the rows written.
The holdout groups' daily sizes and conversions equal a count over the member rows."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plugin.domain.events import CustomerRef, EventKind, OrderEvent
from plugin.infra import db
from plugin.models import (
    Campaign,
    CampaignClick,
    Customer,
    LiftMember,
    Message,
    Order,
    OrderAttribution,
    Store,
)
from plugin.pipeline import holdouts, orders, rollups
from tests.worlds.attribution import revenue

T = datetime(2026, 11, 10, 12)
ZONE = "Europe/Lisbon"
PHONES = ("+351911111111", "+351922222222")
# (cause, step) of the generated messages → the flow a person would file them under.
FLOWS = {("order:{n}", "order_confirmation"): "journey:order_confirmation",
         ("campaign:{c}", "{n}"): "campaign:{c}",
         ("checkout:3:1", "cart_recovery_{n}"): "recovery"}
CLICK, READ = timedelta(days=5), timedelta(hours=12)

messages_st = st.lists(st.tuples(
    st.integers(0, 1),  # whose (by phone)
    st.integers(0, 2),  # which flow
    st.integers(-9 * 24 * 60, 0),  # sent, minutes from T
    st.one_of(st.none(), st.integers(0, 3 * 24 * 60)),  # read, minutes after sent
    st.one_of(st.none(), st.integers(0, 6 * 24 * 60)),  # clicked, minutes after sent
), max_size=8)
orders_st = st.lists(st.tuples(
    st.integers(0, 1),  # whose
    st.integers(-2 * 24 * 60, 2 * 24 * 60),  # placed, minutes from T
    st.integers(1, 99_999),  # total, cents
    st.sampled_from(["EUR", "USD"]),
    st.booleans(),  # cancelled afterwards
    st.booleans(),  # delivered twice
), max_size=6)


def _store(session: db.Session) -> tuple[Store, int]:  # type: ignore[name-defined]
    store = Store(platform="woocommerce", domain="shop.example", country="PT",
                  currency="EUR", timezone=ZONE)
    session.add(store)
    session.flush()
    campaign = Campaign(store_id=store.id, name="Sale", template="sale", language="en",
                        state="finished")
    session.add(campaign)
    session.flush()
    return store, campaign.id


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=messages_st, placed=orders_st)
def test_attributed_figures_equal_a_brute_force_count(
        app: Flask, messages: list[tuple[int, int, int, int | None, int | None]],
        placed: list[tuple[int, int, int, str, bool, bool]]) -> None:
    rollups.forget_zones()
    expected: Counter[tuple[date, str, str]] = Counter()
    expected_orders: Counter[tuple[date, str, str]] = Counter()
    with app.app_context(), db.transaction() as session:
        store, campaign_id = _store(session)
        # The shoppers as WhatsApp knows them: not the store's platform customers, the
        # same people by phone.
        who = []
        for i, phone in enumerate(PHONES):
            customer = Customer(store_id=store.id, platform_id=f"wa:{i}", phone_e164=phone,
                                tags=[])
            session.add(customer)
            session.flush()
            who.append(customer.id)
        touches: dict[int, list[tuple[datetime, bool, int, str]]] = {0: [], 1: []}
        for n, (person, flow, sent, read, clicked) in enumerate(messages):
            (cause, step), flow_key = list(FLOWS.items())[flow]
            cause, step = cause.format(c=campaign_id, n=n), step.format(n=n)
            sent_at = T + timedelta(minutes=sent)
            message = Message(store_id=store.id, customer_id=who[person], cause=cause,
                              step=step, to=PHONES[person], template="t", payload={},
                              state="read" if read is not None else "sent",
                              created_at=sent_at, sent_at=sent_at,
                              read_at=None if read is None else sent_at + timedelta(
                                  minutes=read))
            session.add(message)
            session.flush()
            key = flow_key.format(c=campaign_id)
            if read is not None:
                touches[person].append((sent_at + timedelta(minutes=read), False, message.id,
                                        key))
            if clicked is not None:
                at = sent_at + timedelta(minutes=clicked)
                session.add(CampaignClick(message_id=message.id, campaign_id=campaign_id,
                                          clicked_at=at))
                touches[person].append((at, True, message.id, key))
        store_id = store.id
    zone = ZoneInfo(ZONE)
    for n, (person, minutes, cents, currency, cancelled, twice) in enumerate(placed):
        at = T + timedelta(minutes=minutes)
        event = OrderEvent(
            kind=EventKind.ORDER_PLACED, order_id=f"o{n}", number=str(1000 + n),
            status="processing", currency=currency, total=Decimal(cents) / 100,
            customer=CustomerRef(platform_id=f"c{person}", phone=PHONES[person]),
            placed_at=at.replace(tzinfo=UTC).isoformat())
        with app.app_context(), db.transaction() as session:
            store = session.get_one(Store, store_id)
            for _ in range(2 if twice else 1):  # a redelivery counts nothing
                orders.apply_order_event(session, store, event)
            if cancelled:
                orders.apply_order_event(session, store, OrderEvent(
                    kind=EventKind.ORDER_CANCELLED, order_id=f"o{n}", number=str(1000 + n),
                    status="cancelled", currency=currency, total=Decimal(cents) / 100))
        # The brute force: every touch of this person, the windows, the latest.
        inside = [t for t in touches[person]
                  if at - (CLICK if t[1] else READ) <= t[0] <= at]
        if not inside or cancelled:
            continue
        _at, _clicked, _message_id, flow = max(inside)
        day = at.replace(tzinfo=UTC).astimezone(zone).date()
        expected[(day, flow, currency)] += cents * 10
        expected_orders[(day, flow, currency)] += 1
    assert revenue(app, store_id) == {
        key: (expected_orders[key], expected[key]) for key in expected}
    with app.app_context():
        rows = db.session().scalars(select(OrderAttribution).where(
            OrderAttribution.store_id == store_id,
            OrderAttribution.voided_at.is_(None))).all()
        assert len(rows) == sum(expected_orders.values())


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(units=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1), st.booleans(),
                                st.integers(-3 * 24 * 60, 0)), max_size=12),
       bought=st.lists(st.tuples(st.integers(0, 3), st.integers(-3 * 24 * 60, 3 * 24 * 60),
                                 st.booleans()), max_size=6))
def test_lift_figures_equal_a_brute_force_count_over_the_members(
        app: Flask, units: list[tuple[int, int, bool, int]],
        bought: list[tuple[int, int, bool]]) -> None:
    """Members written (twice, as a retry would), converted by orders and unconverted by
    cancellations: the daily group sizes equal a count over the member rows."""
    with app.app_context(), db.transaction() as session:
        store, _campaign = _store(session)
        store_id = store.id
        who = []
        for i in range(4):
            customer = Customer(store_id=store_id, platform_id=f"m{i}", tags=[])
            session.add(customer)
            session.flush()
            who.append(customer.id)
        for n, (person, flow, held, minutes) in enumerate(units):
            for _ in range(2):
                holdouts.record(session, store_id, ("recovery", "campaign:1")[flow],
                                [(f"u{n}", who[person], held)],
                                T + timedelta(minutes=minutes), timedelta(days=2))
        for n, (person, minutes, cancelled) in enumerate(bought):
            order = Order(store_id=store_id, platform_id=f"o{n}", number=str(n),
                          status="paid", currency="EUR", total="1")
            session.add(order)
            session.flush()
            holdouts.convert(session, store_id, [who[person]], order.id,
                             T + timedelta(minutes=minutes))
            if cancelled:
                holdouts.unconvert(session, store_id, order.id)
    with app.app_context():
        session = db.session()
        zone = ZoneInfo(ZONE)
        expected: Counter[tuple[str, bool, str]] = Counter()
        for m in session.scalars(select(LiftMember).where(LiftMember.store_id == store_id)):
            expected[(m.flow, m.holdout, "members")] += 1
            expected[(m.flow, m.holdout, "converted")] += m.converted_at is not None
        days = [(T + timedelta(minutes=u[3])).replace(tzinfo=UTC).astimezone(zone).date()
                for u in units] or [T.date()]
        found: Counter[tuple[str, bool, str]] = Counter()
        for lift in holdouts.figures(session, store_id, min(days), max(days)):
            found[(lift.flow, False, "members")] += lift.messaged
            found[(lift.flow, False, "converted")] += lift.messaged_converted
            found[(lift.flow, True, "members")] += lift.holdout
            found[(lift.flow, True, "converted")] += lift.holdout_converted
    assert +found == +expected
