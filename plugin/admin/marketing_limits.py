"""Settings → Marketing limits: how often a customer may get marketing, and when not.

`GET|POST /stores/<id>/settings/marketing-limits` (blueprint "marketing_limits"): the
weekly cap, the stricter cap for customers tagged at_risk and its period, and the quiet
hours (read in each customer's own time zone when their number gives one, else the
store's). Checked by plugin.domain.marketing_limits, as GET/PATCH /api/v1/sending are.
Order updates are never limited by these; the page says so.
"""
from __future__ import annotations

from dataclasses import asdict, fields

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain.marketing_limits import MarketingLimits, problems, quiet_words
from plugin.infra import db
from plugin.models import Store

blueprint = protect(Blueprint("marketing_limits", __name__))

LABELS = {
    "weekly_cap": "Marketing messages per customer, in any 7 days",
    "at_risk_cap": "For customers tagged at_risk: at most",
    "at_risk_cap_days": "… in any this many days",
    "quiet_start_hour": "Quiet hours start at",
    "quiet_end_hour": "Quiet hours end at",
}


def of_store(store: Store) -> MarketingLimits:
    """The store's limits as saved."""
    return MarketingLimits(weekly_cap=store.marketing_weekly_cap,
                           at_risk_cap=store.at_risk_cap,
                           at_risk_cap_days=store.at_risk_cap_days,
                           quiet_start_hour=store.quiet_start_hour,
                           quiet_end_hour=store.quiet_end_hour)


def save(store: Store, limits: MarketingLimits) -> None:
    """Write checked limits onto the store (the caller commits)."""
    store.marketing_weekly_cap = limits.weekly_cap
    store.at_risk_cap = limits.at_risk_cap
    store.at_risk_cap_days = limits.at_risk_cap_days
    store.quiet_start_hour = limits.quiet_start_hour
    store.quiet_end_hour = limits.quiet_end_hour


@blueprint.route("/stores/<int:store_id>/settings/marketing-limits", methods=["GET", "POST"])
def page(store_id: int) -> ResponseReturnValue:
    """Read or change the store's marketing limits; 422 naming each field at fault."""
    store = tenancy.get_or_404(Store, store_id)
    limits = of_store(store)
    values = {name: str(value) for name, value in asdict(limits).items()}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in values}
        numbers: dict[str, int] = {}
        for name, raw in values.items():
            if raw.isdigit() and len(raw) <= 4:
                numbers[name] = int(raw)
            else:
                errors[name] = "A whole number."
        if not errors:
            wanted = MarketingLimits(**numbers)
            errors = problems(wanted)
            if not errors:
                save(store, wanted)
                db.session().commit()
                flash("Marketing limits saved: they apply to every message not yet sent.")
                return redirect(url_for("marketing_limits.page", store_id=store.id))
    return render_template(
        "settings/marketing_limits.html", store=store, labels=LABELS,
        form={"values": values, "errors": errors}, quiet=quiet_words(limits),
        defaults={f.name: f.default for f in fields(MarketingLimits)},
        hours=range(24)), 422 if errors else 200


def init_app(app: Flask) -> None:
    """Register the marketing limits settings page."""
    app.register_blueprint(blueprint)
