"""Status-webhook reconciliation: a message whose sender died mid-send is held for the
reconciliation grace, Meta's `sent` status (echoing our id in biz_opaque_callback_data)
marks it sent with no second send, and only a grace without any status sends it again.
Through the batch engine and the single send path alike, with the fake Graph reporting
statuses as Meta does (late, out of order, twice)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.whatsapp.client import CloudClient
from plugin.infra import db
from plugin.infra.leases import claim_batch
from plugin.pipeline import send
from plugin.pipeline.send_engine import send_pending
from tests.fakes.graph_statuses import StatusPoster, sign, status_body, status_item
from tests.worlds.analytics import brute_force, rolled_up
from tests.worlds.sending import CAUSE, PHONE_NUMBER_ID, TOKEN, UPDATE, Sending, sending_world

APP_SECRET = "reconcile-app-secret"
LEASE, GRACE = 60, 90
T0 = datetime(2026, 12, 1, 12, 0)
LAPSED = T0 + timedelta(seconds=LEASE + 1)  # the lease ran out, the grace has not
AFTER_GRACE = T0 + timedelta(seconds=LEASE + GRACE + 1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Sending]:
    with sending_world(tmp_path, lease_seconds=LEASE, reconcile_grace_seconds=GRACE,
                       whatsapp_app_secret=APP_SECRET) as sending:
        yield sending


def _statuses(world: Sending, **quirks: object) -> StatusPoster:
    """The fake reports statuses to the app's webhook (driven by hand: drain)."""
    http = httpx.Client(transport=httpx.WSGITransport(app=world.app))
    return world.graph.post_statuses_to("http://storechat.test/webhooks/whatsapp", APP_SECRET,
                                        http=http, thread=False, **quirks)  # type: ignore[arg-type]


