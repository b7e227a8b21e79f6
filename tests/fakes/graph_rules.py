"""What the fake Graph API refuses, written from Meta's documentation independently of
adapters/whatsapp/messages.py, so a wrong limit there shows up as a refused body here.

`check_message` and `check_template_definition` raise `Invalid(code, details)`: Meta answers
a value over a limit with error 131009 "Parameter value is not valid" (details say which),
a missing or malformed field with 100 "Invalid parameter", and a template text parameter
holding new lines or tabs with 132018.
"""
from __future__ import annotations

import re
from typing import Any

INVALID_VALUE = 131009
INVALID_PARAMETER = 100
TEMPLATE_PARAMETER_FORMAT = 132018

_NAME = re.compile(r"[a-z0-9_]{1,512}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2,4})?")
_VARIABLE = re.compile(r"\{\{\s*\w+\s*\}\}")
_MEDIA_KINDS = {"image", "video", "audio", "document", "sticker"}
_CAPTIONED = {"image", "video", "document"}


# Subcodes Meta adds to a refused template (error 100).
DUPLICATE_LANGUAGE = 2388024  # content in this language already exists for the name
LEADING_OR_TRAILING_VARIABLE = 2388299  # a body starting or ending with a variable
_NAMED_PARAM = re.compile(r"[a-z][a-z0-9_]*")
_POSITIONAL_PARAM = re.compile(r"[0-9]+")
_BUTTON_LIMITS = {"QUICK_REPLY": 10, "URL": 2, "PHONE_NUMBER": 1, "COPY_CODE": 1, "OTP": 1}


class Invalid(Exception):
    """A request Meta would refuse; `code` is the Graph error code, `subcode` its
    error_subcode when Meta gives one, `user_message` its error_user_msg."""

    def __init__(self, code: int, details: str, subcode: int | None = None,
                 user_message: str = "") -> None:
        super().__init__(details)
        self.code = code
        self.details = details
        self.subcode = subcode
        self.user_message = user_message


