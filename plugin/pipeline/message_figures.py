"""The Analytics page's message figures for a period, read from the daily rollups only (never
the message table): per flow, sent, delivered, read, failed and skipped with their details,
limited by Meta (131049), clicked, replied and opted out after, and the rates with the
denominators they divide by."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.domain.message_flows import Figure, label_of, rate
from plugin.models import MessageRollup, Store
from plugin.pipeline import rollups

# The periods the page and the API offer, in days.
PERIODS = (7, 30, 90)
# Meta's error code for a message held by its per-user marketing limit ("limited by Meta").
LIMITED_CODE = "131049"
# The figures a flow keeps as plain counts, under the same name as the rollup's figure.
_PLAIN = {Figure.SENT.value, Figure.DELIVERED.value, Figure.READ.value, Figure.CLICKED.value,
          Figure.REPLIED.value, Figure.OPTED_OUT.value}


@dataclass(slots=True)
class FlowFigures:
    """One flow's figures over the period; failed and skipped keep count per detail."""

    flow: str
    label: str
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    attempted: int = 0
    skipped: int = 0
    failed_by: dict[str, int] = field(default_factory=dict)
    skipped_by: dict[str, int] = field(default_factory=dict)
    clicked: int = 0
    replied: int = 0
    opted_out: int = 0

    @property
    def limited(self) -> int:
        """Failed with Meta's 131049 (its per-user marketing limit), before or after sent."""
        return self.failed_by.get(LIMITED_CODE, 0)

    @property
    def delivery_rate(self) -> float | None:
        """Delivered of sent, in %."""
        return rate(self.delivered, self.sent)

    @property
    def read_rate(self) -> float | None:
        """Read of delivered, in %."""
        return rate(self.read, self.delivered)

    @property
    def failure_rate(self) -> float | None:
        """Failed of attempted (sent, or failed before it could be), in %."""
        return rate(self.failed, self.attempted)

    @property
    def limited_rate(self) -> float | None:
        """Limited by Meta (131049) of attempted, in %."""
        return rate(self.limited, self.attempted)

    @property
    def click_rate(self) -> float | None:
        """Clicked of delivered, in %."""
        return rate(self.clicked, self.delivered)

    @property
    def reply_rate(self) -> float | None:
        """Replied of delivered, in %."""
        return rate(self.replied, self.delivered)

    @property
    def opt_out_rate(self) -> float | None:
        """Opted out after the message, of delivered, in %."""
        return rate(self.opted_out, self.delivered)


@dataclass(frozen=True, slots=True)
class Period:
    """The store's days the figures cover, first to last inclusive."""

    first: date
    last: date
    days: int


def period(store: Store, days: int, now: datetime | None = None) -> Period:
    """The last `days` days of the store's calendar, today included."""
    today = rollups.store_today(store.timezone, now)
    return Period(first=today - timedelta(days=days - 1), last=today, days=days)


def period_since(store: Store, first: date, now: datetime | None = None) -> Period:
    """The store's days from `first` to today, both included (today alone when `first` is
    later)."""
    today = rollups.store_today(store.timezone, now)
    first = min(first, today)
    return Period(first=first, last=today, days=(today - first).days + 1)


def figures(session: Session, store: Store, days: int,
            now: datetime | None = None) -> tuple[Period, list[FlowFigures]]:
    """Each flow's figures over the period (flows with nothing in it are left out), busiest
    first, and the period itself."""
    span = period(store, days, now)
    rows = session.execute(
        select(MessageRollup.flow, MessageRollup.figure, MessageRollup.detail,
               func.sum(MessageRollup.n))
        .where(MessageRollup.store_id == store.id, MessageRollup.day >= span.first,
               MessageRollup.day <= span.last)
        .group_by(MessageRollup.flow, MessageRollup.figure, MessageRollup.detail))
    flows: dict[str, FlowFigures] = {}
    for flow, figure, detail, n in rows:
        line = flows.setdefault(flow, FlowFigures(flow=flow, label=label_of(flow)))
        n = int(n or 0)
        if figure in (Figure.FAILED.value, Figure.FAILED_AFTER_SENT.value):
            line.failed += n
            if figure == Figure.FAILED.value:  # never sent: attempted only through this
                line.attempted += n
            line.failed_by[detail or "unknown"] = line.failed_by.get(detail or "unknown", 0) + n
        elif figure == Figure.SKIPPED.value:
            line.skipped += n
            line.skipped_by[detail or "unknown"] = line.skipped_by.get(detail or "unknown",
                                                                       0) + n
        elif figure in _PLAIN:
            setattr(line, figure, getattr(line, figure) + n)
            if figure == Figure.SENT.value:
                line.attempted += n
    return span, sorted(flows.values(), key=lambda f: (-(f.sent + f.skipped + f.failed),
                                                      f.flow))


COLUMNS = ("flow", "sent", "delivered", "delivery_rate_percent", "read", "read_rate_percent",
           "attempted", "failed", "failure_rate_percent", "skipped", "failed_reasons",
           "skipped_reasons", "limited_by_meta", "limited_rate_percent", "clicked",
           "click_rate_percent", "replied", "reply_rate_percent", "opted_out",
           "opt_out_rate_percent")


def table_rows(lines: list[FlowFigures]) -> list[list[str]]:
    """The table as text cells in COLUMNS order: what the page shows and the CSV holds."""
    def pct(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    def reasons(by: dict[str, int]) -> str:
        return "; ".join(f"{k}: {v}" for k, v in sorted(by.items(), key=lambda kv: -kv[1]))

    return [[line.label, str(line.sent), str(line.delivered), pct(line.delivery_rate),
             str(line.read), pct(line.read_rate), str(line.attempted), str(line.failed),
             pct(line.failure_rate),
             str(line.skipped), reasons(line.failed_by), reasons(line.skipped_by),
             str(line.limited), pct(line.limited_rate), str(line.clicked), pct(line.click_rate),
             str(line.replied), pct(line.reply_rate), str(line.opted_out),
             pct(line.opt_out_rate)]
            for line in lines]
