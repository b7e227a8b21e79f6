"""Data exports: what StoreChat held on a customer when their platform relayed a data
request (Shopify's customers/data_request), for the owner to hand over."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from spectree import Tag
from sqlalchemy import select

from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, StoreQuery, page, utc
from plugin.models import DataExport

TAG = Tag(name="exports", description="Customers' data requests, answered.")


class ExportOut(BaseModel):
    """An export, without its content."""

    id: int
    request_id: str
    customer_platform_id: str
    created_at: datetime | None


class ExportDetail(ExportOut):
    """An export with everything it holds."""

    content: dict[str, Any]


class ExportList(BaseModel):
    """A page of exports, newest first."""

    data: list[ExportOut]
    next_cursor: str | None


def _fields(row: DataExport) -> dict[str, Any]:
    return dict(id=row.id, request_id=row.request_id,
                customer_platform_id=row.customer_platform_id, created_at=utc(row.created_at))


@blueprint.get("/exports")
@spec.validate(resp=documented(ExportList), tags=[TAG], operation_id="listExports")
def list_exports(query: ListQuery) -> ExportList:
    """List data exports, newest first (without their content)"""
    rows, cursor = page(select(DataExport), DataExport, query)
    return ExportList(data=[ExportOut(**_fields(e)) for e in rows], next_cursor=cursor)


@blueprint.get("/exports/<int:export_id>")
@spec.validate(query=StoreQuery, resp=documented(ExportDetail), tags=[TAG],
               operation_id="getExport")
def get_export(export_id: int) -> ExportDetail:
    """One data export, with its content"""
    row = access.get_or_404(DataExport, export_id)
    return ExportDetail(**_fields(row), content=dict(row.content or {}))
