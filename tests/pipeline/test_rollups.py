"""The analytics rollups: kept as messages move, they equal a brute-force count over the
message table for any history (hypothesis), count a twice-reported status once, cut days in
the store's timezone, and the backfill rebuilds them from the rows. Clicks, replies and
opt-outs after a message equal a brute-force attribution over the generated shopper actions
(each message once; a reply or opt-out to the last message received in the 24 hours before)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from plugin.domain.message_flows import flow_of
from plugin.infra import db
from plugin.models import Customer, Message, MessageRollup, Store
from plugin.pipeline import reactions, rollups
from tests.conftest import DemoPlatform
from tests.worlds.analytics import ENDINGS, REPORTS, brute_force, live, rolled_up

CAUSES = [("order:1", "order_confirmation"), ("order:2", "shipping_update"),
          ("checkout:3:1", "cart_recovery_1"), ("campaign:7", "c"), ("answer:wamid.x", "a"),
          ("inbox:4", "agent:1:ab"), ("price_drop:9", "price_drop"),
          ("opt-out:wamid.q", "opt_out_confirm")]
reports = st.lists(st.tuples(st.sampled_from(REPORTS), st.sampled_from([None, 131049])),
                   max_size=6)
histories = st.lists(st.tuples(st.sampled_from(CAUSES), st.sampled_from(ENDINGS), reports,
                               st.integers(min_value=0, max_value=72)), max_size=12)
START = datetime(2026, 11, 28)
# A message's shopper (index into two customers) and when it was sent, as hours after START.
# Mostly sent, so that most actions find a message to belong to.
shopped = st.lists(st.tuples(st.sampled_from(CAUSES),
                             st.one_of(st.sampled_from(["sent", "sent_batch"]),
                                       st.sampled_from(ENDINGS)), reports,
                             st.integers(min_value=0, max_value=48),
                             st.integers(min_value=0, max_value=1)), min_size=1,
                   max_size=10)
# What the shoppers then did: click, reply or STOP near message i (as its customer), a
# number of seconds after it was sent: a second before (Meta's clock rounds down), at once,
# within the window, at its very end and past it.
actions = st.lists(st.tuples(st.sampled_from(["click", "reply", "stop"]),
                             st.integers(min_value=0, max_value=9),
                             st.sampled_from([-1, 0, 1, 1800, 86_399, 86_400, 90_000])),
                   min_size=1, max_size=12)


def _reset(app: Flask, store_id: int, zone: str) -> None:
    rollups.forget_zones()
    with app.app_context():
        with db.transaction() as session:
            session.execute(delete(Message))
            session.execute(delete(MessageRollup))
            session.execute(update(Store).where(Store.id == store_id).values(timezone=zone))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories, zone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"]))
def test_rollups_equal_a_brute_force_count_over_the_messages(
        app: Flask, demo: DemoPlatform, history: list[Any], zone: str) -> None:
    _reset(app, demo.store_id, zone)
    with app.app_context():
        for n, ((cause, step), ending, said, hour) in enumerate(history):
            with db.transaction() as session:
                live(session, demo.store_id, n, f"{cause}:{n}", step, ending, said,
                     created=START + timedelta(hours=hour))
        session = db.session()
        expected = brute_force(session, demo.store_id)
        assert rolled_up(session, demo.store_id) == expected
        # The backfill, from the rows alone, comes to the same figures.
        with db.transaction() as session:
            rollups.backfill(session, demo.store_id)
        assert rolled_up(db.session(), demo.store_id) == expected


def test_a_status_reported_twice_counts_once(app: Flask, demo: DemoPlatform) -> None:
    _reset(app, demo.store_id, "UTC")
    with app.app_context():
        with db.transaction() as session:
            live(session, demo.store_id, 1, "order:1", "order_confirmation", "sent",
                 [("delivered", None), ("delivered", None), ("read", None), ("read", None),
                  ("delivered", None), ("sent", None)], created=START)
        found = rolled_up(db.session(), demo.store_id)
    day = START.date().isoformat()
    flow = "journey:order_confirmation"
    assert found == {(day, flow, "sent", ""): 1,
                     (day, flow, "delivered", ""): 1, (day, flow, "read", ""): 1}


def test_a_read_without_a_delivered_report_counts_as_delivered_and_failure_keeps_its_code(
        app: Flask, demo: DemoPlatform) -> None:
    _reset(app, demo.store_id, "UTC")
    with app.app_context():
        with db.transaction() as session:
            live(session, demo.store_id, 1, "campaign:5", "c", "sent", [("read", None)],
                 created=START)
            live(session, demo.store_id, 2, "campaign:5", "d", "sent",
                 [("failed", 131049), ("failed", 131049)], created=START)
        found = rolled_up(db.session(), demo.store_id)
    day = START.date().isoformat()
    assert found[(day, "campaign:5", "delivered", "")] == 1
    assert found[(day, "campaign:5", "read", "")] == 1
    assert found[(day, "campaign:5", "failed_after_sent", "131049")] == 1
    assert found[(day, "campaign:5", "sent", "")] == 2


def test_days_are_cut_in_the_stores_timezone(app: Flask, demo: DemoPlatform) -> None:
    # 03:00 UTC on the 2nd is still the 1st in New York, already the 2nd in Kolkata.
    for zone, day in (("America/New_York", "2026-12-01"), ("Asia/Kolkata", "2026-12-02")):
        _reset(app, demo.store_id, zone)
        with app.app_context():
            with db.transaction() as session:
                live(session, demo.store_id, 1, "order:1", "order_confirmation", "sent", [],
                     created=datetime(2026, 12, 2, 3))
            found = rolled_up(db.session(), demo.store_id)
        assert set(found) == {(day, "journey:order_confirmation", "sent", "")}


def _customers(app: Flask, store_id: int) -> list[int]:
    with app.app_context(), db.transaction() as session:
        session.execute(delete(Customer).where(Customer.store_id == store_id))
        made = [Customer(store_id=store_id, platform_id=f"c{i}", tags=[]) for i in range(2)]
        session.add_all(made)
        session.flush()
        return [c.id for c in made]


def _moments(history: list[Any], ids: list[int],
             acts: list[tuple[str, int, int]]) -> list[tuple[str, int, int, datetime]]:
    """Each action as (kind, message index, its customer's id, when), past the history
    left out."""
    return [(kind, i, ids[history[i][4]],
             START + timedelta(hours=history[i][3], seconds=delta))
            for kind, i, delta in acts if i < len(history)]


def _attributed(session: Session, store_id: int,
                acts: list[tuple[str, int, int, datetime]]) -> Counter[tuple[str, str, str, str]]:
    """The brute force: for each action in turn, the message it belongs to by the rule,
    written out here on its own; each message counted once per figure."""
    zone = rollups.zone_named(session.scalar(select(Store.timezone)
                                             .where(Store.id == store_id)))
    messages = list(session.scalars(select(Message).where(Message.store_id == store_id)
                                    .order_by(Message.id)))
    done: set[tuple[str, int]] = set()
    found: Counter[tuple[str, str, str, str]] = Counter()
    for kind, index, customer_id, at in acts:
        if kind == "click":
            target: Message | None = messages[index]
        else:
            received = [m for m in messages if m.customer_id == customer_id
                        and m.wamid is not None and m.state != "failed"
                        and at - timedelta(hours=24) < m.sent_at <= at + timedelta(seconds=1)
                        and not (kind == "stop" and m.cause.startswith("opt-out:"))]
            target = max(received, key=lambda m: (m.sent_at, m.id), default=None)
        if target is None or (kind, target.id) in done:
            continue
        done.add((kind, target.id))
        figure = {"click": "clicked", "reply": "replied", "stop": "opted_out"}[kind]
        day = rollups.local_day(target.created_at, zone).isoformat()
        found[(day, flow_of(target.cause, target.step), figure, "")] += 1
    return found


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=shopped, acts=actions,
       zone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"]))
def test_clicks_replies_and_opt_outs_equal_a_brute_force_attribution(
        app: Flask, demo: DemoPlatform, history: list[Any], acts: list[Any],
        zone: str) -> None:
    _reset(app, demo.store_id, zone)
    ids = _customers(app, demo.store_id)
    with app.app_context():
        written = []
        for n, ((cause, step), ending, said, hour, who) in enumerate(history):
            with db.transaction() as session:
                at = START + timedelta(hours=hour)
                written.append(live(session, demo.store_id, n, f"{cause}:{n}", step, ending,
                                    said, created=at, customer_id=ids[who], sent=at))
        done = _moments(history, ids, acts)
        for kind, index, customer_id, at in done:
            with db.transaction() as session:
                if kind == "click":
                    reactions.clicked(session, written[index], at)
                elif kind == "reply":
                    reactions.replied(session, demo.store_id, customer_id, at)
                else:
                    reactions.opted_out(session, demo.store_id, customer_id, at)
        session = db.session()
        expected = brute_force(session, demo.store_id) + _attributed(session, demo.store_id,
                                                                     done)
        assert rolled_up(session, demo.store_id) == expected
        # The backfill reads the times kept on the rows and comes to the same figures.
        with db.transaction() as session:
            rollups.backfill(session, demo.store_id)
        assert rolled_up(db.session(), demo.store_id) == expected


def test_an_opt_out_passes_over_the_question_that_confirms_it(
        app: Flask, demo: DemoPlatform) -> None:
    _reset(app, demo.store_id, "UTC")
    ids = _customers(app, demo.store_id)
    with app.app_context():
        with db.transaction() as session:
            offer = live(session, demo.store_id, 1, "campaign:5", "c", "sent", [],
                         created=START, customer_id=ids[0], sent=START)
            question = live(session, demo.store_id, 2, "opt-out:wamid.q", "opt_out_confirm",
                            "sent", [], created=START + timedelta(hours=1),
                            customer_id=ids[0], sent=START + timedelta(hours=1))
        tap = START + timedelta(hours=1, minutes=1)
        with db.transaction() as session:
            # The "Stop messages" tap answers the question, and stops what the offer began.
            assert reactions.replied(session, demo.store_id, ids[0], tap) == question
            assert reactions.opted_out(session, demo.store_id, ids[0], tap) == offer
            # A second STOP finds the same message already counted.
            assert reactions.opted_out(session, demo.store_id, ids[0], tap) is None
        found = rolled_up(db.session(), demo.store_id)
    day = START.date().isoformat()
    assert found[(day, "campaign:5", "opted_out", "")] == 1
    assert found[(day, "automatic_answers", "replied", "")] == 1
    assert found[(day, "automatic_answers", "opted_out", "")] == 0
