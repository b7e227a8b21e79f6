"""The widget's figures for the Analytics page: opens, clicks and opt-ins per page and
product over a period, read from the daily widget counters (never the consent log)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.domain.message_flows import rate
from plugin.models import Store, WidgetCounter
from plugin.pipeline.message_figures import Period

# Rows the page shows (the CSV has them all).
PAGE_ROWS = 50
COLUMNS = ("page", "product", "opens", "clicks", "optins", "click_rate_percent")


@dataclass(slots=True)
class WidgetLine:
    """One page and product's widget events over the period."""

    path: str
    product: str
    opens: int = 0
    clicks: int = 0
    optins: int = 0

    @property
    def click_rate(self) -> float | None:
        """Clicks of opens, in % (a click without opening the panel is possible: the
        floating button chats at once when the panel is off)."""
        return rate(self.clicks, self.opens)


def lines(session: Session, store: Store, span: Period) -> list[WidgetLine]:
    """Each page and product with events in the period, most clicked first."""
    rows = session.execute(
        select(WidgetCounter.path, WidgetCounter.product, WidgetCounter.kind,
               func.sum(WidgetCounter.count))
        .where(WidgetCounter.store_id == store.id, WidgetCounter.day >= span.first,
               WidgetCounter.day <= span.last)
        .group_by(WidgetCounter.path, WidgetCounter.product, WidgetCounter.kind))
    found: dict[tuple[str, str], WidgetLine] = {}
    names = {"open": "opens", "click": "clicks", "optin": "optins"}
    for path, product, kind, n in rows:
        if kind not in names:
            continue
        line = found.setdefault((path, product), WidgetLine(path=path, product=product))
        setattr(line, names[kind], getattr(line, names[kind]) + int(n or 0))
    return sorted(found.values(), key=lambda w: (-w.clicks, -w.optins, -w.opens, w.path,
                                                 w.product))


def table_rows(found: list[WidgetLine]) -> list[list[str]]:
    """The widget table as text cells in COLUMNS order."""
    return [[w.path, w.product, str(w.opens), str(w.clicks), str(w.optins),
             "" if w.click_rate is None else f"{w.click_rate:.1f}"] for w in found]
