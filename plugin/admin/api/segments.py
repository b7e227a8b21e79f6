"""Segments: saved filters over the store's customers, and their audience.

A definition is validated as the admin's editor validates it (plugin.domain.segments);
its mistakes come back as a problem naming each field. The count says how many customers
match, how many of them can get marketing messages, and why the others cannot.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from spectree import Tag
from sqlalchemy import select

from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, StoreQuery, Strict, page, utc
from plugin.admin.api.problems import ApiError, FieldError, ProblemCode
from plugin.domain import segments as domain
from plugin.infra import db
from plugin.models import Segment
from plugin.pipeline import segments

TAG = Tag(name="segments", description="Saved customer filters and their audience.")
Days = int | None


class DefinitionIn(Strict):
    """What a segment matches. Empty lists and nulls do not filter."""

    match: Literal["all", "any"] = Field(default="all", description="Whether a customer "
                                         "must meet all the criteria or any of them.")
    tags_include: list[str] = Field(default_factory=list, max_length=domain.MAX_ITEMS,
                                    description="Each tag is one criterion.")
    tags_exclude: list[str] = Field(default_factory=list, max_length=domain.MAX_ITEMS,
                                    description="Customers with any of these are left out, "
                                    "whatever `match` says.")
    spend_min: str | None = Field(default=None, description="Decimal, the store's currency.")
    spend_max: str | None = None
    orders_min: int | None = None
    orders_max: int | None = None
    last_order_within_days: Days = None
    last_order_before_days: Days = Field(default=None, description="Ordered, but not in "
                                         "the last N days.")
    interaction_within_days: Days = Field(default=None, description="Ordered or wrote on "
                                          "WhatsApp in the last N days.")
    interaction_before_days: Days = None
    countries: list[str] = Field(default_factory=list, max_length=domain.MAX_ITEMS,
                                 description="ISO 3166 alpha-2 codes.")
    languages: list[str] = Field(default_factory=list, max_length=domain.MAX_ITEMS,
                                 description="Language codes (en, pt).")
    consent_purpose: Literal["marketing", "order_updates", "back_in_stock"] | None = Field(
        default=None, description="A current opt-in for this purpose.")


class SegmentIn(Strict):
    """A new segment."""

    name: str = Field(min_length=1, max_length=120)
    definition: DefinitionIn


class SegmentOut(BaseModel):
    """A saved segment."""

    id: int
    name: str
    definition: dict[str, Any]
    created_at: datetime | None
    updated_at: datetime | None


class SegmentList(BaseModel):
    """A page of segments, newest first."""

    data: list[SegmentOut]
    next_cursor: str | None


class LeftOut(BaseModel):
    """Matched customers who cannot get marketing messages, for one reason."""

    reason: Literal["no_number", "opted_out", "no_opt_in", "unconfirmed", "us_number"]
    label: str
    count: int


class AudienceOut(BaseModel):
    """Who a segment reaches now."""

    matched: int
    reachable: int = Field(description="A WhatsApp number, a current marketing opt-in, "
                           "and not a +1 (US) number.")
    left_out: list[LeftOut]


def _out(segment: Segment) -> SegmentOut:
    return SegmentOut(id=segment.id, name=segment.name, definition=segment.definition,
                      created_at=utc(segment.created_at), updated_at=utc(segment.updated_at))


def _parse(definition: DefinitionIn) -> domain.Definition:
    data: dict[str, Any] = definition.model_dump()
    try:
        return domain.parse(data)
    except domain.DefinitionError as error:
        raise ApiError(ProblemCode.VALIDATION_FAILED, errors=[
            FieldError(field=f"definition.{p.field}", location="body", message=p.message)
            for p in error.problems]) from None


@blueprint.get("/segments")
@spec.validate(resp=documented(SegmentList), tags=[TAG], operation_id="listSegments")
def list_segments(query: ListQuery) -> SegmentList:
    """List segments

    Newest first."""
    rows, cursor = page(select(Segment), Segment, query)
    return SegmentList(data=[_out(s) for s in rows], next_cursor=cursor)


@blueprint.post("/segments")
@spec.validate(query=StoreQuery, resp=documented(SegmentOut, status=201, write=True),
               tags=[TAG], operation_id="createSegment")
def create_segment(json: SegmentIn) -> tuple[SegmentOut, int]:
    """Create a segment"""
    definition = _parse(json.definition)
    session = db.session()
    segment = Segment(store_id=access.store_id(), name=json.name.strip() or json.name,
                      definition=definition.to_json())
    session.add(segment)
    session.commit()
    return _out(segment), 201


@blueprint.get("/segments/<int:segment_id>/count")
@spec.validate(query=StoreQuery, resp=documented(AudienceOut), tags=[TAG],
               operation_id="countSegment")
def count_segment(segment_id: int) -> AudienceOut:
    """Count a segment's audience

    Matched customers, those who can get marketing messages now, and the others by reason."""
    segment = access.get_or_404(Segment, segment_id)
    audience = segments.count(db.session(), segment.store_id,
                              domain.parse(segment.definition))
    return AudienceOut(matched=audience.matched, reachable=audience.reachable,
                       left_out=[LeftOut(reason=r, label=domain.LEFT_OUT[r], count=n)  # type: ignore[arg-type]
                                 for r, n in audience.left_out.items()])

