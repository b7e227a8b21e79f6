"""adapters/whatsapp/notifications.py: every recorded Meta body parses; batches lose nothing."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.whatsapp.notifications import PayloadError, parse_notification
from plugin.domain.messaging import (
    ChannelError,
    DeliveryStatus,
    InboundKind,
    InboundMessage,
    MarketingPreference,
    Notification,
    Sender,
    StatusUpdate,
    TemplateUpdate,
)
from tests.conftest import shared_fixture

DATA = Path(__file__).resolve().parents[1] / "data" / "whatsapp"
UPDATES = ("whatsapp", "pywa", "updates")


def _recorded_examples() -> list[Any]:
    """(file, example name) for every example of every file in shared/.../pywa/updates."""
    try:
        folder = shared_fixture(*UPDATES)
    except pytest.skip.Exception as skipped:
        return [pytest.param("", "", marks=pytest.mark.skip(reason=str(skipped)))]
    return [pytest.param(path.name, name, id=f"{path.stem}:{name}")
            for path in sorted(folder.glob("*.json"))
            for name in json.loads(path.read_text(encoding="utf-8"))]


def recorded(file: str, name: str) -> dict[str, Any]:
    """One complete webhook body from pywa's recorded updates."""
    examples = json.loads(shared_fixture(*UPDATES, file).read_text(encoding="utf-8"))
    return copy.deepcopy(examples[name])


def parse(body: dict[str, Any]) -> Notification:
    return parse_notification(json.dumps(body).encode())


def only(body: dict[str, Any], kind: type) -> Any:
    """The single update `body` yields, checked to be a `kind`, with nothing ignored."""
    notification = parse(body)
    assert notification.ignored == ()
    assert len(notification.updates) == 1, notification.updates
    assert isinstance(notification.updates[0], kind)
    return notification.updates[0]


