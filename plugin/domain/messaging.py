"""What WhatsApp tells us: inbound messages, delivery statuses, preference changes, errors.

`adapters/whatsapp/notifications.py` turns every entry × change × item of a Meta notification into
these; nothing else reads Meta's JSON. Enums carry UNKNOWN so a new value degrades.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class InboundKind(str, enum.Enum):
    """The type of an inbound message."""

    TEXT = "text"
    BUTTON = "button"  # a template's quick-reply button
    BUTTON_REPLY = "button_reply"  # interactive reply buttons
    LIST_REPLY = "list_reply"  # interactive list
    ORDER = "order"  # a cart sent from a catalog
    LOCATION = "location"
    MEDIA = "media"  # image, video, audio, voice, document, sticker
    REACTION = "reaction"
    CONTACTS = "contacts"
    SYSTEM = "system"
    UNSUPPORTED = "unsupported"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> InboundKind:
        return cls.UNKNOWN


class DeliveryStatus(str, enum.Enum):
    """A status Meta reports for a message we sent."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    PLAYED = "played"
    DELETED = "deleted"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> DeliveryStatus:
        return cls.UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class Sender:
    """Who wrote: a phone-based wa_id, a business-scoped user id, or both (never assume a
    phone number)."""

    wa_id: str | None = None
    bsuid: str | None = None
    profile_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessage:
    """A message a shopper sent to one of our numbers."""

    wamid: str
    phone_number_id: str
    sender: Sender
    kind: InboundKind
    timestamp: int  # UNIX seconds, as Meta sends it
    text: str = ""  # the body, a button's text or a list row's title
    payload: str = ""  # a button's payload or a list row's id
    context_wamid: str = ""  # the message this one replies to
    media_id: str = ""
    media_type: str = ""  # image, video, audio, voice, document or sticker (kind MEDIA)
    location: dict[str, Any] | None = None  # latitude, longitude, name, address
    order: dict[str, Any] | None = None  # catalog_id, product_items, text
    referral: dict[str, Any] | None = None  # click-to-WhatsApp ad: source_url, source_id, …


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusUpdate:
    """Meta's report on a message we sent."""

    wamid: str
    phone_number_id: str
    recipient: str
    status: DeliveryStatus
    timestamp: int
    callback_data: str = ""  # our biz_opaque_callback_data ("storechat:<message id>")
    error_code: int | None = None
    error_title: str = ""
    error_detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketingPreference:
    """A shopper stopped or resumed marketing messages through Meta's own control."""

    phone_number_id: str
    sender: Sender
    granted: bool
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateUpdate:
    """A template's status, category or quality changed in the WABA."""

    waba_id: str
    name: str
    language: str
    event: str  # APPROVED, REJECTED, PAUSED, … or the new category / quality score
    field: str  # the notification field it came from
    reason: str = ""
    at: int = 0  # when Meta says it happened (the entry's unix time); 0 when not given


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelError:
    """An error Meta reports outside any one message (for a number or the whole app)."""

    phone_number_id: str
    code: int | None
    title: str
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class NumberUpdate:
    """Meta's word on a number's quality and messaging limit (phone_number_quality_update)
    or on the whole WhatsApp Business Account (account_update)."""

    waba_id: str
    field: str  # the notification field it came from
    event: str  # FLAGGED, UNFLAGGED, UPGRADE, DOWNGRADE, … or ACCOUNT_RESTRICTION, …
    display_phone_number: str = ""  # "" for an account update
    current_limit: str = ""  # TIER_250, TIER_2K, … (Meta retires it for the next one)
    business_limit: str = ""  # max_daily_conversations_per_business
    detail: str = ""  # restriction types, violation type, ban state: what Meta names
    at: int = 0  # when Meta says it happened (the entry's unix time); 0 when not given


WhatsAppUpdate = (InboundMessage | StatusUpdate | MarketingPreference | TemplateUpdate
                  | ChannelError | NumberUpdate)


@dataclass(frozen=True, slots=True)
class Notification:
    """Everything one webhook delivery carried, in order, plus what was skipped and why."""

    updates: tuple[WhatsAppUpdate, ...] = ()
    ignored: tuple[str, ...] = field(default_factory=tuple)
