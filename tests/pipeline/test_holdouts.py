"""Holdout groups: a campaign's or cart recovery's share of would-be recipients, chosen at
random, gets nothing (no outbox row, no request at the Graph fake), and is recorded; an order
within the window converts a member of either group, so the lift can be read."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.domain import attribution
from plugin.domain.campaigns import CampaignRefused
from plugin.domain.events import CustomerRef, EventKind, OrderEvent
from plugin.infra import db
from plugin.models import Campaign, Customer, Message, Store
from plugin.pipeline import holdouts, orders, transports
from plugin.pipeline.campaigns import controls, links
from tests.worlds import campaigns as world
from tests.worlds.attribution import members

T0 = datetime(2026, 12, 1, 10, 0, 0)


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every recipient the sandbox transport was asked to send to."""
    recipients: list[str] = []
    original = transports.SandboxTransport.send

    def counted(self: transports.SandboxTransport, payload: dict) -> str:  # type: ignore[type-arg]
        recipients.append(payload["to"])
        return original(self, payload)

    monkeypatch.setattr(transports.SandboxTransport, "send", counted)
    return recipients


def _order(app: Flask, store_id: int, customer_id: int, n: int, at: datetime) -> None:
    """The customer places an order at `at`, through the order pipeline."""
    with app.app_context(), db.transaction() as session:
        phone = session.get_one(Customer, customer_id).phone_e164
        orders.apply_order_event(session, session.get_one(Store, store_id), OrderEvent(
            kind=EventKind.ORDER_PLACED, order_id=f"h{n}", number=str(n), status="paid",
            currency="EUR", total=attribution.from_millis(10_000),
            customer=CustomerRef(platform_id=f"p{n}", phone=phone),
            placed_at=at.isoformat() + "+00:00"))


def test_a_campaigns_holdout_is_never_messaged_and_its_lift_is_counted(
        app: Flask, monkeypatch: pytest.MonkeyPatch, sends: list[str]) -> None:
    clock = world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=30, unreachable=2)
    campaign_id = world.create(app, w, holdout_percent=30)
    with app.app_context(), db.transaction() as session:
        controls.start(session, session.get_one(Campaign, campaign_id), scheduled_at=None,
                       deadline_at=None)
    for _ in range(3):
        world.tick(app, campaign_id)
        clock.now += timedelta(minutes=5)
    found = [m for m in members(app) if m.flow == links.cause(campaign_id)]
    held = {m.customer_id for m in found if m.holdout}
    messaged = {m.customer_id for m in found if not m.holdout}
    assert held and messaged and held | messaged == set(w.reachable)
    # Chosen by the rule, unit by unit: about the share asked for, never more than half.
    assert held == {c for c in w.reachable
                    if attribution.held_out(holdouts.campaign_unit(campaign_id, c), 30)}
    with app.app_context():
        session = db.session()
        rows = session.scalars(select(Message).where(
            Message.cause == links.cause(campaign_id))).all()
        assert {r.customer_id for r in rows} == messaged
        phones = {c.phone_e164 for c in session.scalars(
            select(Customer).where(Customer.id.in_(held)))}
    assert len(sends) == len(messaged) and not phones & set(sends)

    # One of each group orders within the window, one holdout after it.
    some_held, late_held = sorted(held)[:2]
    _order(app, w.store_id, some_held, 1, T0 + timedelta(days=1))
    _order(app, w.store_id, sorted(messaged)[0], 2, T0 + timedelta(days=2))
    _order(app, w.store_id, late_held, 3, T0 + timedelta(days=6))  # the campaign's 5 days
    with app.app_context():
        [lift] = holdouts.figures(db.session(), w.store_id, T0.date(), T0.date())
    assert (lift.messaged, lift.messaged_converted, lift.holdout, lift.holdout_converted) == (
        len(messaged), 1, len(held), 1)
    assert lift.lift == round(100 / len(messaged) - 100 / len(held), 1)
    # The held-out customer's order is cancelled: it converts no one any more.
    with app.app_context(), db.transaction() as session:
        orders.apply_order_event(session, session.get_one(Store, w.store_id), OrderEvent(
            kind=EventKind.ORDER_CANCELLED, order_id="h1", number="1", status="cancelled",
            currency="EUR", total=attribution.from_millis(10_000)))
    with app.app_context():
        [lift] = holdouts.figures(db.session(), w.store_id, T0.date(), T0.date())
    assert (lift.messaged_converted, lift.holdout_converted) == (1, 0)


def test_a_holdout_share_over_half_is_refused(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=2, unreachable=0)
    with pytest.raises(CampaignRefused) as refused:
        world.create(app, w, holdout_percent=51)
    assert [p.field for p in refused.value.problems] == ["holdout_percent"]