def first_value(body: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = body["entry"][0]["changes"][0]["value"]
    return value


# Every recorded payload ----------------------------------------------------------------------

IGNORED_FIELDS = {"call_connect.json": "calls",
                  "call_status.json": "calls", "call_terminate.json": "calls",
                  "outgoing_message.json": "smb_message_echoes"}


@pytest.mark.parametrize(("file", "name"), _recorded_examples())
def test_every_recorded_payload_yields_an_update_or_a_named_ignore(file: str, name: str) -> None:
    notification = parse(recorded(file, name))
    assert notification.updates or notification.ignored
    assert all(reason.strip() for reason in notification.ignored)
    if file in IGNORED_FIELDS:
        assert notification == Notification(ignored=(IGNORED_FIELDS[file],))


def test_the_recorded_payloads_are_all_there() -> None:
    files = {path.name for path in shared_fixture(*UPDATES).glob("*.json")}
    assert len(files) == 19 and set(IGNORED_FIELDS) <= files


# Messages ------------------------------------------------------------------------------------

PHONE_NUMBER_ID = "1122334455667"
TEST_SENDER = Sender(wa_id="972987654321", bsuid="US.13491208655302741918",
                     profile_name="Test Name")


def test_text() -> None:
    message = only(recorded("message.json", "text"), InboundMessage)
    assert message == InboundMessage(
        wamid="wamid.xyzxyz", phone_number_id=PHONE_NUMBER_ID, sender=TEST_SENDER,
        kind=InboundKind.TEXT, timestamp=1697043223, text="Body Text")


def test_a_reply_keeps_the_message_it_replies_to() -> None:
    message = only(recorded("message.json", "reply"), InboundMessage)
    assert (message.kind, message.text, message.context_wamid) == (
        InboundKind.TEXT, "replied text", "wamid.xyzxyz==")


def test_a_forwarded_message_has_no_context_wamid() -> None:
    assert only(recorded("message.json", "forwarded"), InboundMessage).context_wamid == ""


def test_template_quick_reply_button() -> None:
    message = only(recorded("callback_button.json", "quick_reply"), InboundMessage)
    assert (message.kind, message.text, message.payload, message.context_wamid) == (
        InboundKind.BUTTON, "title", "callback_data", "wamid.xyzxyz==")


def test_a_quick_reply_with_from_user_id_keeps_the_business_scoped_id() -> None:
    message = only(recorded("callback_button.json", "quick_reply_without_context"),
                   InboundMessage)
    assert message.sender == TEST_SENDER
    assert message.context_wamid == ""


def test_interactive_button_reply() -> None:
    message = only(recorded("callback_button.json", "button"), InboundMessage)
    assert (message.kind, message.payload, message.text, message.context_wamid) == (
        InboundKind.BUTTON_REPLY, "callback_data", "title", "wamid.xyzxyz")


@pytest.mark.parametrize("name", ["callback", "description"])
def test_list_reply_keeps_id_and_title_but_not_the_description(name: str) -> None:
    message = only(recorded("callback_selection.json", name), InboundMessage)
    assert (message.kind, message.payload, message.text) == (
        InboundKind.LIST_REPLY, "callback_data", "title")


def test_order() -> None:
    message = only(recorded("message.json", "order"), InboundMessage)
    assert message.kind is InboundKind.ORDER
    assert message.order == {
        "catalog_id": "354160437058781", "text": "",
        "product_items": [
            {"product_retailer_id": "HAMBURGER", "quantity": 3, "item_price": "30",
             "currency": "ILS"},
            {"product_retailer_id": "FRENCH_FRIES", "quantity": 2, "item_price": "35",
             "currency": "ILS"},
            {"product_retailer_id": "SODA", "quantity": 2, "item_price": "10",
             "currency": "ILS"},
        ]}


def test_location_chosen_and_current() -> None:
    chosen = only(recorded("message.json", "chosen_location"), InboundMessage)
    assert chosen.kind is InboundKind.LOCATION
    assert chosen.location == {"latitude": 37.4611978, "longitude": -122.2164385,
                               "name": "Facebook HQ",
                               "address": "1 Hacker Way, Menlo Park, CA 94025"}
    current = only(recorded("message.json", "current_location"), InboundMessage)
    assert current.location == {"latitude": 12.25089, "longitude": 43.90539,
                                "name": "", "address": ""}


@pytest.mark.parametrize(("name", "media_type", "media_id", "caption"), [
    ("image", "image", "65463453", ""),
    ("media_with_url", "image", "65463453", ""),
    ("video", "video", "765756756", "caption"),
    ("document", "document", "1234567890987654321", "caption"),
    ("audio", "audio", "1234567890987654321", ""),
    ("voice", "voice", "1234567890987654321", ""),
    ("static_sticker", "sticker", "1234567890987654321", ""),
    ("animated_sticker", "sticker", "1234567890987654321", ""),
])
def test_media(name: str, media_type: str, media_id: str, caption: str) -> None:
    message = only(recorded("message.json", name), InboundMessage)
    assert (message.kind, message.media_type, message.media_id, message.text) == (
        InboundKind.MEDIA, media_type, media_id, caption)


@pytest.mark.parametrize(("name", "emoji"), [
    ("reaction", "\U0001F62E"), ("unreaction_empty", ""), ("unreaction_no_emoji", "")])
def test_reaction_names_its_message_and_emoji(name: str, emoji: str) -> None:
    message = only(recorded("message.json", name), InboundMessage)
    assert (message.kind, message.text, message.context_wamid) == (
        InboundKind.REACTION, emoji, "wamid.yzxyzx=")


def test_referral_from_a_click_to_whatsapp_ad() -> None:
    message = only(recorded("message.json", "referral"), InboundMessage)
    assert (message.kind, message.text) == (InboundKind.TEXT, "BODY")
    assert message.referral == {
        "source_url": "AD_OR_POST_FB_URL", "source_id": "ADID", "source_type": "ad or post",
        "headline": "AD_TITLE", "body": "AD_DESCRIPTION", "media_type": "image or video",
        "image_url": "RAW_IMAGE_URL", "video_url": "RAW_VIDEO_URL",
        "thumbnail_url": "RAW_THUMBNAIL_URL", "ctwa_clid": "CTWA_CLID"}


def test_a_referral_keeps_strings_only() -> None:
    body = recorded("message.json", "referral")
    first_value(body)["messages"][0]["referral"] = {"source_id": "ADID", "welcome": {"x": 1},
                                                    "n": 3, "ctwa_clid": "C"}
    assert only(body, InboundMessage).referral == {"source_id": "ADID", "ctwa_clid": "C"}


def test_contacts_system_unsupported_and_unknown_kinds() -> None:
    contacts = only(recorded("message.json", "contacts"), InboundMessage)
    assert (contacts.kind, contacts.text) == (
        InboundKind.CONTACTS, "Chandler Bing, Monica, Rachel Green")
    changed = only(recorded("system.json", "phone_number_change"), InboundMessage)
    assert (changed.kind, changed.payload) == (InboundKind.SYSTEM, "user_changed_number")
    assert changed.sender == Sender(wa_id="972987654321")  # no contacts[] in system messages
    unsupported = only(recorded("message.json", "unsupported_with_type"), InboundMessage)
    assert unsupported.kind is InboundKind.UNSUPPORTED
    for file, name in [("deleted_message.json", "revoke"), ("edited_message.json", "image"),
                       ("flow_completion.json", "completion"),
                       ("call_permission_update.json", "accept")]:
        assert only(recorded(file, name), InboundMessage).kind is InboundKind.UNKNOWN


def test_a_contact_is_never_borrowed_for_someone_else() -> None:
    # edited_message.json: `from` 16505551234, while contacts[] names 972987654321.
    message = only(recorded("edited_message.json", "image"), InboundMessage)
    assert message.sender == Sender(wa_id="16505551234")


def test_a_sender_without_a_phone_number() -> None:
    body = recorded("message.json", "text")
    value = first_value(body)
    del value["messages"][0]["from"]
    value["messages"][0]["from_user_id"] = "US.13491208655302741918"
    del value["contacts"][0]["wa_id"]
    message = only(body, InboundMessage)
    assert message.sender == Sender(bsuid="US.13491208655302741918", profile_name="Test Name")


def test_a_message_with_nobody_behind_it_is_skipped_and_named() -> None:
    body = recorded("message.json", "text")
    value = first_value(body)
    del value["messages"][0]["from"]
    value["contacts"] = []
    notification = parse(body)
    assert notification.updates == ()
    assert notification.ignored == (
        "entry[0].changes[0].messages[0] wamid.xyzxyz: no sender: neither a wa_id nor a "
        "business-scoped user id",)


def test_a_message_level_error_alongside_the_message_becomes_a_channel_error() -> None:
    notification = parse(recorded("message.json", "interactive_message_with_err"))
    message, error = notification.updates
    assert isinstance(message, InboundMessage) and message.kind is InboundKind.UNKNOWN
    assert error == ChannelError(phone_number_id=PHONE_NUMBER_ID, code=131000,
                                 title="Something went wrong",
                                 detail="Unsupported webhook payload")


# Statuses ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "status", "timestamp"), [
    ("sent", DeliveryStatus.SENT, 1698266945), ("delivered", DeliveryStatus.DELIVERED, 1698266945),
    ("read", DeliveryStatus.READ, 1689380458), ("played", DeliveryStatus.PLAYED, 1689380458)])
