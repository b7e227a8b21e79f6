"""The inbox's pure rules: kinds, the window's time left, Meta's text limit, tags,
statuses and snoozes, quick replies and their variables."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from plugin.domain import inbox
from plugin.domain.inbox import InboxError, QuickReplyValues
from plugin.domain.messaging import InboundKind

NOW = datetime(2026, 12, 6, 12, 0)


@pytest.mark.parametrize(("kind", "media", "expected"), [
    (InboundKind.TEXT, "", "text"), (InboundKind.MEDIA, "image", "image"),
    (InboundKind.MEDIA, "voice", "audio"), (InboundKind.MEDIA, "sticker", "sticker"),
    (InboundKind.MEDIA, "hologram", "unsupported"), (InboundKind.BUTTON, "", "interactive"),
    (InboundKind.LIST_REPLY, "", "interactive"), (InboundKind.ORDER, "", "order"),
    (InboundKind.SYSTEM, "", "unsupported"), (InboundKind.UNKNOWN, "", "unsupported"),
])
def test_each_inbound_kind_has_an_inbox_kind(kind: InboundKind, media: str,
                                             expected: str) -> None:
    assert inbox.kind_of(kind, media) == expected


def test_the_window_counts_down_from_the_last_message() -> None:
    assert inbox.window_left(NOW - timedelta(hours=23), NOW) == timedelta(hours=1)
    assert inbox.window_left(NOW - timedelta(hours=24), NOW) is None
    assert inbox.window_left(None, NOW) is None


def test_text_up_to_metas_limit_and_not_a_character_more() -> None:
    assert inbox.check_text("  hi  ") == "hi"
    assert len(inbox.check_text("x" * 4096)) == 4096
    with pytest.raises(InboxError, match="4,097 characters"):
        inbox.check_text("x" * 4097)
    with pytest.raises(InboxError):
        inbox.check_text("   ")


def test_tags_are_cleaned_and_checked() -> None:
    assert inbox.check_tags(["VIP", " vip", "", "returns"]) == ["vip", "returns"]
    with pytest.raises(InboxError):
        inbox.check_tags(['"><script>'])


def test_a_snooze_needs_a_future_time_and_ends_by_itself() -> None:
    with pytest.raises(InboxError):
        inbox.check_status("snoozed", NOW - timedelta(minutes=1), NOW)
    with pytest.raises(InboxError):
        inbox.check_status("archived", None, NOW)
    assert inbox.current_status("snoozed", NOW + timedelta(hours=1), NOW) is inbox.Status.SNOOZED
    assert inbox.current_status("snoozed", NOW - timedelta(hours=1), NOW) is inbox.Status.OPEN


def test_quick_replies_expand_and_fill_their_variables() -> None:
    values = QuickReplyValues(customer_name="Ana", order_number="1042",
                              tracking_link="https://track.example/1042")
    library = {"where": "Hi {{customer_name}}, #{{ order_number }}: {{tracking_link}}"}
    assert inbox.expand("/where", library, values) == (
        "Hi Ana, #1042: https://track.example/1042")
    assert inbox.expand("/WHERE ", library, values).startswith("Hi Ana")
    assert inbox.expand("/unknown", library, values) == "/unknown"
    assert inbox.expand("see /where", library, values) == "see /where"
    assert inbox.fill("Hi {{customer_name}}", QuickReplyValues()) == "Hi "


def test_quick_replies_refuse_unknown_variables_and_bad_shortcuts() -> None:
    with pytest.raises(InboxError, match=r"\{\{password\}\}"):
        inbox.check_quick_reply("Your {{password}}")
    assert inbox.check_shortcut("/Thanks") == "thanks"
    with pytest.raises(InboxError):
        inbox.check_shortcut("/two words")