def _obj(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(INVALID_PARAMETER, f"{name} must be an object")
    return value


def _list(value: Any, name: str, low: int, high: int) -> list[Any]:
    if not isinstance(value, list):
        raise Invalid(INVALID_PARAMETER, f"{name} must be an array")
    if not low <= len(value) <= high:
        raise Invalid(INVALID_VALUE, f"{name} count invalid. Min: {low}, Max: {high}, "
                                     f"got {len(value)}")
    return value


def _text(value: Any, name: str, high: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise Invalid(INVALID_PARAMETER, f"{name} is required and must be a string")
    if len(value) > high:
        raise Invalid(INVALID_VALUE, f"{name} length invalid. Min length: 1, Max length: "
                                     f"{high}, got {len(value)}")
    return value


def _unique(values: list[str], name: str) -> None:
    if len(set(values)) != len(values):
        raise Invalid(INVALID_VALUE, f"{name} must be unique")


def check_message(payload: Any) -> None:
    """Raise Invalid unless `payload` is a Cloud API message body Meta would accept."""
    body = _obj(payload, "body")
    if body.get("messaging_product") != "whatsapp":
        raise Invalid(INVALID_PARAMETER, "messaging_product must be whatsapp")
    if not isinstance(body.get("to"), str) or not body["to"]:
        raise Invalid(INVALID_PARAMETER, "to is required")
    if body.get("recipient_type", "individual") != "individual":
        raise Invalid(INVALID_PARAMETER, "recipient_type must be individual")
    _text(body.get("biz_opaque_callback_data"), "biz_opaque_callback_data", 512, required=False)
    kind = body.get("type", "text")
    content = _obj(body.get(kind), kind)
    if kind == "text":
        _text(content.get("body"), "text.body", 4096)
    elif kind in _MEDIA_KINDS:
        _media(kind, content)
    elif kind == "interactive":
        _interactive(content)
    elif kind == "template":
        _template(content)
    else:
        raise Invalid(INVALID_PARAMETER, f"unsupported message type {kind!r}")


def _media(kind: str, content: dict[str, Any]) -> None:
    if not content.get("id") and not content.get("link"):
        raise Invalid(INVALID_PARAMETER, f"{kind} needs an id or a link")
    if "caption" in content:
        if kind not in _CAPTIONED:
            raise Invalid(INVALID_PARAMETER, f"{kind} does not take a caption")
        _text(content["caption"], f"{kind}.caption", 1024)
    if "filename" in content and kind != "document":
        raise Invalid(INVALID_PARAMETER, f"{kind} does not take a filename")


def _interactive(content: dict[str, Any]) -> None:
    kind = content.get("type")
    if "header" in content:
        header = _obj(content["header"], "header")
        if header.get("type") == "text":
            _text(header.get("text"), "header.text", 60)
    if "footer" in content:
        _text(_obj(content["footer"], "footer").get("text"), "footer.text", 60)
    body_required = kind != "product"
    if body_required or "body" in content:
        _text(_obj(content.get("body"), "body").get("text"), "body.text", 1024)
    action = _obj(content.get("action"), "action")
    if kind == "list":
        _text(action.get("button"), "action.button", 20)
        sections = _list(action.get("sections"), "sections", 1, 10)
        rows = []
        for section in sections:
            section = _obj(section, "section")
            _text(section.get("title"), "section.title", 24, required=len(sections) > 1)
            rows += [_obj(r, "row") for r in _list(section.get("rows"), "rows", 1, 10)]
        _list(rows, "rows across sections", 1, 10)
        for row in rows:
            _text(row.get("id"), "row.id", 200)
            _text(row.get("title"), "row.title", 24)
            _text(row.get("description"), "row.description", 72, required=False)
        _unique([r["id"] for r in rows], "row ids")
    elif kind == "button":
        buttons = [_obj(_obj(b, "button").get("reply"), "reply")
                   for b in _list(action.get("buttons"), "buttons", 1, 3)]
        for reply in buttons:
            _text(reply.get("id"), "reply.id", 256)
            _text(reply.get("title"), "reply.title", 20)
        _unique([r["id"] for r in buttons], "button ids")
        _unique([r["title"] for r in buttons], "button titles")
    elif kind == "product":
        _text(action.get("catalog_id"), "catalog_id", 64)
        _text(action.get("product_retailer_id"), "product_retailer_id", 100)
    elif kind == "product_list":
        if _obj(content.get("header"), "header").get("type") != "text":
            raise Invalid(INVALID_PARAMETER, "a multi-product message needs a text header")
        _text(action.get("catalog_id"), "catalog_id", 64)
        sections = _list(action.get("sections"), "sections", 1, 10)
        items = 0
        for section in sections:
            section = _obj(section, "section")
            _text(section.get("title"), "section.title", 24)
            items += len(_list(section.get("product_items"), "product_items", 1, 30))
        if items > 30:
            raise Invalid(INVALID_VALUE, f"product items count invalid. Max: 30, got {items}")
    elif kind == "location_request_message":
        if action.get("name") != "send_location":
            raise Invalid(INVALID_PARAMETER, "action.name must be send_location")
    else:
        raise Invalid(INVALID_PARAMETER, f"unsupported interactive type {kind!r}")


def _template(content: dict[str, Any]) -> None:
    name = content.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise Invalid(INVALID_PARAMETER, "template.name is required")
    code = _obj(content.get("language"), "language").get("code")
    if not isinstance(code, str) or not _LANGUAGE.fullmatch(code):
        raise Invalid(INVALID_PARAMETER, "template.language.code is required")
    for component in content.get("components") or []:
        component = _obj(component, "component")
        for parameter in component.get("parameters") or []:
            _parameter(_obj(parameter, "parameter"))


def _parameter(parameter: dict[str, Any]) -> None:
    kind = parameter.get("type")
    if kind == "text":
        value = parameter.get("text")
        if not isinstance(value, str) or not value.strip():
            raise Invalid(INVALID_PARAMETER, "text parameter is empty")
        if re.search(r"[\n\t]| {5,}", value):
            raise Invalid(TEMPLATE_PARAMETER_FORMAT, "Param text cannot have new-line/tab "
                                                     "characters or more than 4 consecutive "
                                                     "spaces")
    elif kind == "currency":
        currency = _obj(parameter.get("currency"), "currency")
        if not isinstance(currency.get("amount_1000"), int) or not re.fullmatch(
                r"[A-Z]{3}", str(currency.get("code", ""))) or not currency.get("fallback_value"):
            raise Invalid(INVALID_PARAMETER, "currency needs fallback_value, code and "
                                             "amount_1000")
    elif kind == "date_time":
        if not _obj(parameter.get("date_time"), "date_time").get("fallback_value"):
            raise Invalid(INVALID_PARAMETER, "date_time needs fallback_value")
    elif kind == "payload":
        _text(parameter.get("payload"), "payload", 1000)
    elif kind in ("image", "video", "document"):
        # A media header parameter names an uploaded media id or a link, as a media message.
        _media(kind, _obj(parameter.get(kind), kind))
    elif kind == "action":  # a catalog or multi-product template's button
        _product_action(_obj(parameter.get("action"), "action"))
    else:
        raise Invalid(INVALID_PARAMETER, f"unsupported parameter type {kind!r}")


def _product_action(action: dict[str, Any]) -> None:
    """A catalog button's thumbnail; an MPM button's also 1–10 titled sections, ≤ 30 items."""
    _text(action.get("thumbnail_product_retailer_id"), "thumbnail_product_retailer_id", 100)
    if "sections" not in action:
        return
    items = 0
    for section in _list(action.get("sections"), "sections", 1, 10):
        section = _obj(section, "section")
        _text(section.get("title"), "section.title", 24)
        items += len(_list(section.get("product_items"), "product_items", 1, 30))
    if items > 30:
        raise Invalid(INVALID_VALUE, f"product items count invalid. Max: 30, got {items}")


def check_template_definition(definition: Any) -> None:
    """Raise Invalid unless Meta would accept this template for review."""
    definition = _obj(definition, "template")
    if not isinstance(definition.get("name"), str) or not _NAME.fullmatch(definition["name"]):
        raise Invalid(INVALID_PARAMETER, "name must be lowercase letters, digits and "
                                         "underscores")
    if not isinstance(definition.get("language"), str) or not _LANGUAGE.fullmatch(
            definition["language"]):
        raise Invalid(INVALID_PARAMETER, "language is not a supported code")
    if definition.get("category") not in ("UTILITY", "MARKETING", "AUTHENTICATION"):
        raise Invalid(INVALID_PARAMETER, "category must be UTILITY, MARKETING or AUTHENTICATION")
    check_template_components(definition)


def check_template_components(definition: dict[str, Any]) -> None:
    """Raise Invalid unless the category, parameter format and components (of a new
    template, or of an edit) are what Meta accepts."""
    named = definition.get("parameter_format", "POSITIONAL") == "NAMED"
    if definition.get("parameter_format", "POSITIONAL") not in ("POSITIONAL", "NAMED"):
        raise Invalid(INVALID_PARAMETER, "parameter_format must be POSITIONAL or NAMED")
    components = _list(definition.get("components"), "components", 1, 10)
    kinds = [str(_obj(c, "component").get("type", "")).upper() for c in components]
    if kinds.count("BODY") != 1:
        raise Invalid(INVALID_PARAMETER, "a template needs exactly one BODY component")
    if definition.get("category") == "AUTHENTICATION":
        _authentication(components, kinds)
        return
    for component, kind in zip(components, kinds, strict=True):
        if kind == "BODY":
            text = _text(component.get("text"), "BODY.text", 1024)
            _examples(component, "body", text, named)
            stripped = text.strip()
            if _VARIABLE.match(stripped) or re.search(r"\{\{\s*\w+\s*\}\}$", stripped):
                raise Invalid(INVALID_PARAMETER, "Variable parameters can't be at the start or "
                              "end of the template.", LEADING_OR_TRAILING_VARIABLE,
                              "Your template's body text can't start or end with a variable.")
        elif kind == "HEADER" and component.get("format", "TEXT") == "TEXT":
            text = _text(component.get("text"), "HEADER.text", 60)
            if len(_VARIABLE.findall(text)) > 1:
                raise Invalid(INVALID_PARAMETER, "a text header supports 1 parameter")
            _examples(component, "header", text, named)
        elif kind == "HEADER":
            if component.get("format") not in ("IMAGE", "VIDEO", "DOCUMENT", "LOCATION"):
                raise Invalid(INVALID_PARAMETER, "HEADER.format is not supported")
            if component["format"] != "LOCATION" and not _obj(
                    component.get("example"), "example").get("header_handle"):
                raise Invalid(INVALID_PARAMETER, "a media header needs example.header_handle")
        elif kind == "FOOTER":
            text = _text(component.get("text"), "FOOTER.text", 60)
            if _VARIABLE.search(text):
                raise Invalid(INVALID_PARAMETER, "FOOTER.text cannot contain parameters")
        elif kind == "BUTTONS":
            _template_buttons(_list(component.get("buttons"), "buttons", 1, 10))
        else:
            raise Invalid(INVALID_PARAMETER, f"unsupported component type {kind!r}")


def _examples(component: dict[str, Any], key: str, text: str, named: bool) -> None:
    """Each variable of a header or body needs its sample, in the format's own shape."""
    names = list(dict.fromkeys(m.strip() for m in re.findall(r"\{\{(.*?)\}\}", text)))
    if not names:
        return
    pattern = _NAMED_PARAM if named else _POSITIONAL_PARAM
    if not all(pattern.fullmatch(n) for n in names):
        raise Invalid(INVALID_PARAMETER, f"{key.upper()}.text parameters do not match the "
                                         "parameter_format")
    example = _obj(component.get("example"), "example")
    if named:
        given = example.get(f"{key}_text_named_params")
        if not isinstance(given, list) or {str(_obj(p, "param").get("param_name"))
                                           for p in given} != set(names) or not all(
                p.get("example") for p in given):
            raise Invalid(INVALID_PARAMETER, f"{key.upper()} needs example."
                                             f"{key}_text_named_params for every parameter")
        return
    if sorted(int(n) for n in names) != list(range(1, len(names) + 1)):
        raise Invalid(INVALID_PARAMETER, f"{key.upper()}.text parameters must be sequential")
    given = example.get(f"{key}_text")
    row = given[0] if key == "body" and isinstance(given, list) and given else given
    if not isinstance(row, list) or len(row) != len(names) or not all(row):
        raise Invalid(INVALID_PARAMETER, f"{key.upper()} with variables needs example."
                                         f"{key}_text with one sample each")


def _template_buttons(buttons: list[Any]) -> None:
    counts: dict[str, int] = {}
    for button in buttons:
        button = _obj(button, "button")
        kind = str(button.get("type", ""))
        counts[kind] = counts.get(kind, 0) + 1
        if kind not in _BUTTON_LIMITS:
            raise Invalid(INVALID_PARAMETER, f"unsupported button type {kind!r}")
        if counts[kind] > _BUTTON_LIMITS[kind]:
            raise Invalid(INVALID_VALUE, f"too many {kind} buttons (max "
                                         f"{_BUTTON_LIMITS[kind]})")
        if kind in ("QUICK_REPLY", "URL", "PHONE_NUMBER"):
            _text(button.get("text"), f"{kind}.text", 25)
        if kind == "URL":
            url = _text(button.get("url"), "URL.url", 2000)
            if _VARIABLE.search(url) and not (url.endswith("{{1}}") and isinstance(
                    button.get("example"), list) and button["example"]):
                raise Invalid(INVALID_PARAMETER, "a URL with a variable ends with {{1}} and "
                                                 "needs an example")
        elif kind == "PHONE_NUMBER":
            _text(button.get("phone_number"), "phone_number", 20)
        elif kind == "COPY_CODE":
            _text(button.get("example"), "COPY_CODE.example", 15)
    quick = [_obj(b, "b").get("type") == "QUICK_REPLY" for b in buttons]
    if sum(1 for i, q in enumerate(quick) if i == 0 or q != quick[i - 1]) > 2:
        raise Invalid(INVALID_PARAMETER, "quick reply buttons must be grouped together")


def _authentication(components: list[Any], kinds: list[str]) -> None:
    body = components[kinds.index("BODY")]
    if "text" in body:
        raise Invalid(INVALID_PARAMETER, "an authentication template's body text is preset")
    if "BUTTONS" not in kinds:
        raise Invalid(INVALID_PARAMETER, "an authentication template needs an OTP button")
    [button] = _list(components[kinds.index("BUTTONS")].get("buttons"), "buttons", 1, 1)
    if _obj(button, "button").get("type") != "OTP":
        raise Invalid(INVALID_PARAMETER, "an authentication template's button is OTP")