def _at(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    monkeypatch.setattr(db, "utcnow", lambda: now)


def _die_after_sending(world: Sending, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """An engine leases every due row at T0, sends them all, and dies before recording."""
    _at(monkeypatch, T0)
    with world.app.app_context():
        with db.transaction() as session:
            ids = claim_batch(session, store_id=world.store_id, cause=CAUSE, now=T0,
                              lease_seconds=LEASE, limit=100, grace_seconds=GRACE)
        client = CloudClient(httpx.Client(), world.app.config["STORECHAT"].whatsapp_graph_url,
                             "v23.0")
        for row in world.rows():
            client.send_message(PHONE_NUMBER_ID, TOKEN,
                                dict(row.payload, biz_opaque_callback_data=f"storechat:{row.id}"))
    return ids


def _engine(world: Sending) -> int:
    with world.app.app_context():
        return send_pending(store_id=world.store_id, cause=CAUSE, limit=100)


def test_a_status_during_the_grace_marks_a_dead_engines_send_sent_without_a_resend(
        world: Sending, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = [world.message(world.customer(n), template=UPDATE) for n in range(3)]
    poster = _statuses(world, late=(0.0, 1.0), twice=0.5)
    _die_after_sending(world, monkeypatch)
    _at(monkeypatch, LAPSED)
    assert _engine(world) == 0  # lapsed, but held for the grace: not sent again
    assert [r.state for r in world.rows()] == ["sending"] * 3
    poster.drain()  # sent and delivered, in any order, some twice
    assert all(answer == 200 for answer in poster.answers)
    _at(monkeypatch, AFTER_GRACE)
    assert _engine(world) == 0
    rows = world.rows()
    assert [r.state for r in rows] == ["delivered"] * 3
    assert [r.wamid for r in rows] == [s.wamid for s in world.graph.sent]
    assert sorted(world.graph.callback_ids()) == sorted(f"storechat:{i}" for i in ids)
    with world.app.app_context():
        session = db.session()
        assert rolled_up(session, world.store_id) == brute_force(session, world.store_id)


def test_without_any_status_the_grace_ends_and_the_message_is_sent_once_more(
        world: Sending, monkeypatch: pytest.MonkeyPatch) -> None:
    lost = world.message(world.customer(1), template=UPDATE)
    _die_after_sending(world, monkeypatch)  # Meta never reports it (no poster)
    _at(monkeypatch, AFTER_GRACE - timedelta(seconds=2))
    assert _engine(world) == 0
    _at(monkeypatch, AFTER_GRACE)
    assert _engine(world) == 1
    assert world.row(lost).state == "sent"
    assert world.graph.callback_ids() == [f"storechat:{lost}"] * 2


def test_the_single_send_path_holds_a_lapsed_send_for_the_grace_too(
        world: Sending, monkeypatch: pytest.MonkeyPatch) -> None:
    message = world.message(world.customer(1), template=UPDATE)
    poster = _statuses(world, statuses=("sent",), twice=0.0)
    _die_after_sending(world, monkeypatch)
    _at(monkeypatch, LAPSED)
    with world.app.app_context():
        send.send_message(message)
    assert len(world.graph.sent) == 1 and world.row(message).state == "sending"
    poster.drain()
    _at(monkeypatch, AFTER_GRACE)
    with world.app.app_context():
        send.send_message(message)
    assert len(world.graph.sent) == 1 and world.row(message).state == "sent"


@pytest.mark.parametrize("path", ["engine", "single"])
def test_a_status_that_overtakes_the_answer_is_counted_once_and_keeps_the_transport(
        world: Sending, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    message = world.message(world.customer(1), template=UPDATE)
    poster = _statuses(world, statuses=("sent",), twice=0.0)
    accepted = poster.accepted

    def report_before_answering(*args: object) -> None:
        accepted(*args)  # type: ignore[arg-type]
        poster.drain()  # Meta's webhook arrives before its HTTP answer

    monkeypatch.setattr(poster, "accepted", report_before_answering)
    with world.app.app_context():
        if path == "engine":
            send_pending(store_id=world.store_id, cause=CAUSE, limit=10)
        else:
            send.send_message(message)
        session = db.session()
        assert rolled_up(session, world.store_id) == brute_force(session, world.store_id)
    row = world.row(message)
    assert (row.state, row.wamid, row.transport) == ("sent", world.graph.sent[0].wamid,
                                                     "cloud")
    assert len(world.graph.sent) == 1
    assert world.graph.sent[0].payload["biz_opaque_callback_data"] == f"storechat:{message}"


def test_one_delivery_batching_a_messages_statuses_out_of_order_and_twice_counts_each_once(
        world: Sending, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = (world.message(world.customer(n), template=UPDATE) for n in (1, 2))
    _die_after_sending(world, monkeypatch)
    sent = {int(s.payload["biz_opaque_callback_data"][10:]): s for s in world.graph.sent}
    items = [status_item(sent[first].wamid, sent[first].payload, status, 1_796_000_000 + n)
             for n, status in enumerate(["read", "delivered", "sent", "sent"])]
    # The second's `failed` names no callback data, as Meta's do: found by wamid only
    # once its `sent` in the same body gave the row that wamid.
    items += [status_item(sent[second].wamid, sent[second].payload, "sent", 1_796_000_000),
              status_item(sent[second].wamid, {}, "failed", 1_796_000_001)]
    body = status_body("1", "+1 555-010-0100", PHONE_NUMBER_ID, items)
    with httpx.Client(transport=httpx.WSGITransport(app=world.app)) as http:
        answer = http.post("http://storechat.test/webhooks/whatsapp", content=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": sign(body, APP_SECRET)})
    assert answer.status_code == 200
    one, two = world.row(first), world.row(second)
    assert (one.state, one.wamid, one.lease_until) == ("read", sent[first].wamid, None)
    assert one.sent_at and one.delivered_at and one.read_at
    assert (two.state, two.error_code) == ("failed", 131026)
    with world.app.app_context():
        session = db.session()
        assert rolled_up(session, world.store_id) == brute_force(session, world.store_id)
