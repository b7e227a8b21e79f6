"""The fake Graph API behaves like Meta where our code depends on it: it refuses bodies over
WhatsApp's documented limits with Meta's error shape, and its status webhooks are signed and
batched like Meta's, carry biz_opaque_callback_data back, and move our messages forward
through the real POST /webhooks/whatsapp."""
from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import select, update

from adapters.whatsapp import messages as wm
from adapters.whatsapp.client import CloudClient
from plugin.infra import db
from plugin.models import Message, Store
from tests.conftest import make_app
from tests.fakes.graph import FakeGraph, sign
from tests.fakes.server import LoopbackServer
from webhooks.whatsapp import signature_valid

PNID, WABA, TOKEN = "106540352242922", "102290129340398", "EAAG-test-token-0123456789"
APP_SECRET = "meta-app-secret"
TO = "351912345678"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, list[FakeGraph]]]:
    current: list[FakeGraph] = []
    with LoopbackServer(lambda environ, start: current[-1](environ, start)) as server:
        yield server.url, current


@pytest.fixture
def fake(served) -> FakeGraph:  # type: ignore[no-untyped-def]
    graph = FakeGraph()
    graph.add_waba(WABA, TOKEN, PNID)
    served[1].append(graph)
    return graph


def _send_raw(url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{url}/v23.0/{PNID}/messages", json=body,
                      headers={"Authorization": f"Bearer {TOKEN}"})


