"""What a shopper does after a message moves the Analytics figure once: a click through the
real /t/<token> route (a HEAD and a second tap add nothing), a reply and a STOP through
Meta's signed webhook (a second reply or STOP adds nothing)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from flask import Flask

from plugin.infra import db
from plugin.models import Campaign, Customer
from plugin.pipeline import rollups
from plugin.pipeline.campaigns import controls, links
from tests.worlds import campaigns as world
from tests.worlds.analytics import live, rolled_up
from tests.worlds.inbox import SHOPPER, InboxWorld

T0 = datetime(2026, 12, 1, 10, 0, 0)


def _figure(app: Flask, store_id: int, flow: str, figure: str) -> int:
    with app.app_context():
        found = rolled_up(db.session(), store_id)
    return sum(n for (_day, f, fig, _detail), n in found.items() if f == flow and fig == figure)


def _totals(app: Flask, store_id: int) -> Counter[str]:
    with app.app_context():
        found = rolled_up(db.session(), store_id)
    totals: Counter[str] = Counter()
    for (_day, _flow, figure, _detail), n in found.items():
        totals[figure] += n
    return totals


def test_a_click_through_the_t_link_counts_once(app: Flask,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    rollups.forget_zones()
    world.Clock(monkeypatch, T0)
    w = world.build(app, reachable=2)
    campaign_id = world.create(app, w, link_url="https://camp.example/sale")
    with app.app_context(), db.transaction() as session:  # its messages are sent
        controls.start(session, session.get_one(Campaign, campaign_id), scheduled_at=None,
                       deadline_at=None)
    with app.app_context():
        token = links.token(campaign_id, w.reachable[0])
    flow = links.cause(campaign_id)
    client = app.test_client()
    assert client.head(f"/t/{token}").status_code == 302  # a link preview: no click
    assert _figure(app, w.store_id, flow, "clicked") == 0
    assert client.get(f"/t/{token}").status_code == 302
    assert _figure(app, w.store_id, flow, "clicked") == 1
    assert client.get(f"/t/{token}").status_code == 302  # a second tap
    assert _figure(app, w.store_id, flow, "clicked") == 1


def _sent_to_shopper(w: InboxWorld, cause: str) -> None:
    """A message the shopper received an hour ago, written through the outbox."""
    rollups.forget_zones()
    with w.app.app_context(), db.transaction() as session:
        customer = Customer(store_id=w.store_id, platform_id="c1", tags=[],
                            wa_id=SHOPPER, phone_e164=f"+{SHOPPER}")
        session.add(customer)
        session.flush()
        an_hour_ago = db.utcnow() - timedelta(hours=1)
        live(session, w.store_id, 1, cause, "c", "sent", [("delivered", None)],
             created=an_hour_ago, customer_id=customer.id, sent=an_hour_ago)


def test_a_reply_through_the_webhook_counts_once(inbox_world: InboxWorld) -> None:
    w = inbox_world
    _sent_to_shopper(w, "campaign:41")
    assert _figure(w.app, w.store_id, "campaign:41", "replied") == 0
    w.writes("Is the blue one back?", "wamid.reply-1")
    assert _figure(w.app, w.store_id, "campaign:41", "replied") == 1
    w.writes("Is the blue one back?", "wamid.reply-1")  # Meta delivers it again
    w.writes("Hello?", "wamid.reply-2")
    assert _figure(w.app, w.store_id, "campaign:41", "replied") == 1
    assert _totals(w.app, w.store_id)["opted_out"] == 0


def test_a_stop_through_the_webhook_counts_once(inbox_world: InboxWorld) -> None:
    w = inbox_world
    _sent_to_shopper(w, "campaign:42")
    w.writes("STOP", "wamid.stop-1")
    assert _figure(w.app, w.store_id, "campaign:42", "opted_out") == 1
    w.writes("STOP", "wamid.stop-2")
    assert _totals(w.app, w.store_id)["opted_out"] == 1
