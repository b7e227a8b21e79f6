"""The team inbox's rules: what kind a received message is, conversation statuses, how long
the service window stays open, tags, and quick replies with their /shortcut and variables.

Pure: the pipeline stores and sends, the admin shows; this decides.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from plugin.domain.errors import RequestRefused
from plugin.domain.messaging import InboundKind
from plugin.domain.policy import SERVICE_WINDOW

# Meta's text limit: a longer reply is refused before it reaches the outbox.
TEXT_MAX = 4096
# A store's library of saved answers holds at most this many.
QUICK_REPLIES_MAX = 50
SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
TAG = re.compile(r"[a-z0-9][a-z0-9 _-]{0,29}")
# A conversation carries at most this many tags.
TAGS_MAX = 20
NOTE_MAX = 4000
# The variables a quick reply may use, each {{name}} in its text.
VARIABLES = ("customer_name", "order_number", "tracking_link")
_VARIABLE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
MEDIA_KINDS = frozenset({"image", "video", "audio", "document", "sticker"})


class Status(enum.StrEnum):
    """Where a conversation stands."""

    OPEN = "open"
    PENDING = "pending"  # waiting for the customer
    RESOLVED = "resolved"
    SNOOZED = "snoozed"  # until `snoozed_until`, then open again


class InboxError(RequestRefused):
    """A request the inbox refuses, with a sentence for the person who made it."""


def kind_of(kind: InboundKind, media_type: str) -> str:
    """The inbox's kind of a received message: text, image, video, audio, document,
    sticker, location, contacts, interactive, order, reaction or unsupported."""
    if kind is InboundKind.MEDIA:
        return "audio" if media_type == "voice" else (media_type if media_type in MEDIA_KINDS
                                                       else "unsupported")
    if kind in (InboundKind.BUTTON, InboundKind.BUTTON_REPLY, InboundKind.LIST_REPLY):
        return "interactive"
    if kind in (InboundKind.TEXT, InboundKind.LOCATION, InboundKind.CONTACTS,
                InboundKind.ORDER, InboundKind.REACTION):
        return str(kind.value)
    return "unsupported"  # system notices, unsupported and kinds Meta adds later


def preview(kind: str, text: str) -> str:
    """One line for the conversation list."""
    if text:
        return text if kind == "text" else f"[{kind}] {text}"
    return f"[{kind}]"


def window_left(last_inbound_at: datetime | None, now: datetime) -> timedelta | None:
    """How long the 24-hour service window stays open; None once closed (or never opened)."""
    if last_inbound_at is None:
        return None
    left = last_inbound_at + SERVICE_WINDOW - now
    return left if left > timedelta(0) else None


def check_text(text: str) -> str:
    """The reply's text, stripped; InboxError when empty or over Meta's limit."""
    text = text.strip()
    if not text:
        raise InboxError("Write a message first.")
    if len(text) > TEXT_MAX:
        raise InboxError(f"The message is {len(text):,} characters long; WhatsApp takes at "
                         f"most {TEXT_MAX:,}. Shorten it or split it in two.")
    return text


def check_tags(tags: list[str]) -> list[str]:
    """Tags cleaned (lower case, unique, in order); InboxError for an unusable one."""
    cleaned: list[str] = []
    for raw in tags:
        tag = raw.strip().lower()
        if not tag:
            continue
        if not TAG.fullmatch(tag):
            raise InboxError(f"Tag {raw[:40]!r}: use letters, digits, spaces, - or _ "
                             "(30 at most).")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        raise InboxError(f"A conversation takes at most {TAGS_MAX} tags.")
    return cleaned


def check_status(status: str, snoozed_until: datetime | None, now: datetime) -> Status:
    """A status to set; InboxError for an unknown one or a snooze not in the future."""
    try:
        chosen = Status(status)
    except ValueError:
        raise InboxError(f"Unknown status {status[:20]!r}.") from None
    if chosen is Status.SNOOZED and (snoozed_until is None or snoozed_until <= now):
        raise InboxError("Snooze until a time in the future.")
    return chosen


def current_status(status: str, snoozed_until: datetime | None, now: datetime) -> Status:
    """The status as shown now: a snooze that has run out is open again."""
    chosen = Status(status) if status in Status.__members__.values() else Status.OPEN
    if chosen is Status.SNOOZED and (snoozed_until is None or snoozed_until <= now):
        return Status.OPEN
    return chosen


@dataclass(frozen=True, slots=True)
class QuickReplyValues:
    """What a quick reply's variables stand for in one conversation ('' when unknown)."""

    customer_name: str = ""
    order_number: str = ""
    tracking_link: str = ""


def check_shortcut(shortcut: str) -> str:
    """A quick reply's shortcut without its slash; InboxError when unusable."""
    cleaned = shortcut.strip().lstrip("/").lower()
    if not SHORTCUT.fullmatch(cleaned):
        raise InboxError("A shortcut is 1 to 32 letters, digits, - or _ (typed after /).")
    return cleaned


def check_quick_reply(body: str) -> str:
    """A quick reply's text; InboxError for an unknown variable or a text too long."""
    body = check_text(body)
    unknown = sorted({name for name in _VARIABLE.findall(body) if name not in VARIABLES})
    if unknown:
        raise InboxError(f"Unknown variable {{{{{unknown[0]}}}}}: use "
                         + ", ".join(f"{{{{{v}}}}}" for v in VARIABLES) + ".")
    return body


def fill(body: str, values: QuickReplyValues) -> str:
    """The quick reply's text with its variables filled in."""
    known: Mapping[str, str] = {"customer_name": values.customer_name,
                                "order_number": values.order_number,
                                "tracking_link": values.tracking_link}
    return _VARIABLE.sub(lambda m: known.get(m.group(1), m.group(0)), body)


def expand(text: str, library: Mapping[str, str], values: QuickReplyValues) -> str:
    """A composer text that is exactly "/shortcut" becomes that quick reply, filled in;
    any other text is left as it is."""
    stripped = text.strip()
    if stripped.startswith("/") and stripped[1:].lower() in library:
        return fill(library[stripped[1:].lower()], values)
    return text
