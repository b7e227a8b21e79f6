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
    (none, or text without variables)."""
    if template is None:
        raise domain.CampaignRefused([FieldProblem(
            "template", "choose an approved marketing template")])
    kind, text = header_format(template.components or [])
    if kind not in ("", "TEXT") or variables_in(text):
        raise domain.CampaignRefused([FieldProblem(
            "template", "campaigns send templates without a media header or header "
                        "variables: choose another template")])


def payload(template: Template, to: str | None, params: Sequence[str],
            link_token: str) -> dict[str, Any]:
    """The Cloud API body for one recipient (MessageLimitError past a WhatsApp limit)."""
    names = body_variables(template) if template.parameter_format == "NAMED" else ()
    buttons = [{"type": "button", "sub_type": "url", "index": str(index),
                "parameters": [{"type": "text", "text": link_token}]}
               for index, kind in enumerate(button_kinds(template.components or []))
               if kind == "url_dynamic"]
    return messages.template(wa_recipient(to) if to else None, template.name,
                             template.language, body=list(params), buttons=buttons,
                             parameter_names=names)


def preview_text(template: Template, params: Sequence[str]) -> str:
    """The body as the shopper reads it."""
    return render_text(body_text(template.components or []), params)


def recipient_params(variables: Sequence[domain.Variable], fields: Mapping[str, str | None],
                     code: str) -> list[str]:
    """The parameters of one recipient (plugin.domain.campaigns.parameters)."""
    return domain.parameters(variables, fields, code)
