"""Cloud API message bodies, built and checked against WhatsApp's documented limits BEFORE
anything is sent: a body over a limit raises `MessageLimitError` naming the limit, instead of
costing a request and coming back as Graph error 131009 / 100.

Every body carries messaging_product "whatsapp", recipient_type "individual" and "to"; our
own message id may ride in `biz_opaque_callback_data`, which Meta returns on every status.

Limits, from Meta's WhatsApp Business Platform documentation
(https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/…):
text-messages, interactive-list-messages, interactive-reply-buttons-messages,
location-request-messages, image-messages (and the other media pages), template-messages;
product messages from the commerce guide "share-products-with-customers".
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from plugin.domain.errors import PermanentError

Body = dict[str, Any]

# text-messages: "Body text … Maximum 4096 characters."
TEXT_BODY_MAX = 4096
# Interactive messages (list, reply buttons, product, location request): body ≤ 1024,
# text header ≤ 60, footer ≤ 60.
INTERACTIVE_BODY_MAX = 1024
HEADER_TEXT_MAX = 60
FOOTER_MAX = 60
# interactive-list-messages: "up to 10 sections, with up to 10 rows for all sections
# combined"; button label ≤ 20; row title ≤ 24, row id ≤ 200, row description ≤ 72;
# section title ≤ 24 (required when there is more than one section).
LIST_BUTTON_MAX = 20
LIST_SECTIONS_MAX = 10
LIST_ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_ID_MAX = 200
ROW_DESCRIPTION_MAX = 72
SECTION_TITLE_MAX = 24
# interactive-reply-buttons-messages: up to 3 buttons; id ≤ 256 and unique; label ≤ 20 and
# unique.
REPLY_BUTTONS_MAX = 3
REPLY_ID_MAX = 256
REPLY_TITLE_MAX = 20
# Multi-product messages: 1–10 sections, at most 30 products across all sections.
PRODUCT_SECTIONS_MAX = 10
PRODUCT_ITEMS_MAX = 30
# Template buttons that carry products (lower-cased sub_types): a catalog template's
# "View catalog" and a multi-product template's "View items" (Meta's catalog-templates and
# mpm-templates pages).
PRODUCT_BUTTONS = frozenset({"catalog", "mpm"})
# Media captions (image, video, document): "Maximum 1024 characters." Audio and stickers
# take no caption.
CAPTION_MAX = 1024
MEDIA_KINDS = ("image", "video", "audio", "document", "sticker")
CAPTIONED_KINDS = frozenset({"image", "video", "document"})
# A media header's link: Meta documents no limit; a URL longer than browsers keep is a
# mistake, not an image.
MEDIA_LINK_MAX = 2048
# Messages API: biz_opaque_callback_data "Maximum 512 characters."
CALLBACK_DATA_MAX = 512
# Templates: names are lowercase letters, digits and underscores, at most 512 characters;
# a template has at most 10 buttons (indexes 0–9).
TEMPLATE_NAME_MAX = 512
TEMPLATE_BUTTONS_MAX = 10
# A template text parameter holds at most this many characters (the domain cuts longer
# values before they get here: plugin.domain.journeys.MAX_PARAMETER_CHARS).
TEMPLATE_PARAMETER_MAX = 1024
# Graph error 132018: a template text parameter cannot hold new lines or tabs, nor more than
# four consecutive spaces.
_BAD_PARAMETER_TEXT = re.compile(r"[\n\t]| {5,}")
_TEMPLATE_NAME = re.compile(r"[a-z0-9_]+")
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2,4})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_RECIPIENT = re.compile(r"\+?[0-9]{5,20}")


class MessageLimitError(PermanentError, ValueError):
    """A message body breaks one of WhatsApp's documented limits; the text names it."""


