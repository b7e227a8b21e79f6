"""The inbox in the JSON API, with a write token: list, read, reply under the window rules
(409 window_closed, the template path still open), assign, status, quick replies."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from plugin.auth import api_tokens
from plugin.auth.api_tokens import Scope
from plugin.infra import db
from plugin.models import Conversation, Template
from tests.worlds.inbox import InboxWorld


def _token(world: InboxWorld) -> dict[str, str]:
    with world.app.app_context(), db.transaction() as session:
        _, token = api_tokens.issue(session, world.store_id, "inbox", Scope.WRITE, "test")
    return {"Authorization": f"Bearer {token}"}


def _call(world: InboxWorld, method: str, path: str, body: Any = None) -> Any:
    world.app.extensions["storechat.limiter"].storage.reset()  # Meta's 6 s pair spacing
    return world.app.test_client().open(f"/api/v1{path}", method=method, json=body,
                                        headers=_token(world))


def _conversation_id(world: InboxWorld) -> int:
    with world.app.app_context():
        return db.session().scalars(select(Conversation.id)).one()


def test_list_read_and_reply_inside_the_window(inbox_world: InboxWorld) -> None:
    inbox_world.writes("Do you ship to Porto?", "wamid.API1", name="Ana")
    listed = _call(inbox_world, "GET", "/conversations?view=unassigned&q=ana").json
    [row] = listed["data"]
    assert row["name"] == "Ana" and row["unread"] == 1 and row["status"] == "open"
    sent = _call(inbox_world, "POST", f"/conversations/{row['id']}/messages",
                 {"text": "Yes, in two days."})
    assert sent.status_code == 201
    thread = _call(inbox_world, "GET", f"/conversations/{row['id']}/messages").json
    assert thread["window_open"] is True
    assert [(e["side"], e["text"]) for e in thread["data"]] == [
        ("in", "Do you ship to Porto?"), ("out", "Yes, in two days.")]
    assert thread["data"][1]["state"] == "sent"
    assert inbox_world.graph.sent[0].payload["text"]["body"] == "Yes, in two days."


def test_outside_the_window_free_form_is_409_and_a_template_goes(
        inbox_world: InboxWorld) -> None:
    inbox_world.deliver_fixture("message.json", "text")  # recorded in 2023
    with inbox_world.app.app_context(), db.transaction() as session:
        session.add(Template(store_id=inbox_world.store_id, name="order_help", language="en",
                             category="UTILITY", status="APPROVED",
                             components=[{"type": "BODY", "text": "Hi {{1}}"}]))
    path = f"/conversations/{_conversation_id(inbox_world)}/messages"
    refused = _call(inbox_world, "POST", path, {"text": "Hello"})
    assert refused.status_code == 409 and refused.json["code"] == "window_closed"
    assert "approved template" in refused.json["detail"]
    too_long = _call(inbox_world, "POST", path, {"type": "template", "template": "order_help",
                                                 "language": "en", "values": []})
    assert too_long.status_code == 422 and "needs 1 value" in too_long.json["detail"]
    sent = _call(inbox_world, "POST", path, {"type": "template", "template": "order_help",
                                             "language": "en", "values": ["Ana"]})
    assert sent.status_code == 201
    assert [s.payload["type"] for s in inbox_world.graph.sent] == ["template"]


def test_a_reply_over_4096_characters_is_refused(inbox_world: InboxWorld) -> None:
    inbox_world.writes("hi", "wamid.API2")
    path = f"/conversations/{_conversation_id(inbox_world)}/messages"
    refused = _call(inbox_world, "POST", path, {"text": "x" * 4097})
    assert refused.status_code == 422 and "at most 4,096" in refused.json["detail"]
    assert inbox_world.graph.sent == []


def test_assign_status_and_quick_replies(inbox_world: InboxWorld) -> None:
    inbox_world.writes("hi", "wamid.API3", name="Ana")
    conversation = _conversation_id(inbox_world)
    assigned = _call(inbox_world, "POST", f"/conversations/{conversation}/assign",
                     {"assignee_id": inbox_world.owner_id})
    assert assigned.status_code == 200 and assigned.json["assignee_id"] == inbox_world.owner_id
    stranger = _call(inbox_world, "POST", f"/conversations/{conversation}/assign",
                     {"assignee_id": inbox_world.owner_id + 100})
    assert stranger.status_code == 422
    resolved = _call(inbox_world, "POST", f"/conversations/{conversation}/status",
                     {"status": "resolved"})
    assert resolved.json["status"] == "resolved"
    past = _call(inbox_world, "POST", f"/conversations/{conversation}/status",
                 {"status": "snoozed", "snoozed_until": "2020-01-01T00:00:00Z"})
    assert past.status_code == 422
    saved = _call(inbox_world, "POST", "/quick-replies",
                  {"shortcut": "/hi", "body": "Hello {{customer_name}}!"})
    assert saved.status_code == 201 and saved.json["shortcut"] == "hi"
    assert [r["shortcut"] for r in _call(inbox_world, "GET", "/quick-replies").json["data"]] \
        == ["hi"]
    _call(inbox_world, "POST", f"/conversations/{conversation}/messages", {"text": "/hi"})
    assert inbox_world.graph.sent[0].payload["text"]["body"] == "Hello Ana!"


def test_another_stores_conversation_is_not_found(inbox_world: InboxWorld) -> None:
    inbox_world.writes("hi", "wamid.API4")
    missing = _call(inbox_world, "GET", f"/conversations/{_conversation_id(inbox_world) + 99}"
                                        "/messages")
    assert missing.status_code == 404 and missing.json["code"] == "not_found"
