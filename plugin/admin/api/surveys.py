"""The post-delivery satisfaction survey's answers: one per order, the first score the
shopper chose (1–10). Switch the survey and set its delay in the admin's Automations
section, or through PATCH /automations/{id} (flow `csat`)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field
from spectree import Tag
from sqlalchemy import select

from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, page, utc
from plugin.admin.api.recovery import MAX_PERIOD_DAYS, _store
from plugin.domain import csat
from plugin.infra import db
from plugin.models import CsatSurvey, Order
from plugin.pipeline.csat import stats as csat_stats
from plugin.pipeline.recovery import stats as recovery_stats

TAG = Tag(name="surveys", description="The satisfaction survey after delivery: its answers "
          "and figures.")


class SurveyOut(BaseModel):
    """One order's survey."""

    id: int
    order_id: int
    order_number: str | None
    customer_id: int
    state: str = Field(description="scheduled, sent, answered or skipped.")
    reason: str | None = Field(description="Why a skipped survey was not sent.")
    delivered_at: datetime
    due_at: datetime
    score: int | None = Field(description=f"1–10, the first answer; {csat.LOW_MAX} or less "
                              "opened the conversation for the team.")
    answered_at: datetime | None


class SurveyFiguresOut(BaseModel):
    """The survey's figures for the last `days` days."""

    sent: int = Field(description="Invitations that went out.")
    answered: int
    average: Decimal | None = Field(description="Average score, one decimal.")
    low: int = Field(description=f"Answers of {csat.LOW_MAX} or less.")


class SurveyList(BaseModel):
    """A page of surveys, newest first, and the figures."""

    data: list[SurveyOut]
    next_cursor: str | None
    figures: SurveyFiguresOut


class SurveyQuery(ListQuery):
    """Paging, answered surveys only if asked, and the period of the figures."""

    answered: bool = Field(default=False, description="Only surveys with a score.")
    days: int = Field(default=recovery_stats.DEFAULT_DAYS, ge=1, le=MAX_PERIOD_DAYS,
                      description="The figures cover this many days up to now.")


@blueprint.get("/surveys")
@spec.validate(query=SurveyQuery, resp=documented(SurveyList), tags=[TAG],
               operation_id="listSurveys")
def list_surveys(query: SurveyQuery) -> SurveyList:
    """List satisfaction surveys and their answers

    Newest first; with `answered=true` only those with a score. `figures` counts the last
    `days` days: invitations sent, answers, the average score and the scores of 6 or less."""
    session, store = db.session(), _store()
    statement = select(CsatSurvey)
    if query.answered:
        statement = statement.where(CsatSurvey.score.is_not(None))
    rows, cursor = page(statement, CsatSurvey, query)
    numbers = {int(i): str(n) for i, n in session.execute(select(Order.id, Order.number).where(
        Order.store_id == store.id, Order.id.in_([r.order_id for r in rows])))} if rows else {}
    f = csat_stats.figures(session, store.id, recovery_stats.last_days(db.utcnow(), query.days))
    return SurveyList(data=[SurveyOut(
        id=r.id, order_id=r.order_id, order_number=numbers.get(r.order_id),
        customer_id=r.customer_id, state=r.state, reason=r.reason,
        delivered_at=utc(r.delivered_at), due_at=utc(r.due_at), score=r.score,
        answered_at=utc(r.answered_at)) for r in rows], next_cursor=cursor,
        figures=SurveyFiguresOut(sent=f.sent, answered=f.answered, average=f.average,
                                 low=f.low))
