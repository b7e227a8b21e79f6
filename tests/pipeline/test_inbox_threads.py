"""Conversations as data, through the signed webhook with Meta's recorded payloads: each
inbound kind is kept once in the shopper's conversation; media is downloaded once from the
fake Graph, type-checked and size-capped; statuses for unknown messages change nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugin.infra import db, queue
from plugin.models import Conversation, Customer, Message, ReceivedMessage
from plugin.pipeline.inbox import media
from tests.worlds.inbox import SHOPPER, TOKEN, InboxWorld

KINDS = {
    ("message.json", "text"): "text", ("message.json", "image"): "image",
    ("message.json", "media_with_url"): "image", ("message.json", "video"): "video",
    ("message.json", "document"): "document", ("message.json", "audio"): "audio",
    ("message.json", "voice"): "audio", ("message.json", "static_sticker"): "sticker",
    ("message.json", "animated_sticker"): "sticker", ("message.json", "reaction"): "reaction",
    ("message.json", "current_location"): "location",
    ("message.json", "chosen_location"): "location", ("message.json", "contacts"): "contacts",
    ("message.json", "order"): "order", ("message.json", "unsupported"): "unsupported",
    ("message.json", "reply"): "text", ("message.json", "referral"): "text",
    ("message.json", "interactive_message_with_err"): "unsupported",
    ("callback_button.json", "quick_reply"): "interactive",
    ("callback_selection.json", "callback"): "interactive",
}


def _rows(world: InboxWorld) -> list[ReceivedMessage]:
    with world.app.app_context():
        return list(db.session().scalars(select(ReceivedMessage)))


@pytest.mark.parametrize(("file", "name"), sorted(KINDS))
def test_each_recorded_inbound_kind_is_kept_in_the_conversation(
        inbox_world: InboxWorld, file: str, name: str) -> None:
    item = inbox_world.deliver_fixture(file, name)
    [row] = _rows(inbox_world)
    assert row.kind == KINDS[(file, name)]
    assert row.wamid == item["id"]
    with inbox_world.app.app_context():
        conversation = db.session().get(Conversation, row.conversation_id)
        customer = db.session().get(Customer, conversation.customer_id)
    assert conversation.store_id == inbox_world.store_id and conversation.unread == 1
    assert customer.wa_id == item["from"]
    if row.kind == "text":
        assert row.text == item["text"]["body"]
    if row.kind == "location":
        assert row.details["location"]["latitude"] == item["location"]["latitude"]


def test_a_redelivered_message_is_kept_once(inbox_world: InboxWorld) -> None:
    inbox_world.deliver_fixture("message.json", "text")
    inbox_world.deliver_fixture("message.json", "text")
    assert len(_rows(inbox_world)) == 1


def test_an_unknown_number_becomes_a_new_customer_and_conversation(
        inbox_world: InboxWorld) -> None:
    inbox_world.writes("hello, first time here", "wamid.NEW1", sender="351911111111",
                       name="Rui")
    with inbox_world.app.app_context():
        customer = db.session().scalars(select(Customer).where(
            Customer.wa_id == "351911111111")).one()
        conversation = db.session().scalars(select(Conversation).where(
            Conversation.customer_id == customer.id)).one()
    assert customer.first_name == "Rui" and customer.phone_e164 == "+351911111111"
    assert conversation.status == "open" and conversation.last_preview == "hello, first time here"


def test_a_status_for_an_unknown_message_is_ignored(inbox_world: InboxWorld) -> None:
    inbox_world.deliver_fixture("message_status.json", "sent")
    with inbox_world.app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Message)) == 0
        assert db.session().scalar(select(func.count()).select_from(ReceivedMessage)) == 0


def _image(world: InboxWorld, data: bytes, mime: str = "image/jpeg", **kwargs: str) -> None:
    # The recorded image names media id 65463453: the fake Graph holds its bytes.
    world.graph.add_inbound_media("65463453", data, mime, TOKEN, **kwargs)
    world.deliver_fixture("message.json", "image")


def test_media_is_downloaded_once_and_kept(inbox_world: InboxWorld) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + b"photo" * 100
    _image(inbox_world, jpeg)
    [row] = _rows(inbox_world)
    assert row.media_state == "stored" and row.media_mime == "image/jpeg"
    assert row.media_size == len(jpeg)
    with inbox_world.app.app_context():
        assert media.media_store().get(row.media_path or "") == jpeg
        queue.enqueue(queue.Job.INBOX_MEDIA, row.id)  # a second run: nothing new
    assert inbox_world.graph.downloads["65463453"] == 1


def test_an_expired_media_url_is_looked_up_again(inbox_world: InboxWorld) -> None:
    inbox_world.graph.url_seconds = -1  # every URL has expired by the time it is fetched
    _image(inbox_world, b"\xff\xd8\xffdata")
    [row] = _rows(inbox_world)
    assert row.media_state == "pending"  # left for the queue's retry, not given up
    assert inbox_world.graph.downloads["65463453"] == 0
    inbox_world.graph.url_seconds = 300
    with inbox_world.app.app_context():
        queue.enqueue(queue.Job.INBOX_MEDIA, row.id)
    assert _rows(inbox_world)[0].media_state == "stored"


def test_media_over_the_cap_is_refused_not_downloaded(inbox_world: InboxWorld) -> None:
    inbox_world.app.config["STORECHAT"] = inbox_world.app.config["STORECHAT"].with_overrides(
        inbox_media_max_bytes=1000)
    _image(inbox_world, b"\xff\xd8\xff" + b"x" * 5000)
    [row] = _rows(inbox_world)
    assert row.media_state == "refused" and "too large" in (row.media_note or "")
    assert row.media_path is None and inbox_world.graph.downloads["65463453"] == 0


def test_media_of_a_forbidden_or_lying_type_is_refused(inbox_world: InboxWorld) -> None:
    _image(inbox_world, b"<html><script>alert(1)</script>", served_as="text/html")
    [row] = _rows(inbox_world)
    assert row.media_state == "failed" and "text/html" in (row.media_note or "")
    assert row.media_path is None


def test_media_declared_as_a_type_whatsapp_does_not_carry_is_refused(
        inbox_world: InboxWorld) -> None:
    _image(inbox_world, b"MZ\x90\x00", mime="application/x-msdownload")
    [row] = _rows(inbox_world)
    assert row.media_state == "refused" and row.media_path is None
    assert inbox_world.graph.downloads["65463453"] == 0
    assert SHOPPER  # the recorded sender


def test_erasing_a_customer_erases_their_conversation_and_files(
        inbox_world: InboxWorld) -> None:
    from plugin.domain.events import ComplianceEvent, EventKind
    from plugin.models import Store
    from plugin.pipeline import compliance

    _image(inbox_world, b"\xff\xd8\xffpicture")
    [row] = _rows(inbox_world)
    with inbox_world.app.app_context():
        assert media.media_store().get(row.media_path or "") is not None
        with db.transaction() as session:
            store = session.get(Store, inbox_world.store_id)
            compliance.redact_customer(session, store, ComplianceEvent(
                kind=EventKind.CUSTOMER_REDACT, customer_platform_id=f"wa:{SHOPPER}"))
        assert media.media_store().get(row.media_path or "") is None
        assert db.session().scalar(select(func.count()).select_from(Conversation)) == 0
    assert _rows(inbox_world) == []