def _over(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `body` with the value at `path` replaced."""
    changed = copy.deepcopy(body)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


LIST = wm.interactive_list(TO, "b", "Open", [wm.Section(title="S", rows=[
    wm.Row(id="a", title="A")])])
BUTTONS = wm.reply_buttons(TO, "b", [wm.ReplyButton(id="a", title="A")])
MULTI = wm.multi_product(TO, "1", "h", "b", [wm.ProductSection(title="S",
                                                               product_retailer_ids=["p"])])
OVER_LIMITS = [
    ("text 4097", _over(wm.text(TO, "x"), ("text", "body"), "x" * 4097), 131009, "4096"),
    ("callback 513", _over(wm.text(TO, "x"), ("biz_opaque_callback_data",), "c" * 513),
     131009, "512"),
    ("row title 25", _over(LIST, ("interactive", "action", "sections", 0, "rows", 0, "title"),
                           "t" * 25), 131009, "24"),
    ("row id 201", _over(LIST, ("interactive", "action", "sections", 0, "rows", 0, "id"),
                         "i" * 201), 131009, "200"),
    ("row description 73", _over(LIST, ("interactive", "action", "sections", 0, "rows", 0,
                                        "description"), "d" * 73), 131009, "72"),
    ("11 rows", _over(LIST, ("interactive", "action", "sections", 0, "rows"),
                      [{"id": str(i), "title": str(i)} for i in range(11)]), 131009, "10"),
    ("11 sections", _over(LIST, ("interactive", "action", "sections"),
                          [{"title": str(i), "rows": [{"id": str(i), "title": "t"}]}
                           for i in range(11)]), 131009, "10"),
    ("list button 21", _over(LIST, ("interactive", "action", "button"), "b" * 21), 131009, "20"),
    ("list body 1025", _over(LIST, ("interactive", "body", "text"), "b" * 1025), 131009, "1024"),
    ("4 buttons", _over(BUTTONS, ("interactive", "action", "buttons"),
                        [{"type": "reply", "reply": {"id": str(i), "title": str(i)}}
                         for i in range(4)]), 131009, "3"),
    ("button title 21", _over(BUTTONS, ("interactive", "action", "buttons", 0, "reply",
                                        "title"), "t" * 21), 131009, "20"),
    ("button id 257", _over(BUTTONS, ("interactive", "action", "buttons", 0, "reply", "id"),
                            "i" * 257), 131009, "256"),
    ("31 products", _over(MULTI, ("interactive", "action", "sections", 0, "product_items"),
                          [{"product_retailer_id": str(i)} for i in range(31)]), 131009, "30"),
    ("product section title 25", _over(MULTI, ("interactive", "action", "sections", 0, "title"),
                                       "s" * 25), 131009, "24"),
    ("caption 1025", _over(wm.media(TO, "image", "1"), ("image", "caption"), "c" * 1025),
     131009, "1024"),
    ("sticker caption", _over(wm.media(TO, "sticker", "1"), ("sticker", "caption"), "hi"),
     100, "caption"),
    ("location action", _over(wm.location_request(TO, "where?"), ("interactive", "action"),
                              {"name": "share"}), 100, "send_location"),
    ("newline parameter", _over(wm.template(TO, "t", "en", body=[wm.text_parameter("a")]),
                                ("template", "components", 0, "parameters", 0, "text"), "a\nb"),
     132018, "new-line"),
    ("no messaging_product", _over(wm.text(TO, "x"), ("messaging_product",), "sms"), 100,
     "messaging_product"),
]


@pytest.mark.parametrize(("case", "body", "code", "words"), OVER_LIMITS,
                         ids=[c[0] for c in OVER_LIMITS])
def test_bodies_over_limits_are_refused_like_meta(served, fake, case, body, code,  # type: ignore[no-untyped-def]
                                                  words) -> None:
    response = _send_raw(served[0], body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert error["type"] == "OAuthException" and error["fbtrace_id"]
    assert words in error["error_data"]["details"]
    assert fake.sent == []


def test_a_bad_token_is_190(served, fake) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(f"{served[0]}/v23.0/{PNID}/messages", json=wm.text(TO, "x"),
                          headers={"Authorization": "Bearer nope"})
    assert (response.status_code, response.json()["error"]["code"]) == (401, 190)


def test_templates_page_with_limit_and_after(served, fake) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        fake.add_template(WABA, f"t{n}", "en")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    first = httpx.get(f"{served[0]}/v23.0/{WABA}/message_templates",
                      params={"limit": 2, "fields": "name,status"}, headers=headers).json()
    assert [t["name"] for t in first["data"]] == ["t0", "t1"]
    assert set(first["data"][0]) == {"name", "status", "id"}
    assert "next" in first["paging"]
    second = httpx.get(first["paging"]["next"], headers=headers).json()
    assert [t["name"] for t in second["data"]] == ["t2", "t3"]
    last = httpx.get(f"{served[0]}/v23.0/{WABA}/message_templates", headers=headers, params={
        "limit": 2, "after": second["paging"]["cursors"]["after"]}).json()
    assert [t["name"] for t in last["data"]] == ["t4"] and "next" not in last["paging"]


# Status webhooks through our own receiver ---------------------------------------------------

@pytest.fixture
def app(tmp_path: Path, served, fake) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    application = make_app(tmp_path / "instance", whatsapp_graph_url=served[0],
                           whatsapp_app_secret=APP_SECRET)
    yield application
    application.extensions["storechat.engine"].dispose()


def _sent_messages(app: Flask, fake: FakeGraph, count: int) -> list[int]:
    """`count` outbox rows, each sent through the fake with its id as callback data."""
    ids = []
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="shop.example")
        session.add(store)
        session.flush()
        for n in range(count):
            message = Message(store_id=store.id, cause=f"order:{n}", step="order_confirmation",
                              to=f"35191234567{n}", state="sent", transport="cloud")
            session.add(message)
            session.flush()
            ids.append(message.id)
    with httpx.Client() as http, app.app_context():
        client = CloudClient(http, app.config["STORECHAT"].whatsapp_graph_url, "v23.0")
        for n, message_id in enumerate(ids):
            body = wm.text(f"35191234567{n}", "Your order is confirmed",
                           callback_data=f"storechat:{message_id}")
            wamid = client.send_message(PNID, TOKEN, body)
            with db.transaction() as session:
                session.execute(update(Message).where(Message.id == message_id)
                                .values(wamid=wamid))
    return ids


def _states(app: Flask) -> dict[int, str]:
    with app.app_context():
        return {m.id: m.state for m in db.session().scalars(select(Message))}


def _webhook(app: Flask) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://storechat")


def test_status_webhooks_are_batched_signed_and_carry_our_ids(app: Flask, fake: FakeGraph) -> None:
    ids = _sent_messages(app, fake, 3)
    bodies = fake.status_notifications(("sent", "delivered", "read"))
    assert len(bodies) == 3  # one delivery per status, each batching all three messages
    for body, status in zip(bodies, ("sent", "delivered", "read"), strict=True):
        data = json.loads(body)
        [entry] = data["entry"]
        [change] = entry["changes"]
        assert (data["object"], entry["id"], change["field"]) == (
            "whatsapp_business_account", WABA, "messages")
        assert change["value"]["metadata"]["phone_number_id"] == PNID
        statuses = change["value"]["statuses"]
        assert [s["status"] for s in statuses] == [status] * 3
        assert [s["biz_opaque_callback_data"] for s in statuses] == [f"storechat:{i}" for i in ids]
        assert signature_valid(APP_SECRET, body, sign(body, APP_SECRET))


def test_our_webhook_accepts_them_and_messages_move_forward(app: Flask, fake: FakeGraph) -> None:
    ids = _sent_messages(app, fake, 2)
    with _webhook(app) as http:
        assert fake.send_statuses("http://storechat/webhooks/whatsapp", APP_SECRET,
                                  ("sent", "delivered"), http=http) == [200, 200]
        assert set(_states(app).values()) == {"delivered"}
        # Matched by our id even when the wamid was never recorded (a crash after the send).
        with app.app_context(), db.transaction() as session:
            session.execute(update(Message).where(Message.id == ids[0]).values(wamid=None))
        assert fake.send_statuses("http://storechat/webhooks/whatsapp", APP_SECRET, ("read",),
                                  http=http) == [200]
    assert _states(app) == {ids[0]: "read", ids[1]: "read"}


def test_a_wrongly_signed_batch_is_refused_and_changes_nothing(app: Flask,
                                                               fake: FakeGraph) -> None:
    _sent_messages(app, fake, 1)
    with _webhook(app) as http:
        assert fake.send_statuses("http://storechat/webhooks/whatsapp", "not-the-secret",
                                  ("delivered",), http=http) == [401]
    assert set(_states(app).values()) == {"sent"}


def test_a_failed_status_keeps_the_code(app: Flask, fake: FakeGraph) -> None:
    [message_id] = _sent_messages(app, fake, 1)
    with app.app_context(), db.transaction() as session:
        session.execute(update(Message).values(state="sending"))
    with _webhook(app) as http:
        fake.send_statuses("http://storechat/webhooks/whatsapp", APP_SECRET, ("failed",),
                           error=(131026, "Message undeliverable"), http=http)
    with app.app_context():
        message = db.session().get(Message, message_id)
        assert (message.state, message.error_code) == ("failed", 131026)
        assert "Message undeliverable" in message.reason
