"""Campaigns: an approved marketing template sent to a segment, now or at a time, with an
optional deadline; its progress while it sends and its results after.

The same rules as the admin's pages (plugin.pipeline.campaigns.controls): a refused
campaign comes back as a problem naming each field, with nothing written; a campaign that
cannot change in its state answers `campaign_state` (409).
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from spectree import Tag
from sqlalchemy import select

from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, StoreQuery, Strict, page, utc
from plugin.admin.api.problems import ApiError, FieldError, ProblemCode
from plugin.domain import campaigns as domain
from plugin.domain.attribution import MAX_HOLDOUT_PERCENT
from plugin.domain.campaigns import CampaignRefused
from plugin.infra import db
from plugin.models import Campaign, Store
from plugin.pipeline.campaigns import controls, results

TAG = Tag(name="campaigns", description="Marketing templates sent to a segment, with "
                                        "their progress and results.")


class VariableIn(Strict):
    """Where one template variable's value comes from, in the body's order."""

    source: Literal["field", "text", "discount"]
    value: str = Field(default="", max_length=domain.TEXT_MAX,
                       description="For `field`: first_name, last_name, full_name, email or "
                                   "country. For `text`: the text. Unused for `discount`.")
    fallback: str = Field(default="", max_length=domain.TEXT_MAX,
                          description="For `field`: the text when the customer's is empty.")


class DiscountIn(Strict):
    """The campaign's discount code, made at the store before the first send."""

    mode: Literal["none", "shared", "unique"] = "none"
    percent: int = Field(default=0, ge=0, le=100)
    hours: int = Field(default=domain.DISCOUNT_HOURS_DEFAULT, ge=1,
                       le=domain.DISCOUNT_HOURS_MAX)


class CampaignIn(Strict):
    """A new campaign (a draft until started)."""

    name: str = Field(min_length=1, max_length=domain.NAME_MAX)
    template: str = Field(description="An approved MARKETING template's name.")
    language: str = Field(description="The template's language code (en, pt_BR).")
    segment_id: int | None = Field(default=None, description="Needed to start.")
    variables: list[VariableIn] = Field(default_factory=list, max_length=20)
    discount: DiscountIn = Field(default_factory=DiscountIn)
    link_url: str = Field(default="", max_length=2000, description="Where a URL button's "
                          "link leads (the store's front page when empty).")
    attribution_days: int = Field(default=domain.ATTRIBUTION_DAYS_DEFAULT, ge=1,
                                  le=domain.ATTRIBUTION_DAYS_MAX)
    header_link: str = Field(default="", max_length=2000, description="For a template "
                             "with an image, video or document header: the file's https "
                             "address (or give header_media_id).")
    header_media_id: str = Field(default="", max_length=64, description="For a template "
                                 "with a media header: a media id uploaded to the store's "
                                 "number (Graph POST /<phone number id>/media).")
    holdout_percent: int = Field(default=0, ge=0, le=MAX_HOLDOUT_PERCENT,
                                 description="The share of recipients, chosen at random, "
                                 "who get nothing, so that the lift can be measured.")


class ActionIn(Strict):
    """What to do. For `start`: when to send, now (no `scheduled_at`) or at a time, and an
    optional deadline after which unsent messages are dropped; times with a zone offset, or
    without one in the store's time zone."""

    action: Literal["start", "pause", "resume", "cancel"]
    # Strict models take no strings for times; these are ISO 8601 text in JSON.
    scheduled_at: datetime | None = Field(default=None, strict=False)
    deadline_at: datetime | None = Field(default=None, strict=False)


class ProgressOut(BaseModel):
    """Where the sending is, each recipient counted once."""

    total: int
    held: int = Field(description="Written, not released to the send yet.")
    queued: int = Field(description="Released, waiting for the send.")
    sent: int
    failed: int
    dropped: int = Field(description="Skipped: the deadline, a cancel, or the send policy.")
    deadline_dropped: int
    percent: int


class ResultsOut(BaseModel):
    """What the campaign achieved. Clicked, replied and opted out are the Analytics figures
    of the campaign's `flow`: once per message, a reply or an opt-out counted for the last
    message the shopper received. `orders` and `revenue` are its recipients' orders within
    `attribution_days` of their message; `attributed_orders` and `attributed_revenue` the
    orders where the campaign was the last message touched, as Analytics counts them."""

    sent: int
    delivered: int
    read: int
    replied: int = Field(description="Messages replied to (the reply's last message).")
    clicked: int = Field(description="Messages whose link was opened.")
    opted_out: int = Field(description="Messages followed by an opt-out (its last message).")
    orders: int = Field(description="Recipients' orders within `attribution_days`.")
    revenue: dict[str, str] = Field(description="Decimal strings by currency: the revenue "
                                                "of `orders`.")
    attribution_days: int
    attributed_orders: int = Field(description="Orders last-touch attribution gave the "
                                               "campaign (cancelled and refunded ones out).")
    attributed_revenue: dict[str, str] = Field(description="Decimal strings by currency: the "
                                                           "revenue of `attributed_orders`.")
    flow: str = Field(description="The campaign's flow on Analytics: the `flow` of "
                                  "GET /analytics/revenue/orders lists `attributed_orders`.")


class CampaignOut(BaseModel):
    """A campaign with its progress and results."""

    id: int
    name: str
    state: str
    reason: str | None
    template: str
    language: str
    segment_id: int | None
    variables: list[dict[str, Any]]
    discount: dict[str, Any]
    link_url: str
    scheduled_at: datetime | None
    deadline_at: datetime | None
    attribution_days: int
    holdout_percent: int
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime | None
    progress: ProgressOut
    results: ResultsOut


