"""The cart recovery page of a store: one switch for the whole sequence, its steps (delay in
words, template, discount, a switch each, a link to the step's editor), what it did in the
chosen period (per step, and the recovered revenue per currency), why carts got no message,
and the recent carts with the state of each step.

Routes (blueprint "recovery_admin"): `GET /stores/<id>/recovery` (the page; `?days=` picks
the period), and the POST forms `…/recovery/switch` (the whole sequence), `…/recovery/step`
(one step) and `…/recovery/settings` (the attribution window). Every query is scoped to the
caller's stores; another owner's store answers 404. A step's words, template and delay are
edited in the automations editor (plugin.admin.journeys), which knows recovery steps.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.admin.journey_form import delay_words, template_warning
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain import recovery
from plugin.domain.money import format_money
from plugin.infra import db
from plugin.models import Automation, Store, Template
from plugin.pipeline.recovery import carts as recovery_carts
from plugin.pipeline.recovery import stats as recovery_stats
from plugin.pipeline.recovery import steps as recovery_steps

blueprint = protect(Blueprint("recovery_admin", __name__))

# The periods the page offers, in days; the first is the default.
PERIODS = (30, 7, 90)
# Carts in the recent list.
RECENT_CARTS = 20
# The attribution window an owner may choose, in days.
MIN_ATTRIBUTION_DAYS, MAX_ATTRIBUTION_DAYS = 1, 30


@dataclass(frozen=True, slots=True)
class StepLine:
    """A step as the page lists it."""

    rule: recovery_steps.StepRule
    delay: str
    discount: str
    warning: str


def _steps(store: Store) -> list[StepLine]:
    templates = list(db.session().scalars(
        tenancy.scoped(select(Template), Template).where(Template.store_id == store.id)))
    lines = []
    for rule in recovery_steps.store_steps(db.session(), store.id, enabled_only=False):
        discount = rule.discount
        words = delay_words(rule.delay_minutes * 60).replace("after ", "")
        if rule.delay_minutes < recovery.MIN_DELAY_MINUTES:
            words = f"{recovery.MIN_DELAY_MINUTES} minutes (the least)"
        lines.append(StepLine(
            rule=rule, delay=f"{words} after the last activity",
            discount=(f"{discount.percent}% off, valid {discount.hours} hours" if discount
                      else ""),
            warning=template_warning(rule.template, rule.language, templates)))
    return lines


def money_words(amounts: dict[str, Decimal]) -> list[str]:
    """Revenue per currency as written ("€1,234.50", "KWD 12.345"), by currency code."""
    return [format_money(amount, code) for code, amount in sorted(amounts.items()) if amount]


def _days() -> int:
    raw = request.args.get("days", str(PERIODS[0]))
    if not raw.isdigit() or int(raw) not in PERIODS:
        abort(400, description="Choose one of the periods offered: "
                               f"{', '.join(str(p) for p in PERIODS)} days.")
    return int(raw)


@blueprint.get("/stores/<int:store_id>/recovery")
def page(store_id: int) -> ResponseReturnValue:
    """The page: switch, steps, figures for the period, reasons, recent carts."""
    store = tenancy.get_or_404(Store, store_id)
    return _page(store, _days())


def _page(store: Store, days: int, errors: dict[str, str] | None = None,
          status: int = 200) -> ResponseReturnValue:
    session = db.session()
    steps = _steps(store)
    period = recovery_stats.last_days(db.utcnow(), days)
    figures = recovery_stats.figures(session, store.id, period,
                                     [line.rule.step for line in steps])
    carts = recovery_carts.recent(session, store.id, RECENT_CARTS)
    total = figures.total
    return render_template(
        "recovery/index.html", store=store, steps=steps, figures=figures, total=total,
        revenue=money_words(total.revenue), money_words=money_words,
        on=any(line.rule.enabled for line in steps), carts=carts, days=days,
        periods=PERIODS, defaults=recovery.DEFAULT_STEPS, delay_words=delay_words,
        min_days=MIN_ATTRIBUTION_DAYS, max_days=MAX_ATTRIBUTION_DAYS,
        min_delay=recovery.MIN_DELAY_MINUTES,
        form={"errors": errors or {}, "attribution_days": request.form.get(
            "attribution_days", str(store.recovery_attribution_days))}), status


@blueprint.post("/stores/<int:store_id>/recovery/switch")
def switch(store_id: int) -> ResponseReturnValue:
    """Turn the whole sequence on (every step, installing the defaults when none) or off."""
    store = tenancy.get_or_404(Store, store_id)
    on = request.form.get("on") == "1"
    with db.transaction() as session:
        owned = session.get(Store, store.id)
        assert owned is not None  # tenancy found it a moment ago
        recovery_steps.set_enabled(session, owned, on)
    flash("Cart recovery is on: shoppers who leave a cart with a phone number get its "
          "messages." if on else "Cart recovery is off: no cart message will be sent.")
    return redirect(url_for(".page", store_id=store.id), 303)


@blueprint.post("/stores/<int:store_id>/recovery/step")
def switch_step(store_id: int) -> ResponseReturnValue:
    """Turn one step on or off."""
    store = tenancy.get_or_404(Store, store_id)
    raw = request.form.get("step", "")
    step = int(raw) if raw.isdigit() else None
    if step is None:
        abort(400, description="That step cannot be found: reload the page and try again.")
    on = request.form.get("on") == "1"
    with db.transaction() as session:
        row = session.scalars(tenancy.scoped(select(Automation), Automation).where(
            Automation.store_id == store.id,
            Automation.journey == recovery.journey_name(step))).first()
        if row is None:
            abort(404)
        row.enabled = on
    flash(f"Step {step} is {'on' if on else 'off'}.")
    return redirect(url_for(".page", store_id=store.id), 303)


@blueprint.post("/stores/<int:store_id>/recovery/settings")
def settings(store_id: int) -> ResponseReturnValue:
    """Save the attribution window (whole days, 1–30); 400 in words otherwise."""
    store = tenancy.get_or_404(Store, store_id)
    raw = request.form.get("attribution_days", "").strip()
    if not raw.isdigit() or not MIN_ATTRIBUTION_DAYS <= int(raw) <= MAX_ATTRIBUTION_DAYS:
        return _page(store, PERIODS[0], {"attribution_days": (
            f"Enter a whole number of days from {MIN_ATTRIBUTION_DAYS} to "
            f"{MAX_ATTRIBUTION_DAYS}.")}, 400)
    with db.transaction() as session:
        owned = session.get(Store, store.id)
        assert owned is not None
        owned.recovery_attribution_days = int(raw)
    flash(f"An order up to {raw} day{'s' if raw != '1' else ''} after a cart message now "
          "counts as recovered.")
    return redirect(url_for(".page", store_id=store.id), 303)


def init_app(app: Flask) -> None:
    """Register the cart recovery page."""
    app.register_blueprint(blueprint)
