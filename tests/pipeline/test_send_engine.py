"""The batch send engine against the fake Graph API, on SQLite."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Customer, Message, WhatsAppAccount
from plugin.pipeline import send_context
from plugin.pipeline.send import send_message
from plugin.pipeline.send_engine import send_pending
from tests.worlds.sending import CAUSE, PHONE_NUMBER_ID, PROMO, UPDATE, Sending, sending_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Sending]:
    with sending_world(tmp_path) as sending:
        yield sending


def _send(world: Sending, limit: int = 10_000, cause: str = CAUSE) -> int:
    with world.app.app_context():
        return send_pending(store_id=world.store_id, cause=cause, limit=limit)


def test_every_due_message_of_the_cause_is_sent_once_with_our_id(world: Sending) -> None:
    ids = [world.message(world.customer(n)) for n in range(450)]  # three batches
    other = world.message(world.customer(999), cause="campaign:2")
    assert _send(world) == 450
    rows = {m.id: m for m in world.rows()}
    assert all(rows[i].state == "sent" and rows[i].wamid for i in ids)
    assert rows[other].state == "pending"  # another campaign is not touched
    assert sorted(world.graph.callback_ids()) == sorted(f"storechat:{i}" for i in ids)
    assert _send(world) == 0  # nothing left: nothing sent again


def test_limit_bounds_how_many_are_taken(world: Sending) -> None:
    for n in range(30):
        world.message(world.customer(n))
    assert _send(world, limit=12) == 12
    assert Counter(m.state for m in world.rows()) == {"sent": 12, "pending": 18}


def test_two_engines_racing_never_send_a_message_twice(world: Sending) -> None:
    ids = [world.message(world.customer(n)) for n in range(600)]
    counts: list[int] = []
    errors: list[BaseException] = []

    def engine() -> None:
        try:
            counts.append(_send(world))
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)

    racers = [threading.Thread(target=engine) for _ in range(3)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert errors == []
    assert sum(counts) == 600
    sent = Counter(world.graph.callback_ids())
    assert set(sent.values()) == {1}
    assert set(sent) == {f"storechat:{i}" for i in ids}


def test_not_yet_due_and_deadline_passed_messages(world: Sending) -> None:
    with world.app.app_context():
        now = db.utcnow()
    later = world.message(world.customer(1), not_before=now + timedelta(hours=1))
    late = world.message(world.customer(2), send_by=now - timedelta(minutes=1))
    ok = world.message(world.customer(3), send_by=now + timedelta(hours=1))
    assert _send(world) == 1
    assert world.row(later).state == "pending"
    assert (world.row(late).state, world.row(late).reason) == ("skipped", "deadline passed")
    assert world.row(ok).state == "sent"


def test_the_single_send_path_skips_past_the_deadline_too(world: Sending) -> None:
    with world.app.app_context():
        now = db.utcnow()
    late = world.message(world.customer(1), send_by=now - timedelta(seconds=1))
    with world.app.app_context():
        send_message(late)
    assert (world.row(late).state, world.row(late).reason) == ("skipped", "deadline passed")
    assert world.graph.sent == []


def test_policy_skips_get_their_reason(world: Sending) -> None:
    no_optin = world.message(world.customer(1, consent=None))
    opted_out = world.message(world.customer(2, consent=False))
    us = world.message(world.customer(3, phone="+12015550123"))
    utility = world.message(world.customer(4, consent=None), template=UPDATE)
    assert _send(world) == 1
    reasons = {m.id: (m.state, m.reason) for m in world.rows()}
    assert reasons[no_optin] == ("skipped", "no marketing opt-in")
    assert reasons[opted_out] == ("skipped", "the customer opted out of marketing")
    assert reasons[us][1] is not None and "+1 (US)" in reasons[us][1]
    assert reasons[utility] == ("sent", None)


def test_131049_holds_the_customer_and_is_not_retried_in_a_loop(world: Sending) -> None:
    held = world.customer(1)
    first = world.message(held)
    world.graph.fail_next(131049, 400, "message held for user experience (fake)")
    assert _send(world) == 0
    row = world.row(first)
    assert (row.state, row.error_code) == ("pending", 131049)
    with world.app.app_context():
        now = db.utcnow()
        until = db.session().get(Customer, held).marketing_held_until
    assert until is not None and until > now + timedelta(hours=23)
    assert row.not_before is not None and row.not_before > now + timedelta(hours=23)
    # Another campaign to the same customer waits out the hold, untried; others go out.
    second = world.message(held, cause="campaign:2")
    other = world.message(world.customer(2), cause="campaign:2")
    assert _send(world, cause="campaign:2") == 1
    assert world.row(second).state == "pending"
    assert world.row(second).reason == "Meta is holding marketing to this customer (131049)"
    assert world.row(second).not_before is not None
    assert world.row(other).state == "sent"
    assert len(world.graph.sent) == 1  # one attempt at the held customer, then none
    # Order updates are not marketing: the hold does not touch them.
    update = world.message(held, cause="order:1", template=UPDATE)
    assert _send(world, cause="order:1") == 1 and world.row(update).state == "sent"


def test_131049_past_the_deadline_skips_the_message(world: Sending) -> None:
    with world.app.app_context():
        now = db.utcnow()
    message = world.message(world.customer(1), send_by=now + timedelta(hours=2))
    world.graph.fail_next(131049, 400, "message held for user experience (fake)")
    _send(world)
    row = world.row(message)
    assert row.state == "skipped" and row.reason is not None
    assert row.reason.startswith("deadline passed") and row.error_code == 131049


@pytest.mark.parametrize("onboarded", [True, False])
def test_marketing_messages_api_only_when_onboarded(world: Sending, onboarded: bool) -> None:
    if onboarded:
        world.graph.onboard_marketing(PHONE_NUMBER_ID)
        with world.app.app_context(), db.transaction() as session:
            for account in session.scalars(select(WhatsAppAccount)):
                account.marketing_messages_api = True
    promo = world.message(world.customer(1))
    update = world.message(world.customer(2), template=UPDATE)
    assert _send(world) == 2
    endpoints = {s.payload["biz_opaque_callback_data"]: s.endpoint for s in world.graph.sent}
    assert endpoints[f"storechat:{promo}"] == ("marketing_messages" if onboarded
                                               else "messages")
    assert endpoints[f"storechat:{update}"] == "messages"  # utility: always the Cloud API


def test_the_single_path_uses_the_marketing_messages_api_too(world: Sending) -> None:
    world.graph.onboard_marketing(PHONE_NUMBER_ID)
    with world.app.app_context(), db.transaction() as session:
        session.scalars(select(WhatsAppAccount)).one().marketing_messages_api = True
    promo = world.message(world.customer(1))
    with world.app.app_context():
        send_message(promo)
    [sent] = world.graph.sent
    assert sent.endpoint == "marketing_messages" and world.row(promo).state == "sent"


def test_policy_for_a_batch_equals_policy_per_message(world: Sending) -> None:
    """load_many gives each message exactly the SendContext load gives it alone."""
    with world.app.app_context():
        now = db.utcnow()
    c = [world.customer(1), world.customer(2, consent=None), world.customer(3, consent=False),
         world.customer(4, tags=["at_risk"]), world.customer(5, phone="+12015550123"),
         world.customer(6, held_until=now + timedelta(hours=3)),
         world.customer(7, consent_source="widget"), world.customer(8, tags=["at_risk"])]
    # History: marketing sent in the last days (counted), long ago (not), utility (not).
    for n, (customer, days, template) in enumerate([
            (c[0], 1, PROMO), (c[0], 3, PROMO), (c[3], 8, PROMO), (c[7], 12, PROMO),
            (c[0], 9, PROMO), (c[1], 1, UPDATE)]):
        sent = world.message(customer, cause=f"campaign:old{n}", template=template)
        world.set(Message, sent, state="sent", sent_at=now - timedelta(days=days))
    ids = [world.message(customer) for customer in c]
    ids += [world.message(c[0], template=UPDATE, step="utility"),
            world.message(None, to="+351912001111", step="nobody"),
            world.message(c[1], template=None, step="free"),
            world.message(c[2], send_by=now - timedelta(hours=1), step="late")]
    with world.app.app_context():
        session = db.session()
        from plugin.models import Store

        store = session.get(Store, world.store_id)
        assert store is not None
        messages = list(session.scalars(select(Message).where(Message.id.in_(ids))))
        many = send_context.load_many(session, messages, store, now)
        alone = {m.id: send_context.load(session, m, store, now) for m in messages}
        # The engine reads plain rows of the table: the same contexts.
        rows = list(session.execute(select(Message.__table__).where(
            Message.__table__.c.id.in_(ids))))
        from_rows = send_context.load_many(session, rows, store, now)  # type: ignore[arg-type]
    assert many == alone
    assert from_rows == alone
    assert alone[ids[0]].marketing_sent_this_week == 2  # the 1- and 3-day-old ones
    assert alone[ids[3]].at_risk and alone[ids[3]].marketing_sent_at_risk_period == 1


def test_a_lease_another_engine_took_over_is_not_renewed_or_sent(world: Sending) -> None:
    from plugin.infra.leases import claim_batch, renew_batch

    ids = [world.message(world.customer(n)) for n in range(3)]
    with world.app.app_context():
        now = db.utcnow()
        with db.transaction() as session:
            assert claim_batch(session, store_id=world.store_id, cause=CAUSE, now=now,
                               lease_seconds=60, limit=10) == ids
            # A second claim finds nothing due: every row is leased.
            assert claim_batch(session, store_id=world.store_id, cause=CAUSE, now=now,
                               lease_seconds=60, limit=10) == []
        ours = now + timedelta(seconds=60)
        # Our lease on the middle row ran out and another engine claimed it (its own time).
        world.set(Message, ids[1], lease_until=now + timedelta(seconds=75))
        with db.transaction() as session:
            held = renew_batch(session, ids, held_until=ours, until=ours + timedelta(60))
    assert held == [ids[0], ids[2]]
    assert world.row(ids[1]).lease_until == now + timedelta(seconds=75)
