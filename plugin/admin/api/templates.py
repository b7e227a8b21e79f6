"""Templates: the store's WhatsApp message templates as synced from its WhatsApp Business
Account, read-only here (they are made and edited in the admin and approved by Meta)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from spectree import Tag
from sqlalchemy import select

from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, StoreQuery, page, utc
from plugin.admin.message_views import body_text
from plugin.models import Template

TAG = Tag(name="templates", description="WhatsApp message templates (read-only).")


class TemplateQuery(ListQuery):
    """Filters of the template list."""

    status: str | None = Field(default=None, max_length=20,
                               description="APPROVED, PENDING, REJECTED, PAUSED, …")
    language: str | None = Field(default=None, max_length=16, description="e.g. `en`, "
                                 "`pt_BR`.")
    category: str | None = Field(default=None, max_length=20,
                                 description="UTILITY, MARKETING or AUTHENTICATION.")


class TemplateOut(BaseModel):
    """A message template as Meta knows it (name and language are its identity)."""

    id: int
    name: str
    language: str
    category: str
    status: str
    quality: str | None
    reason: str | None = Field(description="Why Meta rejected or paused it.")
    meta_id: str | None
    body: str = Field(description="The text of its BODY component, with {{n}} "
                      "placeholders.")
    components: list[Any] = Field(description="Its components, as Meta's API describes "
                                  "them.")
    synced_at: datetime | None


class TemplateList(BaseModel):
    """A page of templates, newest first."""

    data: list[TemplateOut]
    next_cursor: str | None


def _out(row: Template) -> TemplateOut:
    return TemplateOut(id=row.id, name=row.name, language=row.language,
                       category=row.category, status=row.status, quality=row.quality,
                       reason=row.reason, meta_id=row.meta_id,
                       body=body_text(row.components), components=list(row.components or []),
                       synced_at=utc(row.synced_at))


@blueprint.get("/templates")
@spec.validate(resp=documented(TemplateList), tags=[TAG], operation_id="listTemplates")
def list_templates(query: TemplateQuery) -> TemplateList:
    """List the store's templates"""
    statement = select(Template)
    for column, value in ((Template.status, query.status), (Template.language, query.language),
                          (Template.category, query.category)):
        if value:
            statement = statement.where(column == value)
    rows, cursor = page(statement, Template, query)
    return TemplateList(data=[_out(t) for t in rows], next_cursor=cursor)


@blueprint.get("/templates/<int:template_id>")
@spec.validate(query=StoreQuery, resp=documented(TemplateOut), tags=[TAG],
               operation_id="getTemplate")
def get_template(template_id: int) -> TemplateOut:
    """One template"""
    return _out(access.get_or_404(Template, template_id))
