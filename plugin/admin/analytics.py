"""The Analytics page of a store: per flow, the messages of a period (sent, delivered, read,
failed and skipped with their reasons) and the rates with the figures they divide, read from
the daily rollups, and the same messages per day as a chart over its table; each table as CSV.

Routes (blueprint "analytics_admin"): `GET /stores/<id>/analytics` (`?days=` picks 7, 30 or
90), `GET /stores/<id>/analytics/messages.csv`, `GET /stores/<id>/analytics/days.csv`, and
`POST /stores/<id>/analytics/settings` (the attribution windows and cart recovery's holdout
share). Another owner's store answers 404. The revenue, ads and lift parts are
plugin.admin.analytics_revenue's.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from plugin.admin import analytics_revenue, analytics_sections
from plugin.admin.analytics_http import DEFAULT_DAYS, csv_response, days_arg
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain import attribution as rules
from plugin.infra import db
from plugin.models import Store
from plugin.pipeline import message_days, message_figures

blueprint = protect(Blueprint("analytics_admin", __name__))

@blueprint.get("/stores/<int:store_id>/analytics")
def index(store_id: int) -> ResponseReturnValue:
    """The page: the period's message figures per flow."""
    store = tenancy.get_or_404(Store, store_id)
    return render_page(store, days_arg())


def render_page(store: Store, days: int, form: dict[str, str] | None = None,
                errors: dict[str, str] | None = None,
                status: int = 200) -> ResponseReturnValue:
    """The page, with the settings form as typed and its problems when it was refused."""
    session = db.session()
    period, lines = message_figures.figures(session, store, days)
    by_day = message_days.per_day(session, store.id, period)
    context = analytics_revenue.template_context(session, store, period)
    # Conversations, keywords, widget and health: their own module and partial.
    context.update(analytics_sections.context(session, store, days))
    if form is not None:
        context.update(settings=form, form={"errors": errors or {}})
    return render_template("analytics/index.html", store=store, days=days, period=period,
                           lines=lines, periods=message_figures.PERIODS, by_day=by_day,
                           **context), status


@blueprint.get("/stores/<int:store_id>/analytics/messages.csv")
def messages_csv(store_id: int) -> ResponseReturnValue:
    """The page's table as CSV, one row per flow, the same cells."""
    store = tenancy.get_or_404(Store, store_id)
    period, lines = message_figures.figures(db.session(), store, days_arg())
    return csv_response("messages", period, message_figures.COLUMNS,
                        message_figures.table_rows(lines))


@blueprint.get("/stores/<int:store_id>/analytics/days.csv")
def days_csv(store_id: int) -> ResponseReturnValue:
    """The messages-per-day table (the chart's data) as CSV, one row per day, the same cells."""
    store = tenancy.get_or_404(Store, store_id)
    period = message_figures.period(store, days_arg())
    return csv_response("messages-per-day", period, message_days.COLUMNS,
                        (line.cells() for line in message_days.per_day(db.session(), store.id,
                                                                       period)))


@blueprint.post("/stores/<int:store_id>/analytics/settings")
def save_settings(store_id: int) -> ResponseReturnValue:
    """Save the attribution windows and cart recovery's holdout share; 400 with each
    problem on its field otherwise."""
    store = tenancy.get_or_404(Store, store_id)
    form = {k: request.form.get(k, "").strip() for k in ("click_days", "read_hours",
                                                          "holdout_percent")}
    problems = rules.check_windows(form["click_days"], form["read_hours"])
    holdout_problem = rules.check_holdout(form["holdout_percent"])
    if holdout_problem:
        problems["holdout_percent"] = holdout_problem
    if problems:
        return render_page(store, DEFAULT_DAYS, form, problems, 400)
    with db.transaction() as session:
        owned = session.get(Store, store.id)
        assert owned is not None  # tenancy found it a moment ago
        owned.attribution_click_days = int(form["click_days"])
        owned.attribution_read_hours = int(form["read_hours"])
        owned.recovery_holdout_percent = int(form["holdout_percent"])
    flash(f"Orders now count for a message clicked within {form['click_days']} days or read "
          f"within {form['read_hours']} hours before them; cart recovery holds out "
          f"{form['holdout_percent']} % of carts. It applies to orders from now on.")
    return redirect(url_for("analytics_admin.index", store_id=store.id), 303)


def init_app(app: Flask) -> None:
    """Register the Analytics page and its revenue parts."""
    app.register_blueprint(blueprint)
    analytics_revenue.init_app(app)
    analytics_sections.init_app(app)
