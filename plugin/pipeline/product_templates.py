"""The approved template that carries products outside the 24-hour window: a marketing
template with a multi-product ("MPM", up to 30 items in sections) or catalog ("View
catalog", its thumbnail from one item) button, filled in for one shopper.

Meta lets nothing else carry products once the window has closed, so when no such
template is approved the caller is told so, plainly, instead of a message that would fail.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from adapters.whatsapp.messages import Body, MessageLimitError, ProductSection
from plugin.domain.errors import RequestRefused
from plugin.domain.journeys import FALLBACK_LANGUAGE, base_language
from plugin.models import Customer, Store, Template

APPROVED = "APPROVED"
MARKETING = "MARKETING"
# Template button types (as templates are written) that carry products.
MPM, CATALOG = "MPM", "CATALOG"
_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class ProductMessageRefused(RequestRefused):
    """A product message cannot be written as asked; `field` names the input at fault."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a template needs filled in: its product button, header and body variables."""

    button_kind: str  # MPM | CATALOG
    button_index: int
    header_variables: tuple[str, ...]
    body_variables: tuple[str, ...]


def _shape(template: Template) -> _Shape | None:
    """The template's product button and variables; None when it has no product button."""
    button: tuple[str, int] | None = None
    header: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    for component in template.components or []:
        if not isinstance(component, dict):
            continue
        kind = str(component.get("type", "")).upper()
        text = str(component.get("text") or "")
        if kind == "HEADER" and str(component.get("format", "TEXT")).upper() == "TEXT":
            header = tuple(dict.fromkeys(_VARIABLE.findall(text)))
        elif kind == "BODY":
            body = tuple(dict.fromkeys(_VARIABLE.findall(text)))
        elif kind == "BUTTONS":
            for index, item in enumerate(component.get("buttons") or []):
                kind_of = str(item.get("type", "")).upper() if isinstance(item, dict) else ""
                if kind_of in (MPM, CATALOG) and button is None:
                    button = (kind_of, index)
    if button is None:
        return None
    return _Shape(button[0], button[1], header, body)


def _preference(template: Template, languages: Sequence[str]) -> int:
    """Lower is better: the shopper's language, then the store's, then English, then any."""
    base = base_language(template.language)
    return languages.index(base) if base in languages else len(languages)


def choose(session: Session, store: Store, customer: Customer, *, multi: bool,
           name: str | None, parameters: Sequence[str], header: str) -> tuple[Template, Any]:
    """The approved marketing template (with its shape) that can carry these products for
    this shopper, or ProductMessageRefused saying why none can. With `name`, only that one."""
    rows = session.scalars(select(Template).where(
        Template.store_id == store.id, Template.status == APPROVED,
        Template.category == MARKETING).order_by(Template.id))
    languages = list(dict.fromkeys(base_language(code) for code in (
        customer.locale, store.locale, FALLBACK_LANGUAGE) if code))
    usable: list[tuple[Template, _Shape]] = []
    for row in rows:
        shape = _shape(row)
        if shape is None or (name is not None and row.name != name):
            continue
        if multi and shape.button_kind != MPM:
            continue  # a catalog template shows the whole catalog, not the chosen items
        usable.append((row, shape))
    if not usable:
        what = "a multi-product (MPM)" if multi else "a catalog or multi-product (MPM)"
        named = f" named {name!r}" if name else ""
        raise ProductMessageRefused(
            f"The shopper's 24-hour window is closed, and only an approved marketing template "
            f"with {what} button can carry products then; this store has none{named}. "
            "Create one on the Templates page and wait for Meta's approval.", "template")
    fitting = [(row, shape) for row, shape in usable
               if len(shape.body_variables) == len(parameters)
               and (not shape.header_variables or header)]
    if not fitting:
        row, shape = usable[0]
        raise ProductMessageRefused(
            f"The template {row.name!r} needs {len(shape.body_variables)} body value(s)"
            f"{' and a header' if shape.header_variables else ''}; "
            f"{len(parameters)} value(s) were given.", "template_parameters")
    # Multi-product buttons first (they show exactly the chosen items), then language.
    return min(fitting, key=lambda pair: (pair[1].button_kind != MPM,
                                          _preference(pair[0], languages)))


def build(template: Template, shape: Any, to: str, *, sections: Sequence[ProductSection],
          parameters: Sequence[str], header: str) -> Body:
    """The template message body: its header and body variables filled, its product button
    carrying the thumbnail (the first item) and, for an MPM button, the sections."""
    named = (template.parameter_format or "").upper() == "NAMED"
    thumbnail = sections[0].product_retailer_ids[0]
    head: list[Body] = []
    try:
        button = messages.product_button(shape.button_index, thumbnail,
                                         sections if shape.button_kind == MPM else ())
        if shape.header_variables:
            parameter = messages.text_parameter(header)
            if named:
                parameter["parameter_name"] = shape.header_variables[0]
            head.append(parameter)
        return messages.template(to, template.name, template.language, header=head,
                                 body=list(parameters), buttons=[button],
                                 parameter_names=shape.body_variables if named else ())
    except MessageLimitError as error:
        raise ProductMessageRefused(str(error), "template_parameters") from None