def test_statuses(name: str, status: DeliveryStatus, timestamp: int) -> None:
    update = only(recorded("message_status.json", name), StatusUpdate)
    assert update == StatusUpdate(wamid="wamid.xyzxyz", phone_number_id=PHONE_NUMBER_ID,
                                  recipient="972987654321", status=status, timestamp=timestamp)


def test_failed_status_keeps_code_title_and_detail() -> None:
    update = only(recorded("message_status.json", "failed"), StatusUpdate)
    assert (update.status, update.error_code, update.error_title, update.error_detail) == (
        DeliveryStatus.FAILED, 130472, "User's number is part of an experiment",
        "Failed to send message because this user's phone number is part of an experiment")


def test_status_keeps_our_callback_data() -> None:
    update = only(recorded("message_status.json", "with_tracker"), StatusUpdate)
    assert (update.status, update.callback_data) == (DeliveryStatus.SENT, "some data")


def test_a_new_status_value_degrades_to_unknown() -> None:
    body = recorded("message_status.json", "sent")
    first_value(body)["statuses"][0]["status"] = "warning"
    assert only(body, StatusUpdate).status is DeliveryStatus.UNKNOWN


# Preferences, templates, errors --------------------------------------------------------------

def test_marketing_resume_and_stop() -> None:
    body = recorded("user_marketing_preferences.json", "resume")
    resumed = only(body, MarketingPreference)
    assert resumed == MarketingPreference(phone_number_id="106540352242922",
                                          sender=Sender(wa_id="16505551234"), granted=True,
                                          timestamp=1731705721)
    first_value(body)["user_preferences"][0].update(value="stop", wa_id="972987654321",
                                                     timestamp="1731705800")
    stopped = only(body, MarketingPreference)
    assert (stopped.granted, stopped.sender, stopped.timestamp) == (
        False, TEST_SENDER, 1731705800)


