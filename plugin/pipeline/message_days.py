"""The Analytics page's messages per day of a period, read from the daily rollups only (never
the message table): sent, delivered, read and failed on each of the store's days, every day of
the period present (a quiet day is a row of zeros, so a chart's line does not skip it)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.domain.message_flows import Figure
from plugin.models import MessageRollup
from plugin.pipeline.message_figures import Period

# The rollup figures each column adds up; a failure counts once whether or not it had been
# sent (the two figures never count the same message).
_COLUMN_OF = {Figure.SENT.value: "sent", Figure.DELIVERED.value: "delivered",
              Figure.READ.value: "read", Figure.FAILED.value: "failed",
              Figure.FAILED_AFTER_SENT.value: "failed"}
COLUMNS = ("day", "sent", "delivered", "read", "failed")


@dataclass(slots=True)
class DayFigures:
    """One day of the store's calendar: its messages' figures, every flow together."""

    day: str  # ISO date, what the table and the CSV show
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0

    @property
    def row(self) -> tuple[str, list[int]]:
        """The day and its figures in COLUMNS order: a row of a chart's table."""
        return self.day, [self.sent, self.delivered, self.read, self.failed]

    def cells(self) -> list[str]:
        """The row as text cells in COLUMNS order."""
        return [self.day, str(self.sent), str(self.delivered), str(self.read), str(self.failed)]


def per_day(session: Session, store_id: int, span: Period) -> list[DayFigures]:
    """Each day of `span`, oldest first, with the figures of the messages written on it."""
    days = {(span.first + timedelta(days=i)).isoformat(): DayFigures(
        day=(span.first + timedelta(days=i)).isoformat()) for i in range(span.days)}
    rows = session.execute(
        select(MessageRollup.day, MessageRollup.figure, func.sum(MessageRollup.n))
        .where(MessageRollup.store_id == store_id, MessageRollup.day >= span.first,
               MessageRollup.day <= span.last, MessageRollup.figure.in_(list(_COLUMN_OF)))
        .group_by(MessageRollup.day, MessageRollup.figure))
    for day, figure, n in rows:
        line = days.get(day.isoformat())
        if line is not None:  # the period's days only, whatever the database returns
            column = _COLUMN_OF[figure]
            setattr(line, column, getattr(line, column) + int(n or 0))
    return list(days.values())
