"""The Analytics page of a store: per flow, the messages of a period (sent, delivered, read,
failed and skipped with their reasons) and the rates with the figures they divide, read from
the daily rollups; the same table as CSV.

Routes (blueprint "analytics_admin"): `GET /stores/<id>/analytics` (`?days=` picks 7, 30 or
90) and `GET /stores/<id>/analytics/messages.csv`. Another owner's store answers 404.
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Flask, Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from plugin.admin import analytics_sections
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.infra import db
from plugin.models import Store
from plugin.pipeline import message_figures

blueprint = protect(Blueprint("analytics_admin", __name__))

# The period shown when none is asked for.
DEFAULT_DAYS = 30


def _days() -> int:
    raw = request.args.get("days", str(DEFAULT_DAYS))
    if not raw.isdigit() or int(raw) not in message_figures.PERIODS:
        abort(400, description="Choose one of the periods offered: "
                               f"{', '.join(str(p) for p in message_figures.PERIODS)} days.")
    return int(raw)


@blueprint.get("/stores/<int:store_id>/analytics")
def index(store_id: int) -> ResponseReturnValue:
    """The page: the period's message figures per flow."""
    store = tenancy.get_or_404(Store, store_id)
    days = _days()
    period, lines = message_figures.figures(db.session(), store, days)
    # Conversations, keywords, widget and health: their own module and partial.
    sections = analytics_sections.context(db.session(), store, days)
    return render_template("analytics/index.html", store=store, days=days, period=period,
                           lines=lines, periods=message_figures.PERIODS, **sections)


@blueprint.get("/stores/<int:store_id>/analytics/messages.csv")
def messages_csv(store_id: int) -> ResponseReturnValue:
    """The page's table as CSV, one row per flow, the same cells."""
    store = tenancy.get_or_404(Store, store_id)
    days = _days()
    period, lines = message_figures.figures(db.session(), store, days)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(message_figures.COLUMNS)
    writer.writerows(message_figures.table_rows(lines))
    name = f"messages-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def init_app(app: Flask) -> None:
    """Register the Analytics page."""
    app.register_blueprint(blueprint)
    analytics_sections.init_app(app)