def test_marketing_signup_is_named_not_taken_as_consent() -> None:
    notification = parse(recorded("user_marketing_preferences.json", "signup"))
    assert notification.updates == ()
    assert notification.ignored == ("entry[0].changes[0].user_preferences[0]: marketing "
                                    "preference 'signup' is neither stop nor resume",)


def test_template_approved_and_rejected() -> None:
    approved = only(recorded("template_status_update.json", "approved"), TemplateUpdate)
    assert approved == TemplateUpdate(waba_id="102290129340398", name="order_confirmation",
                                      language="en_US", event="APPROVED",
                                      field="message_template_status_update",
                                      at=1751247548)  # the entry's time
    rejected = only(recorded("template_status_update.json", "rejected"), TemplateUpdate)
    assert (rejected.name, rejected.language, rejected.event) == (
        "abandoned_cart", "en", "REJECTED")
    assert rejected.reason.startswith("INVALID_FORMAT: Your template has parameters placed")


def test_template_category_quality_and_components() -> None:
    category = only(recorded("template_category_update.json", "marketing"), TemplateUpdate)
    assert (category.event, category.field) == ("MARKETING", "template_category_update")
    quality = only(recorded("template_quality_update.json", "yellow"), TemplateUpdate)
    assert (quality.event, quality.reason) == ("YELLOW", "was GREEN")
    components = only(recorded("template_components_update.json", "element"), TemplateUpdate)
    assert (components.event, components.name, components.language) == (
        "COMPONENTS_UPDATED", "my_message_template", "he")


# A batch we built ----------------------------------------------------------------------------

def _batched() -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / "batched_notification.json").read_text("utf-8"))
    return body


def _summary(update: Any) -> tuple[Any, ...]:
    if isinstance(update, InboundMessage):
        return ("message", update.phone_number_id, update.wamid, update.kind)
    assert isinstance(update, StatusUpdate)
    return ("status", update.phone_number_id, update.wamid, update.status)


def test_a_batch_yields_every_update_in_order_and_names_the_malformed_one() -> None:
    notification = parse(_batched())
    M, S = InboundKind, DeliveryStatus
    assert [_summary(u) for u in notification.updates] == [
        ("message", "PN-1", "wamid.A1", M.TEXT), ("message", "PN-1", "wamid.B1", M.BUTTON_REPLY),
        ("status", "PN-1", "wamid.S1", S.SENT), ("status", "PN-1", "wamid.S1", S.DELIVERED),
        ("message", "PN-1", "wamid.A2", M.MEDIA), ("message", "PN-1", "wamid.A3", M.ORDER),
        ("status", "PN-1", "wamid.S1", S.READ), ("status", "PN-1", "wamid.S2", S.FAILED),
        ("message", "PN-2", "wamid.C1", M.LIST_REPLY), ("message", "PN-2", "wamid.C2", M.LOCATION),
        ("status", "PN-2", "wamid.S3", S.SENT), ("status", "PN-2", "wamid.S3", S.DELIVERED),
        ("message", "PN-2", "wamid.C3", M.BUTTON), ("message", "PN-2", "wamid.C4", M.REACTION),
        ("status", "PN-2", "wamid.S3", S.READ), ("status", "PN-2", "wamid.S4", S.FAILED),
    ]
    assert notification.ignored == (
        "entry[0].changes[0].messages[2] wamid.BAD: timestamp is not UNIX seconds",)


