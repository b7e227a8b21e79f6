"""A template draft written in StoreChat as Meta's create-template body: the one builder.

`create_request(draft)` is the JSON of POST /{waba-id}/message_templates; `edit_request`
the JSON of POST /{template-id} (an edit keeps the name and language, so it sends only the
category and components). Every variable carries its sample in the `example` Meta asks
for: `header_text` / `body_text` for numbered variables, `header_text_named_params` /
`body_text_named_params` for named ones, `header_handle` for a media header (the handle
Meta's Resumable Upload API gave for the sample file: CloudClient.upload_sample), the
filled-in URL for a URL button with {{1}}, and the code for a copy-code button.

Check the draft first (plugin.domain.template_rules.check): this builder assumes a draft
Meta's rules accept and does not re-check them.
"""
from __future__ import annotations

from typing import Any

from plugin.domain.template_drafts import (
    AUTH_SAMPLE_CODE,
    MEDIA_HEADERS,
    Button,
    ButtonKind,
    HeaderKind,
    TemplateDraft,
    VariableStyle,
)

Body = dict[str, Any]


def create_request(draft: TemplateDraft, header_handle: str = "") -> Body:
    """The body of POST /{waba-id}/message_templates for `draft`; a media header needs the
    `header_handle` of its uploaded sample."""
    request: Body = {"name": draft.name, "language": draft.language,
                     "category": draft.category.value,
                     "components": components(draft, header_handle)}
    if not draft.is_authentication:
        request["parameter_format"] = draft.style.value
    return request


def edit_request(draft: TemplateDraft, header_handle: str = "") -> Body:
    """The body of POST /{template-id}: a rejected or paused template, fixed."""
    request = create_request(draft, header_handle)
    return {key: request[key] for key in ("category", "components", "parameter_format")
            if key in request}


def components(draft: TemplateDraft, header_handle: str = "") -> list[Body]:
    """The template's components as Meta stores them (also what a sync lists); a media
    header carries its sample's `header_handle` when given."""
    if draft.is_authentication:
        return _authentication(draft)
    found: list[Body] = []
    header = _header(draft, header_handle)
    if header:
        found.append(header)
    found.append(_text_component("BODY", draft.body, draft.body_variables(),
                                 [draft.samples.get(n, "") for n in draft.body_variables()],
                                 draft.style))
    if draft.footer:
        found.append({"type": "FOOTER", "text": draft.footer})
    if draft.buttons:
        found.append({"type": "BUTTONS", "buttons": [_button(b) for b in draft.buttons]})
    return found


def _header(draft: TemplateDraft, handle: str) -> Body | None:
    if draft.header_kind is HeaderKind.TEXT:
        names = draft.header_variables()
        return _text_component("HEADER", draft.header_text, names,
                               [draft.header_sample] * len(names), draft.style,
                               format_="TEXT")
    if draft.header_kind in MEDIA_HEADERS:
        header: Body = {"type": "HEADER", "format": draft.header_kind.value.upper()}
        if handle:
            header["example"] = {"header_handle": [handle]}
        return header
    return None


def _text_component(kind: str, text: str, names: tuple[str, ...], samples: list[str],
                    style: VariableStyle, format_: str | None = None) -> Body:
    component: Body = {"type": kind}
    if format_:
        component["format"] = format_
    component["text"] = text
    key = kind.lower()
    if names and style is VariableStyle.NAMED:
        component["example"] = {f"{key}_text_named_params": [
            {"param_name": name, "example": sample} for name, sample in zip(
                names, samples, strict=True)]}
    elif names:
        # The body's examples are one list per sample message; the header's a flat list.
        component["example"] = {f"{key}_text": [samples] if kind == "BODY" else samples}
    return component


def _button(button: Button) -> Body:
    if button.kind is ButtonKind.QUICK_REPLY:
        return {"type": "QUICK_REPLY", "text": button.text}
    if button.kind is ButtonKind.URL:
        found: Body = {"type": "URL", "text": button.text, "url": button.url}
        if "{{1}}" in button.url:
            found["example"] = [button.example_url()]
        return found
    if button.kind is ButtonKind.PHONE:
        return {"type": "PHONE_NUMBER", "text": button.text,
                "phone_number": button.phone.replace(" ", "")}
    return {"type": "COPY_CODE", "example": button.code_sample}


def _authentication(draft: TemplateDraft) -> list[Body]:
    # Meta writes the words of an authentication template; the request only sets options.
    return [
        {"type": "BODY", "add_security_recommendation": draft.security_recommendation},
        {"type": "FOOTER", "code_expiration_minutes": draft.code_expiry_minutes},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE",
                                         "text": draft.otp_button_text}]},
    ]


def stored_components(draft: TemplateDraft) -> list[Body]:
    """The components to keep on the template row for previews and sends: Meta's own, and
    for an authentication template the words Meta will write, so the preview reads them."""
    if not draft.is_authentication:
        return components(draft)
    return [{"type": "BODY", "text": "{{1}} is your verification code.",
             "example": {"body_text": [[AUTH_SAMPLE_CODE]]}},
            *components(draft)[1:]]
