"""The template editor's form: posted fields → a TemplateDraft and errors by field, and a
draft → the fields to show. Pure of Flask apart from reading a MultiDict.

Field names: name, language, category, style, header_kind, header_text, header_sample,
header_media_type (set by the server from the sample file, never posted), body,
sample_<variable>, footer, button_<n>_kind / _text / _url / _url_sample / _phone / _code
(n = 1…BUTTON_ROWS; a row whose kind is empty is unused),
security_recommendation, code_expiry_minutes, otp_button_text.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from plugin.domain.template_drafts import (
    DEFAULT_EXPIRY_MINUTES,
    DEFAULT_OTP_LABEL,
    Button,
    ButtonKind,
    Category,
    HeaderKind,
    TemplateDraft,
    VariableStyle,
    variables_in,
)
from plugin.domain.template_rules import BUTTONS_MAX, check, problems_by_field

# The form offers one row per button Meta allows.
BUTTON_ROWS = BUTTONS_MAX
BUTTON_FIELDS = ("kind", "text", "url", "url_sample", "phone", "code")
_BUTTON_FIELD = re.compile(r"button_(\d+)_(\w+)")
CATEGORY_WORDS = {
    Category.UTILITY: ("Utility", "About an order or account the shopper already has: "
                                  "confirmations, shipping, payment reminders."),
    Category.MARKETING: ("Marketing", "Offers, news, back in stock, abandoned carts: "
                                      "anything that promotes. Needs the shopper's opt-in."),
    Category.AUTHENTICATION: ("Authentication", "A one-time code; WhatsApp writes the words."),
}
HEADER_WORDS = {HeaderKind.NONE: "No header", HeaderKind.TEXT: "Text",
                HeaderKind.IMAGE: "Image", HeaderKind.VIDEO: "Video",
                HeaderKind.DOCUMENT: "Document (PDF)"}


@dataclass
class TemplateForm:
    """What the editor shows: its values (strings) and the errors by field name."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        """A field's value ('' when absent)."""
        return self.values.get(name, "")

    def button_rows(self) -> int:
        """How many button rows to show: the used ones and one empty, at most BUTTON_ROWS."""
        used = max((n for n in range(1, BUTTON_ROWS + 1) if self.get(f"button_{n}_kind")),
                   default=0)
        return min(used + 1, BUTTON_ROWS)

    def variables(self) -> tuple[str, ...]:
        """The body's variables, each needing a sample field."""
        return variables_in(self.get("body"))


def read_form(data: Mapping[str, str]) -> tuple[TemplateForm, TemplateDraft]:
    """The posted editor → (the form to show again, the draft), errors filled in by Meta's
    rules; the form's errors are empty when the draft may be submitted."""
    values = {key: str(value) for key, value in data.items()
              if key != "csrf_token" and isinstance(value, str)}
    values["security_recommendation"] = "1" if data.get("security_recommendation") else ""
    errors: dict[str, str] = {}
    buttons: list[Button] = []
    rows: list[int] = []  # the form row of each button of the draft
    for n in range(1, BUTTON_ROWS + 1):
        kind = values.get(f"button_{n}_kind", "")
        if not kind:
            continue
        if kind not in ButtonKind.__members__.values():
            errors[f"button_{n}_kind"] = "Choose what the button does."
            continue
        buttons.append(Button(kind=ButtonKind(kind), text=values.get(f"button_{n}_text", ""),
                              url=values.get(f"button_{n}_url", "").strip(),
                              url_sample=values.get(f"button_{n}_url_sample", "").strip(),
                              phone=values.get(f"button_{n}_phone", "").strip(),
                              code_sample=values.get(f"button_{n}_code", "").strip()))
        rows.append(n)
    expiry = _whole(values.get("code_expiry_minutes", ""), DEFAULT_EXPIRY_MINUTES)
    if expiry is None:
        errors["code_expiry_minutes"] = "Enter a whole number of minutes."
    body = values.get("body", "").replace("\r\n", "\n")
    draft = TemplateDraft(
        name=values.get("name", "").strip(), language=values.get("language", "").strip(),
        category=_choice(Category, values.get("category"), Category.UTILITY, "category",
                         errors, "Choose what the template is for."),
        style=_choice(VariableStyle, values.get("style"), VariableStyle.NUMBERED, "style",
                      errors, "Choose numbered or named variables."),
        header_kind=_choice(HeaderKind, values.get("header_kind") or HeaderKind.NONE.value,
                            HeaderKind.NONE, "header_kind", errors, "Choose a header."),
        header_text=values.get("header_text", "").strip(),
        header_sample=values.get("header_sample", "").strip(),
        header_media_type=values.get("header_media_type", "").strip(),
        body=body, samples={name: values.get(f"sample_{name}", "").strip()
                            for name in variables_in(body)},
        footer=values.get("footer", "").strip(), buttons=tuple(buttons),
        security_recommendation=bool(values["security_recommendation"]),
        code_expiry_minutes=expiry if expiry is not None else DEFAULT_EXPIRY_MINUTES,
        otp_button_text=values.get("otp_button_text", DEFAULT_OTP_LABEL).strip(),
    )
    for name, message in problems_by_field(check(draft)).items():
        errors.setdefault(_form_field(name, rows), message)
    return TemplateForm(values=values, errors=errors), draft


def form_from_draft(draft: TemplateDraft) -> TemplateForm:
    """The editor's fields for a stored draft."""
    values = {
        "name": draft.name, "language": draft.language, "category": draft.category.value,
        "style": draft.style.value, "header_kind": draft.header_kind.value,
        "header_text": draft.header_text, "header_sample": draft.header_sample,
        "header_media_type": draft.header_media_type, "body": draft.body,
        "footer": draft.footer,
        "security_recommendation": "1" if draft.security_recommendation else "",
        "code_expiry_minutes": str(draft.code_expiry_minutes),
        "otp_button_text": draft.otp_button_text,
    }
    values.update({f"sample_{name}": value for name, value in draft.samples.items()})
    for n, button in enumerate(draft.buttons, 1):
        values.update({f"button_{n}_kind": button.kind.value, f"button_{n}_text": button.text,
                       f"button_{n}_url": button.url,
                       f"button_{n}_url_sample": button.url_sample,
                       f"button_{n}_phone": button.phone,
                       f"button_{n}_code": button.code_sample})
    return TemplateForm(values=values)


def blank_form(language: str) -> TemplateForm:
    """A new template's fields, in `language`."""
    return form_from_draft(TemplateDraft(name="", language=language))


def _form_field(name: str, rows: list[int]) -> str:
    """A checker field name with the draft's button number turned into the form's row."""
    match = _BUTTON_FIELD.fullmatch(name)
    if match and 0 < int(match.group(1)) <= len(rows):
        return f"button_{rows[int(match.group(1)) - 1]}_{match.group(2)}"
    return name


def _whole(raw: str, default: int) -> int | None:
    raw = raw.strip()
    if not raw:
        return default
    # ASCII digits only: str.isdigit also takes '²', which int() refuses.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else None


E = TypeVar("E", Category, VariableStyle, HeaderKind)


def _choice(kind: type[E], raw: str | None, default: E, name: str,
            errors: dict[str, str], message: str) -> E:
    try:
        return kind(raw)
    except ValueError:
        errors[name] = message
        return default
