"""Product cards and files in the inbox's JSON API: `type: product` through the product
message path (the exact body the fake Graph receives), a file uploaded as multipart or
named by its Meta media id, each held to the window and to the inbox page's type and size
checks."""
from __future__ import annotations

import io
from typing import Any

from plugin.models import ItemState
from tests.admin.api.test_inbox import _call, _conversation_id, _token
from tests.admin.catalog_rows import item
from tests.worlds.inbox import CATALOG_ID, SHOPPER, TOKEN, InboxWorld, connect_catalog


def _send(world: InboxWorld, body: dict[str, Any]) -> Any:
    return _call(world, "POST", f"/conversations/{_conversation_id(world)}/messages", body)


def _upload(world: InboxWorld, data: bytes, mime: str, name: str, caption: str = "") -> Any:
    world.app.extensions["storechat.limiter"].storage.reset()  # Meta's 6 s pair spacing
    return world.app.test_client().post(
        f"/api/v1/conversations/{_conversation_id(world)}/attachments",
        headers=_token(world), content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), name, mime), "caption": caption})


def _cap(world: InboxWorld, size: int) -> None:
    world.app.config["STORECHAT"] = world.app.config["STORECHAT"].with_overrides(
        inbox_media_max_bytes=size)


def test_a_product_reply_goes_as_a_product_card(inbox_world: InboxWorld) -> None:
    connect_catalog(inbox_world, [item(inbox_world.store_id, 1),
                                  item(inbox_world.store_id, 2, ItemState.KEPT_OUT)])
    inbox_world.writes("Which shirt?", "wamid.AP1")
    retailer_id = f"sc-{inbox_world.store_id}-1"
    sent = _send(inbox_world, {"type": "product", "retailer_ids": [retailer_id],
                               "text": "This one."})
    assert sent.status_code == 201, sent.get_data(as_text=True)
    [out] = inbox_world.graph.sent
    assert out.payload == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": SHOPPER,
        "biz_opaque_callback_data": f"storechat:{sent.json['message_id']}",
        "type": "interactive", "interactive": {
            "type": "product", "body": {"text": "This one."},
            "action": {"catalog_id": CATALOG_ID, "product_retailer_id": retailer_id}}}
    kept_out = _send(inbox_world, {"type": "product",
                                   "retailer_ids": [f"sc-{inbox_world.store_id}-2"]})
    assert kept_out.status_code == 422 and "cannot be offered" in kept_out.json["detail"]
    nothing = _send(inbox_world, {"type": "product"})
    assert nothing.status_code == 422
    assert nothing.json["detail"] == "Choose at least one product to send."


def test_a_product_reply_outside_the_window_is_409(inbox_world: InboxWorld) -> None:
    connect_catalog(inbox_world, [item(inbox_world.store_id, 1)])
    inbox_world.deliver_fixture("message.json", "text")  # recorded in 2023: long closed
    refused = _send(inbox_world, {"type": "product",
                                  "retailer_ids": [f"sc-{inbox_world.store_id}-1"]})
    assert refused.status_code == 409 and refused.json["code"] == "window_closed"
    assert inbox_world.graph.sent == []


def test_an_uploaded_file_is_sent_with_its_caption(inbox_world: InboxWorld) -> None:
    inbox_world.writes("The invoice please", "wamid.AF1")
    sent = _upload(inbox_world, b"%PDF-1.4 invoice", "application/pdf", "invoice 12.pdf",
                   "Your invoice")
    assert sent.status_code == 201, sent.get_data(as_text=True)
    [(media_id, (data, mime, _))] = inbox_world.graph.media.items()
    assert (data, mime) == (b"%PDF-1.4 invoice", "application/pdf")
    [out] = inbox_world.graph.sent
    assert out.payload["document"] == {"id": media_id, "caption": "Your invoice",
                                       "filename": "invoice 12.pdf"}


def test_an_upload_of_a_forbidden_type_or_over_the_cap_is_refused(
        inbox_world: InboxWorld) -> None:
    inbox_world.writes("hi", "wamid.AF2")
    exe = _upload(inbox_world, b"MZ\x90\x00", "application/x-msdownload", "tool.exe")
    assert exe.status_code == 422
    assert exe.json["detail"].startswith("WhatsApp does not carry files of type "
                                         "application/x-msdownload")
    _cap(inbox_world, 1000)
    big = _upload(inbox_world, b"\xff\xd8\xff" + b"x" * 2000, "image/jpeg", "big.jpg")
    assert big.status_code == 422
    assert big.json["detail"] == "The file is 2,003 bytes; the inbox sends at most 1,000."
    as_json = _call(inbox_world, "POST",
                    f"/conversations/{_conversation_id(inbox_world)}/attachments", {})
    assert as_json.status_code == 422 and "multipart/form-data" in as_json.json["detail"]
    assert inbox_world.graph.media == {} and inbox_world.graph.sent == []


def test_an_upload_outside_the_window_is_409_and_nothing_is_uploaded(
        inbox_world: InboxWorld) -> None:
    inbox_world.deliver_fixture("message.json", "text")
    refused = _upload(inbox_world, b"\xff\xd8\xffphoto", "image/jpeg", "photo.jpg")
    assert refused.status_code == 409 and refused.json["code"] == "window_closed"
    assert inbox_world.graph.media == {} and inbox_world.graph.sent == []


def test_a_media_id_is_checked_by_what_meta_declares_then_sent(
        inbox_world: InboxWorld) -> None:
    inbox_world.writes("The terms?", "wamid.AM1")
    inbox_world.graph.add_inbound_media("990001", b"%PDF-1.4 terms", "application/pdf", TOKEN)
    sent = _send(inbox_world, {"type": "media", "media_id": "990001", "text": "Our terms",
                               "filename": "terms.pdf"})
    assert sent.status_code == 201, sent.get_data(as_text=True)
    [out] = inbox_world.graph.sent
    assert out.payload["type"] == "document"
    assert out.payload["document"] == {"id": "990001", "caption": "Our terms",
                                       "filename": "terms.pdf"}
    inbox_world.graph.add_inbound_media("990002", b"PK\x03\x04", "application/zip", TOKEN)
    zipped = _send(inbox_world, {"type": "media", "media_id": "990002"})
    assert zipped.status_code == 422
    assert "does not carry files of type application/zip" in zipped.json["detail"]
    _cap(inbox_world, 10)
    big = _send(inbox_world, {"type": "media", "media_id": "990001"})
    assert big.status_code == 422
    assert big.json["detail"] == "The file is 14 bytes; the inbox sends at most 10."
    unknown = _send(inbox_world, {"type": "media", "media_id": "123"})
    assert unknown.status_code == 422
    assert unknown.json["detail"].startswith("WhatsApp does not know the media '123'")
    assert len(inbox_world.graph.sent) == 1
