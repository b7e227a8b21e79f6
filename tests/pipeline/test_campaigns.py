"""Campaigns through the pipeline: each reachable customer gets one message; a scheduled
campaign with a deadline sends nothing after it; pause and resume never send twice; a lost
run comes back through the sweeper; bad input is refused with nothing written."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from plugin.domain.campaigns import DEADLINE_PASSED, CampaignRefused
from plugin.domain.outbox import MessageState
from plugin.domain.policy import CAP_CLEARANCE
from plugin.infra import db
from plugin.models import Campaign, Customer, Message, Order, Store
from plugin.pipeline import send_engine, sweep, transports
from plugin.pipeline.campaigns import (
    codes,
    controls,
    delivery,
    links,
    materialise,
    results,
    runner,
)
from tests.worlds import campaigns as world

T0 = datetime(2026, 12, 1, 10, 0, 0)
SENT = (MessageState.SENT.value, MessageState.DELIVERED.value, MessageState.READ.value)


def _rows(app: Flask, campaign_id: int) -> list[Message]:
    with app.app_context(), db.transaction() as session:
        rows = list(session.scalars(select(Message).where(
            Message.cause == links.cause(campaign_id)).order_by(Message.id)))
        session.expunge_all()
        return rows


def _state(app: Flask, campaign_id: int) -> Campaign:
    with app.app_context(), db.transaction() as session:
        campaign = session.get_one(Campaign, campaign_id)
        session.expunge(campaign)
        return campaign


def _start(app: Flask, campaign_id: int, scheduled_at: datetime | None = None,
           deadline_at: datetime | None = None) -> int:
    with app.app_context(), db.transaction() as session:
        return controls.start(session, session.get_one(Campaign, campaign_id),
                              scheduled_at=scheduled_at, deadline_at=deadline_at)


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


def test_each_reachable_customer_gets_one_message(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                                  sends: list[str]) -> None:
    clock = world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=12, unreachable=3)
    campaign_id = world.create(app, w)
    assert _start(app, campaign_id) == 12
    world.tick(app, campaign_id)  # the sends are settled: done
    rows = _rows(app, campaign_id)
    assert sorted(r.customer_id for r in rows) == sorted(w.reachable)
    assert all(r.state == MessageState.SENT.value for r in rows)
    assert len(sends) == 12 and len(set(sends)) == 12
    campaign = _state(app, campaign_id)
    assert campaign.state == "done" and campaign.total == 12
    # The body carries the mapped values and the shared code; the button its link token.
    code = codes.code_for(campaign_id, None)
    body, button = rows[0].payload["template"]["components"]
    assert [p["text"] for p in body["parameters"]] == ["Ana", "20%", code]
    with app.app_context():
        assert links.read(button["parameters"][0]["text"]) == (campaign_id,
                                                               rows[0].customer_id)
    clock.now += timedelta(hours=1)
    world.tick(app, campaign_id)  # a stray tick after the end changes nothing
    assert len(sends) == 12


def test_a_scheduled_campaign_sends_nothing_after_its_deadline(
        app: Flask, monkeypatch: pytest.MonkeyPatch, sends: list[str]) -> None:
    clock = world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=30)
    campaign_id = world.create(app, w)
    start, deadline = T0 + timedelta(hours=1), T0 + timedelta(hours=1, minutes=10)
    with world.small_slices(monkeypatch, 10):
        _start(app, campaign_id, start, deadline)
        world.tick(app, campaign_id)  # before the start: nothing
        assert _rows(app, campaign_id) == [] and sends == []
        clock.now = start
        world.tick(app, campaign_id)  # preparing, then the first slice goes inline
        assert len(sends) == 10
        clock.now = start + timedelta(minutes=5)
        world.tick(app, campaign_id)
        assert len(sends) == 20
        clock.now = deadline
        world.tick(app, campaign_id)
        clock.now = deadline + timedelta(minutes=1)
        world.tick(app, campaign_id)
    rows = _rows(app, campaign_id)
    assert len(sends) == 20
    assert all(r.sent_at < deadline for r in rows if r.sent_at is not None)
    dropped = [r for r in rows if r.state == MessageState.SKIPPED.value]
    assert len(dropped) == 10 and {r.reason for r in dropped} == {DEADLINE_PASSED}
    assert _state(app, campaign_id).state == "done"


def test_a_run_first_picked_up_after_the_deadline_sends_nothing(
        app: Flask, monkeypatch: pytest.MonkeyPatch, sends: list[str]) -> None:
    clock = world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=5)
    campaign_id = world.create(app, w)
    _start(app, campaign_id, T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    clock.now = T0 + timedelta(hours=3)  # every worker was down until now
    with app.app_context():
        assert runner.enqueue_lost(clock.now) == 1  # the sweeper runs it (inline here)
    world.tick(app, campaign_id)
    assert sends == []
    assert _state(app, campaign_id).state == "done"


def test_pause_and_resume_never_send_twice(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                           sends: list[str]) -> None:
    clock = world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=30)
    campaign_id = world.create(app, w)
    queued: list[int] = []  # slices released whose send jobs wait, as on a busy worker

    def held_back(session, *, campaign_id: int, count: int) -> int:  # type: ignore[no-untyped-def]
        queued.append(count)
        return count

    monkeypatch.setattr(delivery, "send_released", held_back)
    with world.small_slices(monkeypatch, 10):
        _start(app, campaign_id)
        assert queued == [10] and sends == []
        with app.app_context():
            store_id = _state(app, campaign_id).store_id
            # Four of the slice go out before the pause…
            send_engine.send_pending(store_id=store_id, cause=links.cause(campaign_id), limit=4)
            with db.transaction() as session:
                controls.pause(session, session.get_one(Campaign, campaign_id))
            delivery.send_due(campaign_id)  # …and the job still queued runs after it
        assert len(sends) == 4
        world.tick(app, campaign_id)  # a paused campaign releases nothing
        assert queued == [10]
        with app.app_context(), db.transaction() as session:
            controls.resume(session, session.get_one(Campaign, campaign_id))
        for _ in range(8):
            clock.now += timedelta(seconds=1)
            world.tick(app, campaign_id)
            with app.app_context():
                for _job in queued:  # stale and new jobs alike, every time
                    delivery.send_due(campaign_id)
    assert sorted(sends) == sorted(set(sends)) and len(sends) == 30
    assert _state(app, campaign_id).state == "done"


def test_cancel_drops_what_is_not_sent(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                       sends: list[str]) -> None:
    world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=30)
    campaign_id = world.create(app, w)
    with world.small_slices(monkeypatch, 10):
        _start(app, campaign_id)
        with app.app_context(), db.transaction() as session:
            assert controls.cancel(session, session.get_one(Campaign, campaign_id)) == 20
        world.tick(app, campaign_id)
    assert len(sends) == 10
    assert _state(app, campaign_id).state == "cancelled"


def test_the_sweeper_recovers_a_lost_run(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                         sends: list[str]) -> None:
    clock = world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=20)
    campaign_id = world.create(app, w)
    with world.small_slices(monkeypatch, 10):
        _start(app, campaign_id)  # the first slice; the next tick's job is "lost"
        assert len(sends) == 10
        clock.now += timedelta(seconds=runner.LOST_AFTER_SECONDS + 5)
        with app.app_context():
            sweep.recover()  # queues the run (inline here): the rest goes out
    assert len(sends) == 20


def test_unique_codes_are_made_once_each(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                         sends: list[str]) -> None:
    world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=12)
    campaign_id = world.create(app, w, discount={"mode": "unique", "percent": 15,
                                                 "hours": 24})
    made: list[str] = []
    failures = iter([False] * 5 + [True])  # the store fails once, on the sixth code

    def create(store, code, percent, expires, *, single_use):  # type: ignore[no-untyped-def]
        from adapters.shopify.admin import Unavailable
        if next(failures, False):
            raise Unavailable("503 from the shop")
        assert single_use and percent == 15
        made.append(code)

    monkeypatch.setattr(codes, "_create", create)
    _start(app, campaign_id)
    assert sends == [], "no message before every code is made"
    assert _state(app, campaign_id).reason.startswith("discount codes: try 1/")
    world.tick(app, campaign_id)
    assert sorted(made) == sorted({codes.code_for(campaign_id, c) for c in w.reachable})
    assert len(sends) == 12
    rows = _rows(app, campaign_id)
    assert {r.payload["template"]["components"][0]["parameters"][2]["text"] for r in rows} \
        == set(made)


@pytest.mark.parametrize(("case", "field"), [
    ("empty_field", "var1"), ("nobody", "segment"), ("past", "scheduled_at"),
    ("deadline", "deadline_at")])
def test_bad_input_is_refused_with_nothing_written(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                                   case: str, field: str) -> None:
    world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=0 if case == "nobody" else 4,
                    first_name="" if case == "empty_field" else "Ana")
    campaign_id = world.create(app, w)
    start = {"past": T0 - timedelta(hours=1), "deadline": T0 + timedelta(hours=2)}.get(case)
    deadline = T0 + timedelta(hours=1) if case == "deadline" else None
    with pytest.raises(CampaignRefused) as refused:
        _start(app, campaign_id, start, deadline)
    assert field in {p.field for p in refused.value.problems}
    assert _rows(app, campaign_id) == []
    assert _state(app, campaign_id).state == "draft"


def test_a_fallback_text_fills_an_empty_field(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                              sends: list[str]) -> None:
    world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=3, first_name="")
    variables = [{"source": "field", "value": "first_name", "fallback": "friend"},
                 *world.VARIABLES[1:]]
    campaign_id = world.create(app, w, variables=variables)
    _start(app, campaign_id)
    body = _rows(app, campaign_id)[0].payload["template"]["components"][0]
    assert body["parameters"][0]["text"] == "friend"


def test_a_sending_campaign_cannot_be_edited(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                             sends: list[str]) -> None:
    world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=30)
    campaign_id = world.create(app, w)
    with world.small_slices(monkeypatch, 10):
        _start(app, campaign_id)
    with app.app_context(), db.transaction() as session:
        campaign = session.get_one(Campaign, campaign_id)
        with pytest.raises(CampaignRefused, match="cannot be changed while it is sending"):
            controls.save(session, session.get_one(Store, w.store_id), campaign,
                          world.draft(w, name="Other"))
    assert _state(app, campaign_id).name == "Spring sale"
    with app.app_context(), db.transaction() as session:
        assert session.scalar(select(func.count(Message.id)).where(
            Message.cause == links.cause(campaign_id))) == 30
        assert materialise.written(session, session.get_one(Campaign, campaign_id)) == 30
        assert session.scalar(select(func.count(Customer.id))) == 33



def test_results_count_each_figure_within_the_window(app: Flask,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     sends: list[str]) -> None:
    clock = world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=4)
    campaign_id = world.create(app, w, link_url="https://camp.example/sale")
    _start(app, campaign_id)
    a, b, c, d = w.reachable
    clock.now = T0 + timedelta(hours=1)
    with app.app_context():
        with db.transaction() as session:
            rows = {m.customer_id: m for m in session.scalars(select(Message).where(
                Message.cause == links.cause(campaign_id)))}
            rows[a].delivered_at = rows[a].read_at = T0 + timedelta(minutes=1)
            rows[b].delivered_at = T0 + timedelta(minutes=2)
        # Through WhatsApp's notifications, as Analytics counts them: a writes back after
        # the campaign, b wrote only the day before it, c stops marketing after it.
        world.writes(app, a, "Is the blue one back?", T0 + timedelta(hours=1))
        world.writes(app, b, "Hello", T0 - timedelta(days=1))
        world.stops_marketing(app, c, T0 + timedelta(minutes=30))
        with db.transaction() as session:
            for customer_id, number, total, at in (
                    (a, "1", "50.00", T0 + timedelta(days=1)),
                    (b, "2", "99.00", T0 + timedelta(days=6)),  # after the 5-day window
                    (c, "3", "10.00", T0 - timedelta(hours=1)),  # before the message
                    (d, "4", "20.50", T0 + timedelta(days=4, hours=23))):
                session.add(Order(store_id=w.store_id, platform_id=f"o{number}",
                                  number=number, customer_id=customer_id, status="placed",
                                  currency="EUR", total=total, created_at=at))
        token = links.token(campaign_id, a)
        first = links.follow(token, count=True)
        assert first == f"https://camp.example/sale?coupon={codes.code_for(campaign_id, None)}"
        links.follow(token, count=True)  # a double tap counts once
        links.follow(links.token(campaign_id, b), count=False)  # a HEAD: a link preview
        assert links.follow(token[:-2] + "00", count=True) is None  # a forged signature
        with db.transaction() as session:
            figures = results.results(session, session.get_one(Campaign, campaign_id))
    assert (figures.sent, figures.delivered, figures.read, figures.replied, figures.clicked,
            figures.opted_out, figures.orders) == (4, 2, 1, 1, 1, 1, 2)
    assert figures.revenue == {"EUR": Decimal("70.50")}


def test_the_t_link_counts_a_click_and_leads_to_the_sale(app: Flask,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         sends: list[str]) -> None:
    world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=2)
    campaign_id = world.create(app, w, link_url="https://camp.example/sale")
    _start(app, campaign_id)
    client = app.test_client()
    with app.app_context():
        token = links.token(campaign_id, w.reachable[0])
    assert client.head(f"/t/{token}").status_code == 302  # counted only on a GET
    response = client.get(f"/t/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://camp.example/sale?coupon=SC-")
    assert client.get(f"/t/{token[:-1]}x").status_code == 404
    with app.app_context(), db.transaction() as session:
        figures = results.results(session, session.get_one(Campaign, campaign_id))
    assert figures.clicked == 1


def test_capped_recipients_wait_for_their_cap_without_holding_back_the_rest(
        app: Flask, monkeypatch: pytest.MonkeyPatch, sends: list[str]) -> None:
    clock = world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=30)
    capped = w.reachable[:25]  # more than a tick's whole in-flight room
    with app.app_context(), db.transaction() as session:
        session.get_one(Store, w.store_id).marketing_weekly_cap = 1
        session.add_all([Message(store_id=w.store_id, customer_id=c, cause="campaign:old",
                                 step=f"customer:{c}", to="+351910000000",
                                 template=world.TEMPLATE, payload={}, state="sent",
                                 attempts=1, created_at=T0 - timedelta(days=1),
                                 sent_at=T0 - timedelta(days=1)) for c in capped])
    campaign_id = world.create(app, w)
    with world.small_slices(monkeypatch, 10):
        _start(app, campaign_id)
        for _ in range(10):
            clock.now += timedelta(seconds=1)
            world.tick(app, campaign_id)
        # The five under their cap went out; the capped wait six days, still the campaign's.
        assert len(sends) == 5
        rows = {r.customer_id: r for r in _rows(app, campaign_id)}
        assert {rows[c].state for c in capped} == {"pending"}
        assert {rows[c].not_before for c in capped} == {
            T0 + timedelta(days=6) + CAP_CLEARANCE}
        assert _state(app, campaign_id).state == "sending"
        clock.now = T0 + timedelta(days=6, seconds=1)
        for _ in range(6):
            clock.now += timedelta(seconds=1)
            world.tick(app, campaign_id)
    assert len(sends) == 30 and len(set(sends)) == 30
    assert _state(app, campaign_id).state == "done"
