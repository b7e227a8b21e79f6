"""Meta's WhatsApp Business Account notifications (raw POST body) into domain updates.

`parse_notification` reads **every** entry × change × item of one delivery (Meta batches
them; pywa reads only the first, DESIGN.md §2) and raises `PayloadError` only when the body
is not a WhatsApp Business Account notification at all. Inside a valid envelope nothing
raises: an item that cannot be read is skipped and named in `Notification.ignored` as
"<path> [<id>]: <reason>", and a change of a field StoreChat does not act on (calls,
smb_message_echoes, …) is named there by its field. The number's quality and limit
(phone_number_quality_update) and the account's standing (account_update) become
`NumberUpdate`s.

Decisions worth knowing:

- A sender is the item's `from` / `from_user_id`, completed from the `contacts[]` entry with
  the same `wa_id` or `user_id` (never from a contact naming someone else); an item with
  neither a phone nor a business-scoped id is skipped.
- Messages and marketing preferences need `metadata.phone_number_id` (they are routed by it);
  statuses and errors do not (a status is matched by its wamid).
- A reaction's target goes in `context_wamid`, its emoji in `text` ('' = removed); a system
  message keeps `system.type` in `payload`; order items carry item_price as a decimal string.
- Only `stop` / `resume` of `marketing_messages` become preferences; a `signup` (Meta's
  sign-up link) is named in `ignored`: no opt-in is inferred whose wording we cannot show.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from adapters import fields
from adapters.json_body import load_object
from plugin.domain.errors import PayloadError
from plugin.domain.messaging import (
    ChannelError,
    DeliveryStatus,
    InboundKind,
    InboundMessage,
    MarketingPreference,
    Notification,
    NumberUpdate,
    Sender,
    StatusUpdate,
    TemplateUpdate,
    WhatsAppUpdate,
)

Raw = dict[str, Any]

WABA_OBJECT = "whatsapp_business_account"

# Template notification fields -> the value key that holds the new state.
TEMPLATE_FIELDS: dict[str, str] = {
    "message_template_status_update": "event",
    "template_category_update": "new_category",
    "message_template_quality_update": "new_quality_score",
    "message_template_components_update": "",  # no state: the components themselves changed
}
COMPONENTS_UPDATED = "COMPONENTS_UPDATED"
# The number's quality and messaging limit, and the account's standing.
NUMBER_FIELDS = frozenset({"phone_number_quality_update", "account_update"})

MEDIA_TYPES = frozenset({"image", "video", "audio", "voice", "document", "sticker"})
MARKETING_VALUES = {"stop": False, "resume": True}

# datetime cannot go past 9999-12-31T23:59:59Z; later "timestamps" are garbage, not dates.
MAX_TIMESTAMP = 253_402_300_799
_DIGITS = re.compile(r"[0-9]{1,12}")


class _Skip(Exception):
    """One item cannot be read; the reason goes into `Notification.ignored`."""


def parse_notification(body: bytes) -> Notification:
    """Every update of one Meta delivery, in order, and what was skipped and why."""
    entries = _envelope(body)
    updates: list[WhatsAppUpdate] = []
    ignored: list[str] = []
    for e, entry in enumerate(entries):
        where = f"entry[{e}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            ignored.append(f"{where}: not an entry with a changes list")
            continue
        waba_id = _ident(entry.get("id"))
        at = _entry_time(entry.get("time"))
        for c, change in enumerate(entry["changes"]):
            _change(change, waba_id, f"{where}.changes[{c}]", updates, ignored, at)
    return Notification(updates=tuple(updates), ignored=tuple(ignored))


def _envelope(body: bytes) -> list[Any]:
    data = load_object(body, "the notification")
    if data.get("object") != WABA_OBJECT:
        raise PayloadError(f"object is {data.get('object')!r}, not {WABA_OBJECT!r}")
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise PayloadError("entry is not a list")
    return entries


def _entry_time(raw: Any) -> int:
    """An entry's `time` (unix seconds), 0 when absent or not a plausible one."""
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw < 2**40 else 0


