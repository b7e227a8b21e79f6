"""One campaign message: the approved template it uses, its body parameters for one
recipient, and the Cloud API body (or the text the owner previews on the phone)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from plugin.domain import campaigns as domain
from plugin.domain.journeys import button_kinds, render_text
from plugin.domain.phones import wa_recipient
from plugin.domain.recovery_messages import body_text, header_format
from plugin.domain.segments import FieldProblem
from plugin.domain.template_drafts import variables_in
from plugin.models import Template

APPROVED = "APPROVED"
MARKETING = "MARKETING"
# Template headers a campaign fills with a file, and how the owner is told of each.
MEDIA_HEADERS = ("IMAGE", "VIDEO", "DOCUMENT")
MEDIA_WORDS = {"image": "an image", "video": "a video", "document": "a document"}


def approved_templates(session: Session, store_id: int) -> list[Template]:
    """The store's approved marketing templates a campaign can send, by name and language."""
    return list(session.scalars(select(Template).where(
        Template.store_id == store_id, Template.status == APPROVED,
        Template.category == MARKETING).order_by(Template.name, Template.language)))


def find_template(session: Session, store_id: int, name: str,
                  language: str) -> Template | None:
    """The approved marketing template `name` in `language`, or None."""
    return session.scalars(select(Template).where(
        Template.store_id == store_id, Template.name == name, Template.language == language,
        Template.status == APPROVED, Template.category == MARKETING).limit(1)).first()


def body_variables(template: Template) -> tuple[str, ...]:
    """The body's variables ("1", "2" or "first_name"), in order: one mapping each."""
    return variables_in(body_text(template.components or []))


def check_template(template: Template | None) -> None:
    """CampaignRefused unless `template` is approved marketing with a header we can fill
    (none, text without variables, or an image, video or document the campaign gives)."""
    if template is None:
        raise domain.CampaignRefused([FieldProblem(
            "template", "choose an approved marketing template")])
    kind, text = header_format(template.components or [])
    if kind not in ("", "TEXT", *MEDIA_HEADERS) or variables_in(text):
        raise domain.CampaignRefused([FieldProblem(
            "template", "campaigns send templates whose header is a fixed text, an image, "
                        "a video or a document: choose another template")])


def media_kind(template: Template | None) -> str:
    """"image", "video" or "document" for a template with that header; '' otherwise."""
    kind, _ = header_format(template.components or []) if template is not None else ("", "")
    return kind.lower() if kind in MEDIA_HEADERS else ""


def read_header_media(template: Template | None,
                      given: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The campaign's header file for `template`, checked: None when the template has no
    media header; CampaignRefused ("header_media") when it has one and `given` holds no
    https link nor uploaded media id that fits it."""
    kind = media_kind(template)
    if not kind:
        return None
    given = given or {}
    media_id = str(given.get("id") or "").strip()
    link = str(given.get("link") or "").strip()
    try:
        if media_id:
            messages.media_parameter(kind, media_id)
            return {"kind": kind, "id": media_id,
                    "filename": str(given.get("filename") or "")[:200]}
        if link:
            messages.media_link_parameter(kind, link)
            return {"kind": kind, "link": link}
    except messages.MessageLimitError as error:
        raise domain.CampaignRefused([FieldProblem("header_media", str(error))]) from None
    raise domain.CampaignRefused([FieldProblem(
        "header_media", f"this template shows {MEDIA_WORDS[kind]} at the top: give its web "
                        "address (https://…) or upload the file")])


def header_parameters(template: Template,
                      header_media: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The header component's parameters for the campaign's file ([] for no media header);
    CampaignRefused as read_header_media."""
    media = read_header_media(template, header_media)
    if media is None:
        return []
    if "id" in media:
        return [messages.media_parameter(media["kind"], media["id"])]
    return [messages.media_link_parameter(media["kind"], media["link"])]


def payload(template: Template, to: str | None, params: Sequence[str],
            link_token: str, header: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The Cloud API body for one recipient, with `header` (header_parameters) when the
    template has a media header (MessageLimitError past a WhatsApp limit)."""
    names = body_variables(template) if template.parameter_format == "NAMED" else ()
    buttons = [{"type": "button", "sub_type": "url", "index": str(index),
                "parameters": [{"type": "text", "text": link_token}]}
               for index, kind in enumerate(button_kinds(template.components or []))
               if kind == "url_dynamic"]
    return messages.template(wa_recipient(to) if to else None, template.name,
                             template.language, header=[dict(h) for h in header],
                             body=list(params), buttons=buttons, parameter_names=names)


def preview_text(template: Template, params: Sequence[str]) -> str:
    """The body as the shopper reads it."""
    return render_text(body_text(template.components or []), params)


def recipient_params(variables: Sequence[domain.Variable], fields: Mapping[str, str | None],
                     code: str) -> list[str]:
    """The parameters of one recipient (plugin.domain.campaigns.parameters)."""
    return domain.parameters(variables, fields, code)
