"""A campaign's results agree with the Analytics page on the same data: clicked, replied
and opted out are the figures of the campaign's flow in the message rollups (a reply after
a later order update belongs to that update, not the campaign), and its last-touch orders
and revenue are the revenue rollups' and the attributed-orders list's for that flow, while
its recipients' orders within the attribution window are counted on their own."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask

from plugin.domain.events import EventKind
from plugin.infra import db
from plugin.models import Campaign, Customer, Message, Store
from plugin.pipeline import message_figures, revenue_figures, rollups
from plugin.pipeline.campaigns import controls, links, results
from tests.worlds import campaigns as world
from tests.worlds.analytics import live

T0 = datetime(2026, 12, 1, 10, 0, 0)


def _sent_campaign(app: Flask, monkeypatch: pytest.MonkeyPatch,
                   reachable: int) -> tuple[world.Clock, world.World, int]:
    """A campaign with a link, sent at T0 to `reachable` recipients."""
    rollups.forget_zones()
    clock = world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=reachable)
    campaign_id = world.create(app, w, link_url="https://camp.example/sale")
    with app.app_context(), db.transaction() as session:
        controls.start(session, session.get_one(Campaign, campaign_id), scheduled_at=None,
                       deadline_at=None)
    return clock, w, campaign_id


def _order_update(app: Flask, customer_id: int, n: int, at: datetime) -> int:
    """A shipping update (not the campaign) sent to the customer at `at`; its id."""
    with app.app_context(), db.transaction() as session:
        store_id = session.get_one(Customer, customer_id).store_id
        return live(session, store_id, n, f"order:{n}", "shipped", "sent", [],
                    created=at, customer_id=customer_id, sent=at)


def _results(app: Flask, campaign_id: int) -> results.Results:
    with app.app_context(), db.transaction() as session:
        return results.results(session, session.get_one(Campaign, campaign_id))


def _analytics(app: Flask, store_id: int, flow: str,
               now: datetime) -> message_figures.FlowFigures:
    """The Analytics page's message figures of one flow over the last 7 days."""
    with app.app_context():
        session = db.session()
        _period, flows = message_figures.figures(session, session.get_one(Store, store_id),
                                                 7, now=now)
    return next(f for f in flows if f.flow == flow)


def test_clicked_replied_and_opted_out_are_the_analytics_figures(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    clock, w, campaign_id = _sent_campaign(app, monkeypatch, reachable=5)
    a, b, c, d, e = w.reachable
    clock.now = T0 + timedelta(hours=1)
    with app.app_context():
        token = links.token(campaign_id, d)
        assert links.follow(token, count=True)
        assert links.follow(token, count=True)  # a second tap: one click of one message
    world.writes(app, a, "Is the blue one back?", T0 + timedelta(hours=1))
    world.writes(app, a, "Hello?", T0 + timedelta(hours=2))  # one message, one reply
    # b got the campaign, then an order update, then wrote: the reply is the update's.
    update = _order_update(app, b, 9001, T0 + timedelta(hours=2))
    world.writes(app, b, "Where is my parcel?", T0 + timedelta(hours=3))
    world.stops_marketing(app, c, T0 + timedelta(hours=1))  # WhatsApp's own control
    world.writes(app, e, "Hi", T0 + timedelta(days=2))  # after the reply window: no one's

    figures = _results(app, campaign_id)
    analytics = _analytics(app, w.store_id, figures.flow, now=T0 + timedelta(days=2))
    assert figures.flow == links.cause(campaign_id)
    assert (figures.clicked, figures.replied, figures.opted_out) == (1, 1, 1)
    assert (figures.clicked, figures.replied, figures.opted_out) == (
        analytics.clicked, analytics.replied, analytics.opted_out)
    assert figures.sent == analytics.sent == 5
    # b's reply is on Analytics, counted once, for the order update that took it.
    journey = _analytics(app, w.store_id, "journey:shipped", now=T0 + timedelta(days=2))
    assert journey.replied == 1
    with app.app_context():
        assert db.session().get_one(Message, update).replied_at == T0 + timedelta(hours=3)
        assert db.session().get_one(
            Message, world.message_to(app, campaign_id, b)).replied_at is None


def test_a_stop_written_back_is_a_reply_and_an_opt_out_on_both_pages(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    clock, w, campaign_id = _sent_campaign(app, monkeypatch, reachable=2)
    clock.now = T0 + timedelta(hours=1)
    world.writes(app, w.reachable[0], "STOP", T0 + timedelta(minutes=40))
    figures = _results(app, campaign_id)
    analytics = _analytics(app, w.store_id, figures.flow, now=clock.now)
    assert (figures.replied, figures.opted_out) == (1, 1)
    assert (analytics.replied, analytics.opted_out) == (1, 1)


def test_last_touch_revenue_is_the_analytics_figure_of_the_campaign(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    clock, w, campaign_id = _sent_campaign(app, monkeypatch, reachable=5)
    a, b, c, d, e = w.reachable
    # a reads the campaign and orders: the campaign's, in both figures.
    world.reports(app, world.message_to(app, campaign_id, a), "read",
                  T0 + timedelta(hours=1))
    clock.now = T0 + timedelta(hours=2)
    world.places_order(app, a, 1, "50.00", clock.now)
    # b clicks the campaign, then reads an order update, then orders: the update was the
    # last touch; the campaign still counts it among its recipients' orders.
    clock.now = T0 + timedelta(hours=3)
    with app.app_context():
        assert links.follow(links.token(campaign_id, b), count=True)
    update = _order_update(app, b, 9002, T0 + timedelta(hours=4))
    world.reports(app, update, "read", T0 + timedelta(hours=5))
    clock.now = T0 + timedelta(hours=6)
    world.places_order(app, b, 2, "30.00", clock.now)
    # c orders two days later without touching anything: a recipient's order only.
    clock.now = T0 + timedelta(days=2)
    world.places_order(app, c, 3, "20.00", clock.now)
    # d clicks the campaign, orders, then cancels: taken back out of the attributed.
    with app.app_context():
        assert links.follow(links.token(campaign_id, d), count=True)
    clock.now += timedelta(minutes=10)
    world.places_order(app, d, 4, "99.00", clock.now)
    clock.now += timedelta(hours=1)
    world.places_order(app, d, 4, "99.00", clock.now, kind=EventKind.ORDER_CANCELLED,
           status="cancelled")

    figures = _results(app, campaign_id)
    assert (figures.attributed_orders, figures.attributed_revenue) == (
        1, {"EUR": Decimal("50.00")})
    with app.app_context():
        session = db.session()
        period = message_figures.period(session.get_one(Store, w.store_id), 7, clock.now)
        lines = [x for x in revenue_figures.lines(session, w.store_id, period.first,
                                                  period.last) if x.flow == figures.flow]
        listed, total = revenue_figures.orders(session, w.store_id, period.first,
                                               period.last, flow=figures.flow)
    assert [(x.currency, x.orders, x.revenue) for x in lines] == [
        ("EUR", figures.attributed_orders, figures.attributed_revenue["EUR"])]
    assert total == figures.attributed_orders and [o.number for o in listed] == ["1001"]
    # The campaign's own figure: every recipient's order within its window (d's cancelled
    # one was still placed: that figure reads orders, not attributions).
    assert figures.orders == 4
    assert figures.revenue == {"EUR": Decimal("199.00")}
