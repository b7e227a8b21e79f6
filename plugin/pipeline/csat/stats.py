"""What the satisfaction survey did for a store, read-only: invitations that went out,
answers, their average and how many were low (≤ 6); and the answers, for the API."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from plugin.domain import csat
from plugin.domain.outbox import MessageState
from plugin.models import CsatSurvey, Message
from plugin.pipeline.recovery.stats import Period

_WENT_OUT = (MessageState.SENT.value, MessageState.DELIVERED.value, MessageState.READ.value)


@dataclass(frozen=True, slots=True)
class SurveyFigures:
    """The survey's figures in a period."""

    sent: int
    answered: int
    average: Decimal | None  # one decimal; None before the first answer
    low: int  # answers of csat.LOW_MAX or less


def figures(session: Session, store_id: int, period: Period) -> SurveyFigures:
    """Invitations sent in the period, and the answers given in it."""
    sent = int(session.scalar(select(func.count(Message.id)).where(
        Message.store_id == store_id, Message.cause.startswith(csat.CAUSE_PREFIX),
        Message.step == csat.JOURNEY, Message.state.in_(_WENT_OUT),
        Message.sent_at.between(period.since, period.until))) or 0)
    answered, total, low = session.execute(select(
        func.count(CsatSurvey.score), func.coalesce(func.sum(CsatSurvey.score), 0),
        func.coalesce(func.sum(case((CsatSurvey.score <= csat.LOW_MAX, 1), else_=0)), 0))
        .where(CsatSurvey.store_id == store_id, CsatSurvey.score.is_not(None),
               CsatSurvey.answered_at.between(period.since, period.until))).one()
    average = (Decimal(int(total)) / Decimal(int(answered))).quantize(
        Decimal("0.1"), ROUND_HALF_UP) if answered else None
    return SurveyFigures(sent=sent, answered=int(answered), average=average, low=int(low))