def _change(change: Any, waba_id: str, where: str, updates: list[WhatsAppUpdate],
            ignored: list[str], at: int = 0) -> None:
    """Dispatch one change by its field; unknown fields are named, never read."""
    if not isinstance(change, dict) or not isinstance(change.get("field"), str):
        ignored.append(f"{where}: not a change with a field")
        return
    field, value = change["field"], change.get("value")
    if (field not in TEMPLATE_FIELDS and field not in NUMBER_FIELDS
            and field not in ("messages", "user_preferences")):
        ignored.append(field or f"{where}: empty field")
        return
    if not isinstance(value, dict):
        ignored.append(f"{where} {field}: value is not an object")
        return
    if field in TEMPLATE_FIELDS:
        _collect(updates, ignored, f"{where} {field}",
                 lambda: _template(value, field, waba_id, at))
        return
    if field in NUMBER_FIELDS:
        _collect(updates, ignored, f"{where} {field}",
                 lambda: _number(value, field, waba_id, at))
        return
    before = len(updates) + len(ignored)
    phone_number_id = _ident(_obj(value.get("metadata")).get("phone_number_id"))
    contacts = _contacts(value.get("contacts"))
    if field == "messages":
        _items(value, "messages", where, updates, ignored,
               lambda item: _message(item, phone_number_id, contacts))
        _items(value, "statuses", where, updates, ignored,
               lambda item: _status(item, phone_number_id))
    else:
        _items(value, "user_preferences", where, updates, ignored,
               lambda item: _preference(item, phone_number_id, contacts))
    _items(value, "errors", where, updates, ignored,
           lambda item: _channel_error(item, phone_number_id))
    if len(updates) + len(ignored) == before:
        ignored.append(f"{where} {field}: nothing to read")


def _items(value: Raw, key: str, where: str, updates: list[WhatsAppUpdate],
           ignored: list[str], build: Callable[[Any], WhatsAppUpdate]) -> None:
    items = value.get(key)
    if items is None:
        return
    if not isinstance(items, list):
        ignored.append(f"{where}.{key}: not a list")
        return
    for i, item in enumerate(items):
        label = f"{where}.{key}[{i}]"
        if isinstance(item, dict) and _ident(item.get("id")):
            label += f" {_ident(item.get('id'))}"
        _collect(updates, ignored, label, partial(build, item))


def _collect(updates: list[WhatsAppUpdate], ignored: list[str], label: str,
             build: Callable[[], WhatsAppUpdate]) -> None:
    """Append what `build` returns, or name the item with the reason it could not be read."""
    try:
        updates.append(build())
    except _Skip as exc:
        ignored.append(f"{label}: {exc}")
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:  # a shape not foreseen
        ignored.append(f"{label}: malformed ({exc.__class__.__name__})")


# Messages ------------------------------------------------------------------------------------

def _message(item: Any, phone_number_id: str, contacts: list[Raw]) -> InboundMessage:
    m = _item(item)
    wamid = _required_ident(m.get("id"), "id")
    if not phone_number_id:
        raise _Skip("no metadata.phone_number_id to route it by")
    timestamp = _timestamp(m.get("timestamp"))
    sender = _sender(_ident(m.get("from")), _ident(m.get("from_user_id")), contacts)
    context = _obj(m.get("context"))
    content = _content(m)
    content.setdefault("context_wamid", _ident(context.get("id")))
    return InboundMessage(wamid=wamid, phone_number_id=phone_number_id, sender=sender,
                          timestamp=timestamp, referral=_referral(m.get("referral")), **content)


def _content(m: Raw) -> dict[str, Any]:
    """The kind and the kind-specific fields of a message, keyed as InboundMessage names them."""
    kind = m.get("type") if isinstance(m.get("type"), str) else ""
    body = _obj(m.get(kind)) if kind else {}
    if kind == "text":
        return {"kind": InboundKind.TEXT, "text": fields.text(body.get("body"))}
    if kind == "button":  # a template's quick reply
        return {"kind": InboundKind.BUTTON, "text": fields.text(body.get("text")),
                "payload": fields.text(body.get("payload"))}
    if kind == "interactive":
        return _interactive(body)
    if kind in MEDIA_TYPES:
        voice = kind == "voice" or (kind == "audio" and body.get("voice") is True)
        return {"kind": InboundKind.MEDIA, "media_type": "voice" if voice else kind,
                "media_id": _required_ident(body.get("id"), f"{kind}.id"),
                "text": fields.text(body.get("caption"))}
    if kind == "location":
        return {"kind": InboundKind.LOCATION, "location": _location(body)}
    if kind == "order":
        order = _order(body)
        return {"kind": InboundKind.ORDER, "order": order, "text": order["text"]}
    if kind == "reaction":
        return {"kind": InboundKind.REACTION, "text": fields.text(body.get("emoji")),
                "context_wamid": _ident(body.get("message_id"))}
    if kind == "contacts":
        listed = m.get("contacts")
        cards = listed if isinstance(listed, list) else []
        names = [fields.text(_obj(_obj(card).get("name")).get("formatted_name")) for card in cards]
        return {"kind": InboundKind.CONTACTS, "text": ", ".join(filter(None, names))}
    if kind == "system":
        return {"kind": InboundKind.SYSTEM, "text": fields.text(body.get("body")),
                "payload": fields.text(body.get("type"))}
    if kind == "unsupported":
        return {"kind": InboundKind.UNSUPPORTED}
    return {"kind": InboundKind.UNKNOWN}  # revoke, edit, a type Meta adds later, or none


