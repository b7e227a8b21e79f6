"""The Analytics page's conversation, keyword, widget and health sections, and each one's
table as CSV. The page itself (plugin.admin.analytics) renders them with what `context`
gives; all is read from rollups and the number's health rows.

Routes (blueprint "analytics_sections", `?days=` as the page): `GET /stores/<id>/analytics/`
`conversations.csv`, `keywords.csv`, `widget.csv` and `health.csv`. Another owner's store
answers 404.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from plugin.admin.analytics_http import csv_response, days_arg
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain.conversation_figures import AUTOMATIC_SHARE_HEALTHY
from plugin.domain.template_rules import LANGUAGES
from plugin.infra import db
from plugin.models import NumberHealth, Store
from plugin.pipeline import (
    conversation_report,
    health_warnings,
    message_figures,
    number_health,
    widget_figures,
)

blueprint = protect(Blueprint("analytics_sections", __name__))

HEALTH_COLUMNS = ("number", "account", "quality_flagged", "quality_event", "messaging_limit",
                  "business_limit", "account_event", "account_detail", "reported_at")


def context(session: Session, store: Store, days: int,
            now: datetime | None = None) -> dict[str, Any]:
    """What the page's own sections show for the period (names the template reads)."""
    span = message_figures.period(store, days, now)
    found = conversation_report.figures(session, store, span)
    return {
        "conversations": found,
        "conversation_rows": conversation_report.summary_rows(found),
        "automatic_healthy": AUTOMATIC_SHARE_HEALTHY,
        "keyword_trends": conversation_report.keyword_trends(session, store, span),
        "language_names": LANGUAGES,
        "previous_period": conversation_report.previous(span),
        "widget_lines": widget_figures.lines(session, store, span)[:widget_figures.PAGE_ROWS],
        "number_health": number_health.for_store(session, store.id),
        "health_warnings": health_warnings.warnings(session, store, now),
    }


def health_rows(rows: list[NumberHealth]) -> list[list[str]]:
    """The health table as text cells in HEALTH_COLUMNS order."""
    return [[r.display_phone_number, r.waba_id,
             "" if r.flagged is None else ("yes" if r.flagged else "no"), r.quality_event,
             r.messaging_limit, r.business_limit, r.account_event, r.account_detail,
             r.reported_at.isoformat() if r.quality_event or r.account_event else ""]
            for r in rows]


def _csv(name: str, store_id: int, columns: tuple[str, ...],
         rows: Callable[[Session, Store, message_figures.Period], list[list[str]]]
         ) -> ResponseReturnValue:
    store = tenancy.get_or_404(Store, store_id)
    span = message_figures.period(store, days_arg())
    return csv_response(name, span, columns, rows(db.session(), store, span))


@blueprint.get("/stores/<int:store_id>/analytics/conversations.csv")
def conversations_csv(store_id: int) -> ResponseReturnValue:
    """The conversation figures as CSV: one row per figure, with its count and target."""
    return _csv("conversations", store_id, conversation_report.SUMMARY_COLUMNS,
                lambda s, store, span: conversation_report.summary_rows(
                    conversation_report.figures(s, store, span)))


@blueprint.get("/stores/<int:store_id>/analytics/keywords.csv")
def keywords_csv(store_id: int) -> ResponseReturnValue:
    """The keyword trends as CSV: per language, each term this period and the one before."""
    return _csv("keywords", store_id, conversation_report.TREND_COLUMNS,
                lambda s, store, span: conversation_report.trend_rows(
                    conversation_report.keyword_trends(s, store, span)))


@blueprint.get("/stores/<int:store_id>/analytics/widget.csv")
def widget_csv(store_id: int) -> ResponseReturnValue:
    """The widget's opens, clicks and opt-ins per page and product as CSV (every row)."""
    return _csv("widget", store_id, widget_figures.COLUMNS,
                lambda s, store, span: widget_figures.table_rows(
                    widget_figures.lines(s, store, span)))


@blueprint.get("/stores/<int:store_id>/analytics/health.csv")
def health_csv(store_id: int) -> ResponseReturnValue:
    """What Meta last said about the store's numbers and account, as CSV."""
    return _csv("health", store_id, HEALTH_COLUMNS,
                lambda s, store, span: health_rows(number_health.for_store(s, store.id)))


def init_app(app: Flask) -> None:
    """Register the sections' CSV downloads."""
    app.register_blueprint(blueprint)
