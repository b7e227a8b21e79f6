"""The Analytics page of a store: per flow, the messages of a period (sent, delivered, read,
failed and skipped with their reasons) and the rates with the figures they divide, read from
the daily rollups, and the same messages per day as a chart over its table; each table as CSV.

Routes (blueprint "analytics_admin"): `GET /stores/<id>/analytics` (`?days=` picks 7, 30 or
90), `GET /stores/<id>/analytics/messages.csv` and `GET /stores/<id>/analytics/days.csv`.
Another owner's store answers 404.
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Flask, Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.infra import db
from plugin.models import Store
from plugin.pipeline import message_days, message_figures

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
    by_day = message_days.per_day(db.session(), store.id, period)
    return render_template("analytics/index.html", store=store, days=days, period=period,
                           lines=lines, periods=message_figures.PERIODS, by_day=by_day)


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


@blueprint.get("/stores/<int:store_id>/analytics/days.csv")
def days_csv(store_id: int) -> ResponseReturnValue:
    """The messages-per-day table (the chart's data) as CSV, one row per day, the same cells."""
    store = tenancy.get_or_404(Store, store_id)
    period = message_figures.period(store, _days())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(message_days.COLUMNS)
    writer.writerows(line.cells() for line in message_days.per_day(db.session(), store.id,
                                                                    period))
    name = f"messages-per-day-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def init_app(app: Flask) -> None:
    """Register the Analytics page."""
    app.register_blueprint(blueprint)