def _interactive(body: Raw) -> dict[str, Any]:
    """Reply buttons and list rows; flows, call permissions and the rest are UNKNOWN."""
    reply_type = body.get("type")
    if reply_type in ("button_reply", "list_reply"):
        reply = _obj(body.get(reply_type))
        return {"kind": InboundKind(reply_type),
                "payload": _required_ident(reply.get("id"), f"{reply_type}.id"),
                "text": fields.text(reply.get("title"))}  # a list row's description stays out
    return {"kind": InboundKind.UNKNOWN}


def _location(body: Raw) -> Raw:
    latitude = _coordinate(body.get("latitude"), 90.0, "latitude")
    longitude = _coordinate(body.get("longitude"), 180.0, "longitude")
    return {"latitude": latitude, "longitude": longitude,
            "name": fields.text(body.get("name")), "address": fields.text(body.get("address"))}


def _coordinate(value: Any, limit: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Skip(f"location {name} is not a number")
    number = float(value)
    if not math.isfinite(number) or abs(number) > limit:
        raise _Skip(f"location {name} is out of range")
    return number


def _order(body: Raw) -> Raw:
    items = body.get("product_items")
    if not isinstance(items, list):
        raise _Skip("order without product_items")
    lines = []
    for line in items:
        line = _obj(line)
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise _Skip("order item without a whole quantity")
        try:
            price = fields.optional_money(line.get("item_price"), "item_price")
        except ValueError as exc:
            raise _Skip(f"order item: {exc}") from None
        lines.append({"product_retailer_id": _required_ident(line.get("product_retailer_id"),
                                                             "product_retailer_id"),
                      "quantity": quantity,
                      "item_price": "" if price is None else str(price),
                      "currency": fields.text(line.get("currency"))})
    return {"catalog_id": _required_ident(body.get("catalog_id"), "order catalog_id"),
            "product_items": lines, "text": fields.text(body.get("text"))}


def _referral(value: Any) -> dict[str, str] | None:
    """A click-to-WhatsApp ad's fields as given, strings only; None when there is none."""
    strings = {k: v for k, v in _obj(value).items() if isinstance(v, str)}
    return strings or None


# Statuses, preferences, errors, templates ----------------------------------------------------

def _status(item: Any, phone_number_id: str) -> StatusUpdate:
    s = _item(item)
    errors = s.get("errors") if isinstance(s.get("errors"), list) else []
    error = _obj(errors[0]) if errors else {}
    return StatusUpdate(
        wamid=_required_ident(s.get("id"), "id"),
        phone_number_id=phone_number_id,
        recipient=_ident(s.get("recipient_id")) or _ident(s.get("recipient_user_id")),
        status=DeliveryStatus(fields.text(s.get("status")).lower()),
        timestamp=_timestamp(s.get("timestamp")),
        callback_data=fields.text(s.get("biz_opaque_callback_data")),
        error_code=_code(error.get("code")),
        error_title=fields.text(error.get("title")) or fields.text(error.get("message")),
        error_detail=fields.text(_obj(error.get("error_data")).get("details")),
    )


def _preference(item: Any, phone_number_id: str, contacts: list[Raw]) -> MarketingPreference:
    p = _item(item)
    category, value = fields.text(p.get("category")), fields.text(p.get("value"))
    if category != "marketing_messages":
        raise _Skip(f"preference category {category!r} is not marketing_messages")
    if value not in MARKETING_VALUES:
        raise _Skip(f"marketing preference {value!r} is neither stop nor resume")
    if not phone_number_id:
        raise _Skip("no metadata.phone_number_id to route it by")
    return MarketingPreference(
        phone_number_id=phone_number_id,
        sender=_sender(_ident(p.get("wa_id")), _ident(p.get("user_id")), contacts),
        granted=MARKETING_VALUES[value],
        timestamp=_timestamp(p.get("timestamp")),
    )


def _channel_error(item: Any, phone_number_id: str) -> ChannelError:
    e = _item(item)
    return ChannelError(
        phone_number_id=phone_number_id,
        code=_code(e.get("code")),
        title=fields.text(e.get("title")) or fields.text(e.get("message")),
        detail=fields.text(_obj(e.get("error_data")).get("details")),
    )


def _template(value: Raw, field: str, waba_id: str, at: int = 0) -> TemplateUpdate:
    state_key = TEMPLATE_FIELDS[field]
    event = fields.text(value.get(state_key)) if state_key else COMPONENTS_UPDATED
    if not event:
        raise _Skip(f"no {state_key}")
    if field == "message_template_status_update":
        code = fields.text(value.get("reason"))
        why = fields.text(_obj(value.get("rejection_info")).get("reason"))
        reason = ": ".join(filter(None, (code if code != "NONE" else "", why)))
    else:
        previous = (fields.text(value.get("previous_category"))
                    or fields.text(value.get("previous_quality_score")))
        reason = f"was {previous}" if previous else ""
    return TemplateUpdate(
        waba_id=waba_id,
        name=_required_ident(value.get("message_template_name"), "message_template_name"),
        language=_required_ident(value.get("message_template_language"),
                                 "message_template_language"),
        event=event, field=field, reason=reason, at=at,
    )


def _number(value: Raw, field: str, waba_id: str, at: int = 0) -> NumberUpdate:
    event = fields.text(value.get("event"))
    if not event:
        raise _Skip("no event")
    if not waba_id:
        raise _Skip("no account id")
    return NumberUpdate(
        waba_id=waba_id, field=field, event=event[:60],
        display_phone_number=fields.text(value.get("display_phone_number"))[:32],
        current_limit=fields.text(value.get("current_limit"))[:40],
        business_limit=fields.text(value.get("max_daily_conversations_per_business"))[:40],
        detail=_account_detail(value)[:255], at=at)


def _account_detail(value: Raw) -> str:
    """What an account update names beyond its event: restriction types, a violation, a
    ban state."""
    parts = [fields.text(_obj(r).get("restriction_type"))
             for r in value.get("restriction_info") or [] if isinstance(r, dict)]
    parts.append(fields.text(_obj(value.get("violation_info")).get("violation_type")))
    parts.append(fields.text(_obj(value.get("ban_info")).get("waba_ban_state")))
    return ", ".join(p for p in parts if p)


# Readers -------------------------------------------------------------------------------------

def _sender(wa_id: str, bsuid: str, contacts: list[Raw]) -> Sender:
    """Who: the item's own ids, completed from the matching contacts[] entry."""
    contact: Raw = {}
    for candidate in contacts:
        if (wa_id and candidate["wa_id"] == wa_id) or (bsuid and candidate["user_id"] == bsuid):
            contact = candidate
            break
    else:
        if not wa_id and not bsuid and len(contacts) == 1:
            contact = contacts[0]  # the item names nobody; the delivery names one person
    wa_id = wa_id or contact.get("wa_id", "")
    bsuid = bsuid or contact.get("user_id", "")
    if not wa_id and not bsuid:
        raise _Skip("no sender: neither a wa_id nor a business-scoped user id")
    return Sender(wa_id=wa_id or None, bsuid=bsuid or None,
                  profile_name=contact.get("name", ""))


def _contacts(value: Any) -> list[Raw]:
    """contacts[] as {wa_id, user_id, name}; unreadable entries are dropped (they only help)."""
    readable = []
    for contact in value if isinstance(value, list) else []:
        if isinstance(contact, dict):
            readable.append({"wa_id": _ident(contact.get("wa_id")),
                             "user_id": _ident(contact.get("user_id")),
                             "name": fields.text(_obj(contact.get("profile")).get("name"))})
    return readable


def _item(value: Any) -> Raw:
    if not isinstance(value, dict):
        raise _Skip("not an object")
    return value


def _obj(value: Any) -> Raw:
    return value if isinstance(value, dict) else {}


def _ident(value: Any) -> str:
    """An id Meta sends as a string (tolerating a number); '' when absent or not a scalar."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _required_ident(value: Any, name: str) -> str:
    ident = _ident(value)
    if not ident:
        raise _Skip(f"no {name}")
    return ident


def _timestamp(value: Any) -> int:
    """UNIX seconds: Meta sends a digit string (a number in user_preferences)."""
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        seconds = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        raise _Skip("timestamp is not UNIX seconds")
    if not 0 <= seconds <= MAX_TIMESTAMP:
        raise _Skip("timestamp is out of range")
    return seconds


def _code(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    return None