# Value objects ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One choice of a list message."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A titled group of list rows."""

    title: str = ""
    rows: Sequence[Row] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyButton:
    """One quick-reply button of a reply-buttons message."""

    id: str
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductSection:
    """A titled group of catalog items (by retailer id) of a multi-product message."""

    title: str
    product_retailer_ids: Sequence[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateButton:
    """The parameter of one template button: a quick reply's payload, a URL's suffix, or a
    catalog / multi-product button's `action` (built by `product_button`)."""

    index: int
    sub_type: str  # "quick_reply" | "url" | "CATALOG" | "mpm"
    value: str = ""
    action: Mapping[str, Any] | None = None


# Template parameters ------------------------------------------------------------------------

def text_parameter(value: str) -> Body:
    """A template text parameter (no new lines, tabs or runs of 5+ spaces: Graph 132018)."""
    if _BAD_PARAMETER_TEXT.search(value):
        raise MessageLimitError("a template text parameter cannot contain new lines, tabs or "
                                f"more than 4 consecutive spaces: {value[:40]!r}")
    if not value.strip():
        raise MessageLimitError("a template text parameter cannot be empty")
    return {"type": "text", "text": _limited(value, TEMPLATE_PARAMETER_MAX,
                                             "a template text parameter")}


def currency_parameter(fallback_value: str, code: str, amount_1000: int) -> Body:
    """A localised amount: ISO 4217 `code` and the amount × 1000 as a whole number."""
    if not _CURRENCY.fullmatch(code):
        raise MessageLimitError(
            f"currency code must be 3 capital letters (ISO 4217), not {code!r}")
    if isinstance(amount_1000, bool) or not isinstance(amount_1000, int):
        raise MessageLimitError("currency amount_1000 must be a whole number (amount × 1000)")
    _required(fallback_value, "currency fallback_value")
    return {"type": "currency", "currency": {"fallback_value": fallback_value, "code": code,
                                             "amount_1000": amount_1000}}


def date_time_parameter(fallback_value: str) -> Body:
    """A date shown as written (Cloud API always uses the fallback value)."""
    _required(fallback_value, "date_time fallback_value")
    return {"type": "date_time", "date_time": {"fallback_value": fallback_value}}


def media_parameter(kind: str, media_id: str) -> Body:
    """An image, video or document header parameter, by uploaded media id."""
    if kind not in ("image", "video", "document"):
        raise MessageLimitError("a template header parameter is image, video or document, "
                                f"not {kind!r}")
    return {"type": kind, kind: {"id": _required(media_id, "media id")}}


def media_link_parameter(kind: str, url: str) -> Body:
    """An image, video or document header parameter by link: Meta fetches the file from
    `url`, which must be https (an http link is refused at send time, after a request)."""
    if kind not in ("image", "video", "document"):
        raise MessageLimitError("a template header parameter is image, video or document, "
                                f"not {kind!r}")
    link = _required(url, "media link").strip()
    if not link.lower().startswith("https://") or any(c.isspace() for c in link):
        raise MessageLimitError(f"a media link must be an https URL, not {link[:60]!r}")
    return {"type": kind, kind: {"link": _limited(link, MEDIA_LINK_MAX, "media link")}}


# Builders -----------------------------------------------------------------------------------

def template(to: str | None, name: str, language: str, *, header: Sequence[Body] = (),
             body: Sequence[Body | str] = (),
             buttons: Sequence[TemplateButton | Mapping[str, Any]] = (),
             callback_data: str | None = None,
             parameter_names: Sequence[str] = ()) -> Body:
    """A template message with header, body and button parameters, checked.

    A plain string in `body` is a text parameter; a mapping in `buttons` is a button
    component in Graph's own shape (as the journeys plan them) and is checked the same way.
    `parameter_names` names the body's parameters of a template written with named
    variables (Graph's `parameter_name`), one per parameter, in order.
    `to` is None when the shopper has no WhatsApp number: the body is still kept for the
    owner's message log, and the send policy refuses it ("no WhatsApp number").
    """
    if len(name) > TEMPLATE_NAME_MAX or not _TEMPLATE_NAME.fullmatch(name):
        raise MessageLimitError("template name must be 1–512 lowercase letters, digits or "
                                f"underscores, not {name[:60]!r}")
    if not _LANGUAGE.fullmatch(language):
        raise MessageLimitError("template language must be a code like en or pt_BR, "
                                f"not {language!r}")
    components: list[Body] = []
    if header:
        components.append({"type": "header", "parameters": list(header)})
    if parameter_names and len(parameter_names) != len(body):
        raise MessageLimitError(f"a template with named variables needs one name per "
                                f"parameter: {len(parameter_names)} names, {len(body)} values")
    if body:
        parameters = [text_parameter(p) if isinstance(p, str) else dict(p) for p in body]
        for parameter, parameter_name in zip(parameters, parameter_names, strict=False):
            parameter["parameter_name"] = parameter_name
        components.append({"type": "body", "parameters": parameters})
    checked = [b if isinstance(b, TemplateButton) else template_button(b) for b in buttons]
    if len(checked) > TEMPLATE_BUTTONS_MAX:
        raise MessageLimitError(f"a template has at most {TEMPLATE_BUTTONS_MAX} buttons")
    if len({b.index for b in checked}) != len(checked):
        raise MessageLimitError("template button indexes must be unique")
    for button in checked:
        components.append(_template_button(button))
    content = {"name": name, "language": {"code": language}, "components": components}
    if to is None:
        return _addressed("", "template", content, callback_data)
    return _envelope(to, "template", content, callback_data)


def template_button(component: Mapping[str, Any]) -> TemplateButton:
    """Read a button component in Graph's shape ({"type": "button", "sub_type", "index",
    "parameters": [one payload or text]}) into a TemplateButton, or name what is wrong."""
    try:
        index = int(str(component["index"]))
        [parameter] = component["parameters"]
        value = parameter.get("payload", parameter.get("text"))
        action = parameter.get("action")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise MessageLimitError(f"a template button component is malformed: {error!r}") from None
    sub_type = str(component.get("sub_type", ""))
    if sub_type.lower() in PRODUCT_BUTTONS:
        if not isinstance(action, Mapping):
            raise MessageLimitError(f"a {sub_type} button needs an action parameter")
        sections = [ProductSection(title=str(s.get("title", "")), product_retailer_ids=[
            str(i.get("product_retailer_id", "")) for i in s.get("product_items") or ()])
            for s in action.get("sections") or ()]
        return product_button(index, str(action.get("thumbnail_product_retailer_id", "")),
                              sections)
    return TemplateButton(index=index, sub_type=sub_type,
                          value=value if isinstance(value, str) else "")


def product_button(index: int, thumbnail_retailer_id: str,
                   sections: Sequence[ProductSection] = ()) -> TemplateButton:
    """The button of a catalog template (no sections: "View catalog", its thumbnail from
    that item) or of a multi-product (MPM) template (up to 30 items in up to 10 sections)."""
    action: Body = {"thumbnail_product_retailer_id": _required(
        thumbnail_retailer_id, "thumbnail product retailer id")}
    if sections:
        action["sections"] = _product_sections(sections, "a multi-product template")
    return TemplateButton(index=index, sub_type="mpm" if sections else "CATALOG",
                          action=action)


def _template_button(button: TemplateButton) -> Body:
    if not 0 <= button.index < TEMPLATE_BUTTONS_MAX:
        raise MessageLimitError(f"template button index must be 0–{TEMPLATE_BUTTONS_MAX - 1}")
    if button.sub_type.lower() in PRODUCT_BUTTONS:
        if button.action is None:
            raise MessageLimitError(f"a {button.sub_type} button needs an action")
        parameter = {"type": "action", "action": dict(button.action)}
    elif button.sub_type == "quick_reply":
        parameter = {"type": "payload", "payload": _required(button.value, "button payload")}
    elif button.sub_type == "url":
        parameter = {"type": "text", "text": _required(button.value, "button URL suffix")}
    else:
        raise MessageLimitError("template button sub_type is quick_reply, url, CATALOG or mpm, "
                                f"not {button.sub_type!r}")
    return {"type": "button", "sub_type": button.sub_type, "index": str(button.index),
            "parameters": [parameter]}


def text(to: str, body: str, *, preview_url: bool = False,
         callback_data: str | None = None) -> Body:
    """A plain text message (links previewed when `preview_url`)."""
    content = {"preview_url": preview_url,
               "body": _limited(_required(body, "text body"), TEXT_BODY_MAX, "text body")}
    return _envelope(to, "text", content, callback_data)


def interactive_list(to: str, body: str, button: str, sections: Sequence[Section], *,
                     header: str = "", footer: str = "",
                     callback_data: str | None = None) -> Body:
    """A list message: a button that opens up to 10 rows in up to 10 sections."""
    if not 1 <= len(sections) <= LIST_SECTIONS_MAX:
        raise MessageLimitError(f"a list message has 1–{LIST_SECTIONS_MAX} sections, "
                                f"not {len(sections)}")
    rows = [row for section in sections for row in section.rows]
    if not 1 <= len(rows) <= LIST_ROWS_MAX:
        raise MessageLimitError(f"a list message has 1–{LIST_ROWS_MAX} rows across all "
                                f"sections, not {len(rows)}")
    _unique([row.id for row in rows], "list row ids")
    action = {"button": _limited(_required(button, "list button label"), LIST_BUTTON_MAX,
                                 "list button label"),
              "sections": [_section(section, many=len(sections) > 1) for section in sections]}
    content = _interactive_text("list", body, header, footer, action)
    return _envelope(to, "interactive", content, callback_data)


def _section(section: Section, many: bool) -> Body:
    out: Body = {}
    if many or section.title:
        out["title"] = _limited(_required(section.title, "section title (needed with several "
                                                         "sections)"),
                                SECTION_TITLE_MAX, "section title")
    if not section.rows:
        raise MessageLimitError("every list section needs at least one row")
    out["rows"] = [_row(row) for row in section.rows]
    return out


def _row(row: Row) -> Body:
    out = {"id": _limited(_required(row.id, "row id"), ROW_ID_MAX, "row id"),
           "title": _limited(_required(row.title, "row title"), ROW_TITLE_MAX, "row title")}
    if row.description:
        out["description"] = _limited(row.description, ROW_DESCRIPTION_MAX, "row description")
    return out


def reply_buttons(to: str, body: str, buttons: Sequence[ReplyButton], *, header: str = "",
                  footer: str = "", callback_data: str | None = None) -> Body:
    """Up to three quick-reply buttons under a body text."""
    if not 1 <= len(buttons) <= REPLY_BUTTONS_MAX:
        raise MessageLimitError(f"a reply-buttons message has 1–{REPLY_BUTTONS_MAX} buttons, "
                                f"not {len(buttons)}")
    _unique([b.id for b in buttons], "reply button ids")
    _unique([b.title for b in buttons], "reply button titles")
    action = {"buttons": [
        {"type": "reply", "reply": {
            "id": _limited(_required(b.id, "reply button id"), REPLY_ID_MAX, "reply button id"),
            "title": _limited(_required(b.title, "reply button title"), REPLY_TITLE_MAX,
                              "reply button title")}}
        for b in buttons]}
    content = _interactive_text("button", body, header, footer, action)
    return _envelope(to, "interactive", content, callback_data)


def single_product(to: str, catalog_id: str, product_retailer_id: str, *, body: str = "",
                   footer: str = "", callback_data: str | None = None) -> Body:
    """One catalog item, shown as its product page."""
    content: Body = {"type": "product", "action": {
        "catalog_id": _required(catalog_id, "catalog id"),
        "product_retailer_id": _required(product_retailer_id, "product retailer id")}}
    if body:
        content["body"] = {"text": _limited(body, INTERACTIVE_BODY_MAX, "body")}
    if footer:
        content["footer"] = {"text": _limited(footer, FOOTER_MAX, "footer")}
    return _envelope(to, "interactive", content, callback_data)


def multi_product(to: str, catalog_id: str, header: str, body: str,
                  sections: Sequence[ProductSection], *, footer: str = "",
                  callback_data: str | None = None) -> Body:
    """Up to 30 catalog items in up to 10 titled sections (header and body required)."""
    action = {"catalog_id": _required(catalog_id, "catalog id"),
              "sections": _product_sections(sections, "a multi-product message")}
    content = _interactive_text("product_list", body, _required(header, "header"), footer,
                                action)
    return _envelope(to, "interactive", content, callback_data)


def _product_sections(sections: Sequence[ProductSection], what: str) -> list[Body]:
    """Checked product sections: 1–10 titled sections, 1–30 items across them."""
    if not 1 <= len(sections) <= PRODUCT_SECTIONS_MAX:
        raise MessageLimitError(f"{what} has 1–{PRODUCT_SECTIONS_MAX} sections, "
                                f"not {len(sections)}")
    total = sum(len(s.product_retailer_ids) for s in sections)
    if total > PRODUCT_ITEMS_MAX:
        raise MessageLimitError(f"{what} has at most {PRODUCT_ITEMS_MAX} products across all "
                                f"sections, not {total}")
    out_sections = []
    for section in sections:
        if not section.product_retailer_ids:
            raise MessageLimitError("every product section needs at least one product")
        out_sections.append({
            "title": _limited(_required(section.title, "product section title"),
                              SECTION_TITLE_MAX, "product section title"),
            "product_items": [{"product_retailer_id": _required(pid, "product retailer id")}
                              for pid in section.product_retailer_ids]})
    return out_sections


def location_request(to: str, body: str, *, callback_data: str | None = None) -> Body:
    """A body text with WhatsApp's own "Send location" button."""
    content = _interactive_text("location_request_message", body, "", "",
                                {"name": "send_location"})
    return _envelope(to, "interactive", content, callback_data)


def media(to: str, kind: str, media_id: str, *, caption: str = "", filename: str = "",
          callback_data: str | None = None) -> Body:
    """An uploaded image, video, audio, document or sticker, by its media id."""
    if kind not in MEDIA_KINDS:
        raise MessageLimitError(f"media type is one of {', '.join(MEDIA_KINDS)}, not {kind!r}")
    content: Body = {"id": _required(media_id, "media id")}
    if caption:
        if kind not in CAPTIONED_KINDS:
            raise MessageLimitError(f"a {kind} message takes no caption")
        content["caption"] = _limited(caption, CAPTION_MAX, "caption")
    if filename:
        if kind != "document":
            raise MessageLimitError("only a document has a filename")
        if "/" in filename or "\\" in filename or not filename.strip():
            raise MessageLimitError(f"a document filename is a bare file name, not {filename!r}")
        content["filename"] = filename
    return _envelope(to, kind, content, callback_data)


# Shared pieces ------------------------------------------------------------------------------

def _interactive_text(kind: str, body: str, header: str, footer: str, action: Body) -> Body:
    content: Body = {"type": kind}
    if header:
        content["header"] = {"type": "text", "text": _limited(header, HEADER_TEXT_MAX, "header")}
    content["body"] = {"text": _limited(_required(body, "body"), INTERACTIVE_BODY_MAX, "body")}
    if footer:
        content["footer"] = {"text": _limited(footer, FOOTER_MAX, "footer")}
    content["action"] = action
    return content


def _envelope(to: str, kind: str, content: Body, callback_data: str | None) -> Body:
    if not _RECIPIENT.fullmatch(to or ""):
        raise MessageLimitError(f"recipient must be a phone number in digits, not {to!r}")
    return _addressed(to, kind, content, callback_data)


def _addressed(to: str, kind: str, content: Body, callback_data: str | None) -> Body:
    body: Body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                  "type": kind, kind: content}
    if callback_data:
        body["biz_opaque_callback_data"] = _limited(callback_data, CALLBACK_DATA_MAX,
                                                    "biz_opaque_callback_data")
    return body


def _required(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MessageLimitError(f"{name} is required")
    return value


def _limited(value: str, limit: int, name: str) -> str:
    if len(value) > limit:
        raise MessageLimitError(f"{name} has at most {limit} characters (this has {len(value)})")
    return value


def _unique(values: Iterable[str], name: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise MessageLimitError(f"{name} must be unique: {value!r} appears twice")
        seen.add(value)
