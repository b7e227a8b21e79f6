"""The inbox pages through the signed webhook and the fake Graph: every kind shown, replies
inside the window sent free-form and refused outside it with the template path offered,
quick replies filled in, media only for the store's people, hostile text shown as text,
and the open page's updates answered 304 until something changes."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Conversation, Customer, Order, ReceivedMessage, Template
from tests.conftest import create_owner, csrf_token, sign_in
from tests.worlds.inbox import SHOPPER, TOKEN, InboxWorld

SCRIPT = '<script>alert("x")</script><b>bold</b>'


def _conversation(world: InboxWorld) -> int:
    with world.app.app_context():
        return db.session().scalars(select(Conversation.id)).one()


def _page(world: InboxWorld, conversation_id: int | None = None) -> str:
    url = f"/stores/{world.store_id}/inbox" + (f"?c={conversation_id}" if conversation_id
                                                 else "")
    response = world.client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _post(world: InboxWorld, conversation_id: int, what: str, **form: object) -> str:
    data = {"csrf_token": csrf_token(world.client, f"/stores/{world.store_id}/inbox"), **form}
    # Meta's pair limit spaces messages to one shopper by 6 s: the test's time has passed.
    world.app.extensions["storechat.limiter"].storage.reset()
    response = world.client.post(
        f"/stores/{world.store_id}/inbox/{conversation_id}/{what}", data=data,
        follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("file", "name", "shown"), [
    ("message.json", "text", "Body Text"),
    ("message.json", "current_location", "openstreetmap.org/?mlat=12.25089&amp;mlon=43.90539"),
    ("message.json", "contacts", "Chandler Bing"),
    ("message.json", "reaction", "\U0001f62e"),
    ("message.json", "order", "item(s) from the catalog"),
    ("message.json", "unsupported", "unsupported"),
    ("callback_button.json", "quick_reply", "interactive"),
])
def test_received_kinds_are_shown_in_the_conversation(
        inbox_world: InboxWorld, file: str, name: str, shown: str) -> None:
    inbox_world.deliver_fixture(file, name)
    assert "Test Name" in _page(inbox_world)  # the list names the new customer
    assert shown in _page(inbox_world, _conversation(inbox_world))


def test_a_reply_inside_the_window_goes_out_free_form(inbox_world: InboxWorld) -> None:
    inbox_world.writes("Where is my parcel?", "wamid.IN1")
    conversation = _conversation(inbox_world)
    page = _post(inbox_world, conversation, "reply", text="It left this morning.")
    [sent] = inbox_world.graph.sent
    assert sent.payload["type"] == "text"
    assert sent.payload["text"]["body"] == "It left this morning."
    assert sent.payload["to"] == SHOPPER
    assert "It left this morning." in page and "Service window" in page


def test_outside_the_window_a_reply_is_refused_and_templates_offered(
        inbox_world: InboxWorld) -> None:
    inbox_world.deliver_fixture("message.json", "text")  # recorded in 2023: long closed
    with inbox_world.app.app_context(), db.transaction() as session:
        session.add(Template(store_id=inbox_world.store_id, name="order_help", language="en",
                             category="UTILITY", status="APPROVED",
                             components=[{"type": "BODY", "text": "Hi {{1}}, about your order"}]))
    conversation = _conversation(inbox_world)
    page = _page(inbox_world, conversation)
    assert "The 24-hour window is closed" in page and 'name="text"' not in page
    assert "order_help (en)" in page
    refused = _post(inbox_world, conversation, "reply", text="Hello again")
    assert "only lets an approved template reach them" in refused
    assert inbox_world.graph.sent == []
    _post(inbox_world, conversation, "reply", mode="template", template="order_help|en",
          variable=["Ana"])
    [sent] = inbox_world.graph.sent
    assert sent.payload["type"] == "template"
    assert sent.payload["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "Ana"}]


def test_a_reply_over_metas_limit_is_refused(inbox_world: InboxWorld) -> None:
    inbox_world.writes("hi", "wamid.IN2")
    conversation = _conversation(inbox_world)
    page = _post(inbox_world, conversation, "reply", text="x" * 4097)
    assert "4,097 characters long; WhatsApp takes at most 4,096" in page
    assert inbox_world.graph.sent == []
    _post(inbox_world, conversation, "reply", text="y" * 4096)
    assert len(inbox_world.graph.sent[0].payload["text"]["body"]) == 4096


def test_buttons_lists_and_location_requests_use_the_checked_builders(
        inbox_world: InboxWorld) -> None:
    inbox_world.writes("hi", "wamid.IN3")
    conversation = _conversation(inbox_world)
    _post(inbox_world, conversation, "reply", mode="buttons", text="Which size?",
          button=["S", "M", "L"])
    _post(inbox_world, conversation, "reply", mode="list", text="Pick one",
          list_button="Sizes", row=[f"Size {i}" for i in range(10)])
    _post(inbox_world, conversation, "reply", mode="location", text="Where do we deliver?")
    kinds = [s.payload["interactive"]["type"] for s in inbox_world.graph.sent]
    assert kinds == ["button", "list", "location_request_message"]
    page = _post(inbox_world, conversation, "reply", mode="list", text="Too many",
                 row=[f"r{i}" for i in range(11)])
    assert "List message: a list message has 1–10 rows" in page
    assert len(inbox_world.graph.sent) == 3


def test_quick_replies_expand_with_the_conversations_values(inbox_world: InboxWorld) -> None:
    inbox_world.writes("hello", "wamid.IN4", name="Ana")
    with inbox_world.app.app_context(), db.transaction() as session:
        customer = session.scalars(select(Customer)).one()
        session.add(Order(store_id=inbox_world.store_id, platform_id="o-9", number="1042",
                          customer_id=customer.id, status="fulfilled", currency="EUR",
                          total="20.00", tracking={"url": "https://track.example/1042"}))
    form = {"csrf_token": csrf_token(inbox_world.client, "/"), "shortcut": "/where",
            "body": "Hi {{customer_name}}, order {{order_number}}: {{tracking_link}}"}
    inbox_world.client.post(f"/stores/{inbox_world.store_id}/inbox/quick-replies", data=form)
    _post(inbox_world, _conversation(inbox_world), "reply", text="/where")
    [sent] = inbox_world.graph.sent
    assert sent.payload["text"]["body"] == "Hi Ana, order 1042: https://track.example/1042"


def test_quick_reply_library_refuses_unknown_variables_and_a_51st(
        inbox_world: InboxWorld) -> None:
    url = f"/stores/{inbox_world.store_id}/inbox/quick-replies"
    token = csrf_token(inbox_world.client, url)
    page = inbox_world.client.post(url, data={"csrf_token": token, "shortcut": "x",
                                              "body": "Hi {{password}}"},
                                   follow_redirects=True).get_data(as_text=True)
    assert "Unknown variable {{password}}" in page
    for i in range(50):
        inbox_world.client.post(url, data={"csrf_token": token, "shortcut": f"r{i}",
                                           "body": "ok"})
    page = inbox_world.client.post(url, data={"csrf_token": token, "shortcut": "r50",
                                              "body": "ok"},
                                   follow_redirects=True).get_data(as_text=True)
    assert "at most 50 quick replies" in page


def test_html_in_messages_and_notes_is_shown_as_text(inbox_world: InboxWorld) -> None:
    inbox_world.writes(SCRIPT, "wamid.IN5", name='<img src=x onerror="alert(1)">')
    conversation = _conversation(inbox_world)
    page = _post(inbox_world, conversation, "manage", action="note", note=SCRIPT)
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x" in _page(inbox_world)


def test_assign_status_snooze_tags_and_mark_as_read(inbox_world: InboxWorld) -> None:
    inbox_world.writes("hi", "wamid.IN6")
    conversation = _conversation(inbox_world)
    _post(inbox_world, conversation, "manage", action="assign",
          assignee=str(inbox_world.owner_id))
    _post(inbox_world, conversation, "manage", action="tags", tags="VIP, returns")
    later = (db.utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    _post(inbox_world, conversation, "manage", action="status", status="snoozed",
          snoozed_until=later)
    _post(inbox_world, conversation, "manage", action="read")
    with inbox_world.app.app_context():
        row = db.session().get(Conversation, conversation)
        received = db.session().scalars(select(ReceivedMessage)).one()
    assert row.assignee_id == inbox_world.owner_id and row.tags == ["vip", "returns"]
    assert row.status == "snoozed" and row.unread == 0 and received.read_at is not None
    assert inbox_world.graph.read_receipts == [("1122334455667", "wamid.IN6")]
    mine = inbox_world.client.get(f"/stores/{inbox_world.store_id}/inbox?view=mine&tag=vip")
    assert f"c={conversation}" in mine.get_data(as_text=True)
    unassigned = inbox_world.client.get(f"/stores/{inbox_world.store_id}/inbox?view=unassigned")
    assert f"c={conversation}" not in unassigned.get_data(as_text=True)
    # A new message wakes the snoozed conversation.
    inbox_world.writes("still there?", "wamid.IN7")
    with inbox_world.app.app_context():
        assert db.session().get(Conversation, conversation).status == "open"


def test_search_by_name_phone_and_order_number(inbox_world: InboxWorld) -> None:
    inbox_world.writes("hi", "wamid.IN8", name="Beatriz")
    inbox_world.writes("hi", "wamid.IN9", sender="351922222222", name="Carlos")
    with inbox_world.app.app_context(), db.transaction() as session:
        carlos = session.scalars(select(Customer).where(Customer.first_name == "Carlos")).one()
        session.add(Order(store_id=inbox_world.store_id, platform_id="o-7", number="7731",
                          customer_id=carlos.id, status="placed", currency="EUR", total="1"))
    base = f"/stores/{inbox_world.store_id}/inbox?q="

    def names(query: str) -> set[str]:
        body = inbox_world.client.get(base + query).get_data(as_text=True)
        return set(re.findall(r"<strong>(Beatriz|Carlos)</strong>", body))

    assert names("beat") == {"Beatriz"}
    assert names("92222") == {"Carlos"}
    assert names("7731") == {"Carlos"}


def test_updates_answer_304_until_a_new_message_comes(inbox_world: InboxWorld) -> None:
    inbox_world.writes("first", "wamid.IN10")
    url = f"/stores/{inbox_world.store_id}/inbox/updates?c={_conversation(inbox_world)}"
    first = inbox_world.client.get(url)
    assert first.status_code == 200 and "first" in first.json["thread_html"]
    etag = first.headers["ETag"]
    assert inbox_world.client.get(url, headers={"If-None-Match": etag}).status_code == 304
    inbox_world.writes("second", "wamid.IN11")
    changed = inbox_world.client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "second" in changed.json["thread_html"]


def test_media_is_served_only_to_the_stores_people(inbox_world: InboxWorld,
                                                   tmp_path: object) -> None:
    jpeg = b"\xff\xd8\xff\xe0picture"
    inbox_world.graph.add_inbound_media("65463453", jpeg, "image/jpeg", TOKEN)
    inbox_world.deliver_fixture("message.json", "image")
    with inbox_world.app.app_context():
        row = db.session().scalars(select(ReceivedMessage)).one()
    url = f"/stores/{inbox_world.store_id}/inbox/media/{row.id}"
    assert f'src="{url}"' in _page(inbox_world, _conversation(inbox_world))
    mine = inbox_world.client.get(url)
    assert mine.status_code == 200 and mine.data == jpeg
    assert mine.headers["Content-Type"] == "image/jpeg"
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    anonymous = inbox_world.app.test_client().get(url)
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]
    create_owner(inbox_world.app, "other@example.com")
    other: FlaskClient = inbox_world.app.test_client()
    sign_in(other, "other@example.com")
    assert other.get(url).status_code == 404
    assert inbox_world.graph.downloads["65463453"] == 1


def test_another_stores_conversation_is_not_found_under_ones_own_store(
        inbox_world: InboxWorld) -> None:
    from plugin.models import Store
    inbox_world.writes("private words of store one", "wamid.T1")
    theirs = _conversation(inbox_world)
    other_owner = create_owner(inbox_world.app, "other@example.com")
    with inbox_world.app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="other.example", name="Other",
                      country="PT", owner_id=other_owner)
        session.add(store)
        session.flush()
        own_store = store.id
    other: FlaskClient = inbox_world.app.test_client()
    sign_in(other, "other@example.com")
    token = csrf_token(other, "/")
    for response in (
            other.get(f"/stores/{own_store}/inbox?c={theirs}"),
            other.get(f"/stores/{own_store}/inbox/updates?c={theirs}"),
            other.post(f"/stores/{own_store}/inbox/{theirs}/reply",
                       data={"csrf_token": token, "text": "hi"}),
            other.post(f"/stores/{own_store}/inbox/{theirs}/manage",
                       data={"csrf_token": token, "action": "read"}),
            other.get(f"/stores/{inbox_world.store_id}/inbox")):
        assert response.status_code == 404
        assert "private words" not in response.get_data(as_text=True)
    assert inbox_world.graph.sent == []


def test_unread_conversations_are_counted_per_view(inbox_world: InboxWorld) -> None:
    inbox_world.writes("one", "wamid.U1", name="Ana")
    inbox_world.writes("two", "wamid.U2", sender="351933333333", name="Bia")
    page = _page(inbox_world)
    assert 'aria-label="2 unread conversations"' in page  # All and Unassigned
    _post(inbox_world, _conversation_of(inbox_world, "Ana"), "manage", action="read")
    page = _page(inbox_world)
    assert 'aria-label="1 unread conversations"' in page
    assert 'aria-label="2 unread conversations"' not in page


def _conversation_of(world: InboxWorld, name: str) -> int:
    with world.app.app_context():
        return db.session().scalars(select(Conversation.id).join(
            Customer, Customer.id == Conversation.customer_id).where(
            Customer.first_name == name)).one()


def _attach(world: InboxWorld, data: bytes, mime: str, name: str) -> str:
    conversation = _conversation(world)
    token = csrf_token(world.client, f"/stores/{world.store_id}/inbox")
    world.app.extensions["storechat.limiter"].storage.reset()
    response = world.client.post(
        f"/stores/{world.store_id}/inbox/{conversation}/reply", follow_redirects=True,
        content_type="multipart/form-data",
        data={"csrf_token": token, "text": "Here it is", "attachment": (io.BytesIO(data), name,
                                                                        mime)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_attachment_is_uploaded_and_sent_with_its_caption(inbox_world: InboxWorld) -> None:
    inbox_world.writes("send me the invoice photo", "wamid.F1")
    _attach(inbox_world, b"\xff\xd8\xff\xe0invoice", "image/jpeg", "invoice.jpg")
    [(media_id, (data, mime, _))] = inbox_world.graph.media.items()
    assert data == b"\xff\xd8\xff\xe0invoice" and mime == "image/jpeg"
    [sent] = inbox_world.graph.sent
    assert sent.payload["type"] == "image"
    assert sent.payload["image"] == {"id": media_id, "caption": "Here it is"}


def test_an_attachment_of_a_forbidden_type_or_over_the_cap_is_refused(
        inbox_world: InboxWorld) -> None:
    inbox_world.writes("hi", "wamid.F2")
    page = _attach(inbox_world, b"MZ\x90\x00", "application/x-msdownload", "tool.exe")
    assert "WhatsApp does not carry files of type application/x-msdownload" in page
    inbox_world.app.config["STORECHAT"] = inbox_world.app.config["STORECHAT"].with_overrides(
        inbox_media_max_bytes=1000)
    page = _attach(inbox_world, b"\xff\xd8\xff" + b"x" * 2000, "image/jpeg", "big.jpg")
    assert "The file is 2,003 bytes; the inbox sends at most 1,000." in page
    assert inbox_world.graph.media == {} and inbox_world.graph.sent == []