def test_a_batch_keeps_each_senders_identity_and_each_failure() -> None:
    updates = {(type(u).__name__, u.wamid, getattr(u, "status", None)): u
               for u in parse(_batched()).updates if isinstance(u, (InboundMessage, StatusUpdate))}
    bruno = updates[("InboundMessage", "wamid.B1", None)]
    assert bruno.sender == Sender(bsuid="BR.2000000000000000002", profile_name="Bruno")
    assert (bruno.payload, bruno.text, bruno.context_wamid) == ("cod:confirm", "Confirm",
                                                                "wamid.OUT1")
    order = updates[("InboundMessage", "wamid.A3", None)]
    assert order.order["product_items"][0]["item_price"] == "12.5"
    failed = updates[("StatusUpdate", "wamid.S4", DeliveryStatus.FAILED)]
    assert (failed.error_code, failed.callback_data) == (131047, "storechat:44")


# Refusals and arbitrary input ----------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"", b"not json", b"\xff\xfe", b"[]", b'"whatsapp_business_account"', b"null",
    b'{"object": "page", "entry": []}', b'{"entry": []}',
    b'{"object": "whatsapp_business_account"}',
    b'{"object": "whatsapp_business_account", "entry": {}}',
    b"[" * 100_000,
])
def test_a_body_that_is_no_notification_is_refused(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_notification(body)


def test_an_empty_entry_list_is_an_empty_notification() -> None:
    assert parse({"object": "whatsapp_business_account", "entry": []}) == Notification()


@pytest.mark.parametrize(("change", "reason"), [
    ("nope", "entry[0].changes[0]: not a change with a field"),
    ({"field": "messages", "value": []}, "entry[0].changes[0] messages: value is not an object"),
    ({"field": "messages", "value": {"messages": {}}}, "entry[0].changes[0].messages: not a list"),
    ({"field": "messages", "value": {}}, "entry[0].changes[0] messages: nothing to read"),
    ({"field": "message_template_status_update", "value": {"event": "APPROVED"}},
     "entry[0].changes[0] message_template_status_update: no message_template_name"),
])
def test_an_unreadable_change_is_named(change: Any, reason: str) -> None:
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    assert parse(body) == Notification(ignored=(reason,))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)
_ITEM_KEYS = ["id", "from", "from_user_id", "timestamp", "type", "text", "button",
              "interactive", "context", "image", "audio", "location", "order", "reaction",
              "contacts", "system", "referral", "status", "recipient_id", "errors",
              "biz_opaque_callback_data", "wa_id", "user_id", "category", "value", "code",
              "error_data", "title", "message"]
_items = st.lists(st.dictionaries(st.sampled_from(_ITEM_KEYS), _json, max_size=6) | _json,
                  max_size=3)
_values = st.fixed_dictionaries({}, optional={
    "metadata": st.fixed_dictionaries({}, optional={"phone_number_id": _json}) | _json,
    "contacts": _items, "messages": _items, "statuses": _items, "errors": _items,
    "user_preferences": _items, "event": _json, "message_template_name": _json,
    "message_template_language": _json, "new_category": _json,
}) | _json
_fields = st.sampled_from(["messages", "user_preferences", "calls",
                           "message_template_status_update", "template_category_update"]) | _json
_changes = st.lists(st.fixed_dictionaries({"field": _fields, "value": _values}) | _json,
                    max_size=3)
_entries = st.lists(st.fixed_dictionaries({"id": _json, "changes": _changes}) | _json,
                    max_size=3)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(entries=_entries)
def test_anything_inside_the_envelope_parses_without_raising(entries: list[Any]) -> None:
    notification = parse({"object": "whatsapp_business_account", "entry": entries})
    assert isinstance(notification, Notification)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(payload=_json | st.fixed_dictionaries({"object": st.just("whatsapp_business_account"),
                                              "entry": _json}))
def test_any_json_parses_or_raises_payload_error(payload: Any) -> None:
    try:
        parse_notification(json.dumps(payload).encode())
    except PayloadError:
        pass


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["messages", "statuses"]), index=st.integers(0, 1),
       key=st.sampled_from(_ITEM_KEYS), value=_json)
def test_one_broken_item_loses_none_of_the_others(kind: str, index: int, key: str,
                                                  value: Any) -> None:
    body = _batched()
    body["entry"][1]["changes"][0]["value"][kind][index][key] = value
    notification = parse(body)
    # Everything outside the touched item still arrives: 16 updates less at most that one.
    assert len(notification.updates) + len(notification.ignored) == 17
    untouched = [u for u in notification.updates if u.phone_number_id == "PN-1"]
    assert len(untouched) == 8
