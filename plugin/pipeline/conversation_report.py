"""The Analytics page's conversation figures for a period, read from the daily conversation
and keyword rollups only: reply times in business hours (first and average, for any reply
and the team's own), the automatic share of replies, conversations started and resolved,
survey scores, and the words shoppers used most against the period before."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.domain.conversation_figures import (  # noqa: F401  (the targets re-exported)
    AUTOMATIC,
    AVERAGE_REPLY_TARGET_SECONDS,
    FIRST_REPLY_TARGET_SECONDS,
    TEAM,
    Figure,
    Whose,
    average,
)
from plugin.domain.message_flows import rate
from plugin.models import ConversationRollup, KeywordRollup, Store
from plugin.pipeline.message_figures import Period

# Terms shown per language.
TOP_TERMS = 15


@dataclass(slots=True)
class ReplyTimes:
    """Reply times of one kind (any reply, or the team's) over the period, business hours."""

    whose: str
    first_count: int = 0
    first_seconds: int = 0
    first_over_target: int = 0
    count: int = 0
    seconds: int = 0

    @property
    def first_average(self) -> float | None:
        """Mean seconds to the first reply of a conversation."""
        return average(self.first_seconds, self.first_count)

    @property
    def average(self) -> float | None:
        """Mean seconds from a waiting message to its reply."""
        return average(self.seconds, self.count)

    @property
    def first_on_target(self) -> bool | None:
        """Whether the first reply meets its target on average (None: none yet)."""
        mean = self.first_average
        return None if mean is None else mean <= FIRST_REPLY_TARGET_SECONDS

    @property
    def average_on_target(self) -> bool | None:
        """Whether replies meet their average target (None: none yet)."""
        mean = self.average
        return None if mean is None else mean <= AVERAGE_REPLY_TARGET_SECONDS


@dataclass(slots=True)
class ConversationFigures:
    """A period's conversation figures."""

    period: Period
    started: int = 0
    inbound: int = 0
    resolved: int = 0
    automatic_replies: int = 0
    team_replies: int = 0
    times: dict[str, ReplyTimes] = field(default_factory=dict)
    scores: dict[int, int] = field(default_factory=dict)

    @property
    def replies(self) -> int:
        """Every reply written, automatic or the team's."""
        return self.automatic_replies + self.team_replies

    @property
    def automatic_share(self) -> float | None:
        """Automatic replies of all replies, in %."""
        return rate(self.automatic_replies, self.replies)

    @property
    def csat_count(self) -> int:
        """Survey answers in the period."""
        return sum(self.scores.values())

    @property
    def csat_average(self) -> float | None:
        """Mean score, one decimal."""
        total = sum(score * n for score, n in self.scores.items())
        mean = average(total, self.csat_count)
        return None if mean is None else round(mean, 1)


def figures(session: Session, store: Store, span: Period) -> ConversationFigures:
    """The store's conversation figures over the period (its calendar days)."""
    found = ConversationFigures(period=span, times={w.value: ReplyTimes(whose=w.value)
                                                    for w in Whose})
    rows = session.execute(
        select(ConversationRollup.figure, ConversationRollup.detail,
               func.sum(ConversationRollup.n))
        .where(ConversationRollup.store_id == store.id, ConversationRollup.day >= span.first,
               ConversationRollup.day <= span.last)
        .group_by(ConversationRollup.figure, ConversationRollup.detail))
    simple = {Figure.STARTED.value: "started", Figure.INBOUND.value: "inbound",
              Figure.RESOLVED.value: "resolved"}
    timed = {Figure.FIRST_REPLY.value: "first_count",
             Figure.FIRST_REPLY_SECONDS.value: "first_seconds",
             Figure.FIRST_OVER_TARGET.value: "first_over_target",
             Figure.REPLY.value: "count", Figure.REPLY_SECONDS.value: "seconds"}
    for figure, detail, n in rows:
        n = int(n or 0)
        if figure in simple:
            setattr(found, simple[figure], getattr(found, simple[figure]) + n)
        elif figure in timed and detail in found.times:
            times = found.times[detail]
            setattr(times, timed[figure], getattr(times, timed[figure]) + n)
        elif figure == Figure.REPLIES.value and detail == AUTOMATIC:
            found.automatic_replies += n
        elif figure == Figure.REPLIES.value and detail == TEAM:
            found.team_replies += n
        elif figure == Figure.CSAT.value and detail.isdigit():
            found.scores[int(detail)] = found.scores.get(int(detail), 0) + n
    return found


@dataclass(frozen=True, slots=True)
class Trend:
    """A term's use this period and the period before (messages that used it)."""

    term: str
    now: int
    before: int

    @property
    def change(self) -> int:
        """How many more messages used it than before (negative: fewer)."""
        return self.now - self.before


def previous(span: Period) -> tuple[date, date]:
    """The days of the period just before `span`, as long as it."""
    return span.first - timedelta(days=span.days), span.first - timedelta(days=1)


def keyword_trends(session: Session, store: Store, span: Period,
                   top: int = TOP_TERMS) -> dict[str, list[Trend]]:
    """Per language, the terms most used this period (ties by name), with the period
    before; languages with most messages' terms first."""
    # Two reads: the period's terms grouped, then the period before for the few shown only
    # (grouping both periods' every term cost twice as much for rows nobody sees).
    rows = session.execute(
        select(KeywordRollup.language, KeywordRollup.term, func.sum(KeywordRollup.n))
        .where(KeywordRollup.store_id == store.id, KeywordRollup.day >= span.first,
               KeywordRollup.day <= span.last)
        .group_by(KeywordRollup.language, KeywordRollup.term))
    counts: dict[str, dict[str, int]] = {}
    for language, term, n in rows:
        if int(n or 0):
            counts.setdefault(language, {})[term] = int(n)
    shown = {language: sorted(terms.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
             for language, terms in counts.items()}
    before_first, before_last = previous(span)
    before: dict[tuple[str, str], int] = {}
    for language, terms in shown.items():
        if not terms:
            continue
        for term, n in session.execute(
                select(KeywordRollup.term, func.sum(KeywordRollup.n))
                .where(KeywordRollup.store_id == store.id, KeywordRollup.language == language,
                       KeywordRollup.day >= before_first, KeywordRollup.day <= before_last,
                       KeywordRollup.term.in_([t for t, _n in terms]))
                .group_by(KeywordRollup.term)):
            before[(language, term)] = int(n or 0)
    ordered = sorted(counts, key=lambda language: (-sum(counts[language].values()), language))
    return {language: [Trend(term=term, now=n, before=before.get((language, term), 0))
                       for term, n in shown[language]] for language in ordered}


SUMMARY_COLUMNS = ("figure", "value", "count", "target")
TREND_COLUMNS = ("language", "term", "this_period", "previous_period", "change")


def minutes(seconds: float | None) -> str:
    """Seconds as minutes with one decimal, '' for none."""
    return "" if seconds is None else f"{seconds / 60:.1f}"


def summary_rows(found: ConversationFigures) -> list[list[str]]:
    """The conversation table as text cells in SUMMARY_COLUMNS order (page and CSV)."""
    rows: list[list[str]] = []
    for whose, label in ((Whose.ANY.value, "any reply"), (Whose.TEAM.value, "the team")):
        t = found.times[whose]
        rows += [
            [f"First reply minutes ({label})", minutes(t.first_average), str(t.first_count),
             f"under {FIRST_REPLY_TARGET_SECONDS // 60}"],
            [f"First replies over target ({label})", str(t.first_over_target),
             str(t.first_count), ""],
            [f"Average reply minutes ({label})", minutes(t.average), str(t.count),
             f"under {AVERAGE_REPLY_TARGET_SECONDS // 60}"],
        ]
    share = found.automatic_share
    rows += [
        ["Automatic share of replies %", "" if share is None else f"{share:.1f}",
         str(found.replies), "30-50"],
        ["Conversations started", str(found.started), "", ""],
        ["Shopper messages", str(found.inbound), "", ""],
        ["Conversations resolved", str(found.resolved), "", ""],
        ["Survey average score", "" if found.csat_average is None
         else f"{found.csat_average:.1f}", str(found.csat_count), ""],
    ]
    rows += [[f"Survey score {score}", str(found.scores.get(score, 0)), "", ""]
             for score in range(1, 11)]
    return rows


def trend_rows(trends: dict[str, list[Trend]]) -> list[list[str]]:
    """The keyword table as text cells in TREND_COLUMNS order."""
    return [[language, t.term, str(t.now), str(t.before), f"{t.change:+d}"]
            for language, terms in trends.items() for t in terms]