class CampaignList(BaseModel):
    """A page of campaigns, newest first."""

    data: list[CampaignOut]
    next_cursor: str | None


def _out(campaign: Campaign) -> CampaignOut:
    session = db.session()
    p = results.progress(session, campaign)
    r = results.results(session, campaign)
    return CampaignOut(
        id=campaign.id, name=campaign.name, state=campaign.state, reason=campaign.reason,
        template=campaign.template, language=campaign.language,
        segment_id=campaign.segment_id, variables=list(campaign.variables or []),
        discount=dict(campaign.discount or {}), link_url=campaign.link_url,
        scheduled_at=utc(campaign.scheduled_at), deadline_at=utc(campaign.deadline_at),
        attribution_days=campaign.attribution_days, holdout_percent=campaign.holdout_percent,
        started_at=utc(campaign.started_at),
        finished_at=utc(campaign.finished_at), created_at=utc(campaign.created_at),
        progress=ProgressOut(total=p.total, held=p.held, queued=p.queued, sent=p.sent,
                             failed=p.failed, dropped=p.dropped,
                             deadline_dropped=p.deadline_dropped, percent=p.percent),
        results=ResultsOut(sent=r.sent, delivered=r.delivered, read=r.read,
                           replied=r.replied, clicked=r.clicked, opted_out=r.opted_out,
                           orders=r.orders, attribution_days=r.attribution_days,
                           revenue={k: str(v) for k, v in r.revenue.items()},
                           attributed_orders=r.attributed_orders,
                           attributed_revenue={k: str(v)
                                               for k, v in r.attributed_revenue.items()},
                           flow=r.flow))


def _refused(error: CampaignRefused) -> ApiError:
    if any(p.field == "campaign" for p in error.problems):
        return ApiError(ProblemCode.CAMPAIGN_STATE, str(error).partition(": ")[2])
    return ApiError(ProblemCode.VALIDATION_FAILED, errors=[
        FieldError(field=p.field, location="body", message=p.message)
        for p in error.problems])


def _naive_utc(moment: datetime | None, zone: str | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return domain.local_to_utc(moment.isoformat(), zone)
    return moment.astimezone(UTC).replace(tzinfo=None)


@blueprint.get("/campaigns")
@spec.validate(resp=documented(CampaignList), tags=[TAG], operation_id="listCampaigns")
def list_campaigns(query: ListQuery) -> CampaignList:
    """List campaigns

    Newest first, each with its progress and results."""
    rows, cursor = page(select(Campaign), Campaign, query)
    return CampaignList(data=[_out(c) for c in rows], next_cursor=cursor)


@blueprint.post("/campaigns")
@spec.validate(query=StoreQuery, resp=documented(CampaignOut, status=201, write=True),
               tags=[TAG], operation_id="createCampaign")
def create_campaign(json: CampaignIn) -> tuple[CampaignOut, int]:
    """Create a campaign

    A draft: start it with `POST /campaigns/{id}/start`."""
    session = db.session()
    store = session.get_one(Store, access.store_id())
    try:
        campaign = controls.save(session, store, None, controls.Draft(
            name=json.name, template=json.template, language=json.language,
            segment_id=json.segment_id, variables=[v.model_dump() for v in json.variables],
            discount=json.discount.model_dump(), link_url=json.link_url,
            attribution_days=json.attribution_days, holdout_percent=json.holdout_percent,
            header_media=({"id": json.header_media_id} if json.header_media_id else
                          {"link": json.header_link} if json.header_link else None)))
    except CampaignRefused as error:
        session.rollback()
        raise _refused(error) from None
    session.commit()
    return _out(campaign), 201


@blueprint.get("/campaigns/<int:campaign_id>")
@spec.validate(query=StoreQuery, resp=documented(CampaignOut), tags=[TAG],
               operation_id="getCampaign")
def get_campaign(campaign_id: int) -> CampaignOut:
    """Get a campaign

    With its progress (counts by where each message is) and its results."""
    return _out(access.get_or_404(Campaign, campaign_id))


@blueprint.post("/campaigns/<int:campaign_id>/actions")
@spec.validate(query=StoreQuery, resp=documented(CampaignOut, write=True), tags=[TAG],
               operation_id="actOnCampaign")
def act_on_campaign(campaign_id: int, json: ActionIn) -> CampaignOut:
    """Start, pause, resume or cancel a campaign

    `start` sends now, or at `scheduled_at`, with the optional `deadline_at`; it is refused,
    with nothing written, for a time in the past, a deadline not after the start, a segment
    with no reachable customer, or a variable mapped to a field some of them have empty
    (give it a `fallback`). `pause` takes back messages released and not yet sent;
    `resume` goes on; `cancel` drops every message not yet sent. An action the campaign's
    state does not allow answers `campaign_state` (409)."""
    campaign = access.get_or_404(Campaign, campaign_id)
    session = db.session()
    try:
        if json.action == "start":
            zone = session.get_one(Store, campaign.store_id).timezone
            controls.start(session, campaign,
                           scheduled_at=_naive_utc(json.scheduled_at, zone),
                           deadline_at=_naive_utc(json.deadline_at, zone))
        else:
            getattr(controls, json.action)(session, campaign)
    except CampaignRefused as error:
        session.rollback()
        raise _refused(error) from None
    session.commit()
    return _out(campaign)
