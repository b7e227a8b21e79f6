"""The Analytics page's revenue parts: attributed revenue per flow and currency, the
attributed orders behind each figure (the drill-down page), click-to-WhatsApp ads, the lift
of holdout experiments, and their CSVs.

Routes (blueprint "analytics_revenue"), each answering 404 for another owner's store:
`GET /stores/<id>/analytics/orders` (`?days=&flow=&currency=&page=`) and `orders.csv`,
`GET …/analytics/revenue.csv`, `…/ads.csv` and `…/lift.csv`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Flask, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from plugin.admin.analytics_http import DEFAULT_DAYS, csv_response, days_arg
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain import attribution as rules
from plugin.domain.message_flows import label_of
from plugin.domain.money import format_money
from plugin.infra import db
from plugin.models import Store
from plugin.pipeline import ad_figures, holdouts, message_figures, revenue_figures

blueprint = protect(Blueprint("analytics_revenue", __name__))


@dataclass(frozen=True, slots=True)
class RevenueParts:
    """What the Analytics page shows below the message figures."""

    revenue: list[revenue_figures.RevenueLine]
    totals: dict[str, tuple[int, str]]  # currency → (orders, revenue as written)
    ads: list[ad_figures.AdFigures]
    lifts: list[holdouts.Lift]


def parts(session: Session, store: Store, period: message_figures.Period) -> RevenueParts:
    """The period's revenue, ads and lift figures, all read from rollups and members."""
    found = revenue_figures.lines(session, store.id, period.first, period.last)
    return RevenueParts(
        revenue=found,
        totals={c: (n, format_money(v, c)) for c, (n, v)
                in sorted(revenue_figures.totals(found).items())},
        ads=ad_figures.figures(session, store.id, period.first, period.last),
        lifts=holdouts.figures(session, store.id, period.first, period.last))


def template_context(session: Session, store: Store,
                     period: message_figures.Period) -> dict[str, Any]:
    """The names the Analytics template reads for these parts."""
    return {"rev": parts(session, store, period), "money": format_money,
            "flow_label": label_of,
            "settings": {"click_days": str(store.attribution_click_days),
                         "read_hours": str(store.attribution_read_hours),
                         "holdout_percent": str(store.recovery_holdout_percent)},
            "form": {"errors": {}}}


@blueprint.get("/stores/<int:store_id>/analytics/revenue.csv")
def revenue_csv(store_id: int) -> ResponseReturnValue:
    """Attributed orders and revenue per flow and currency, as the page's table."""
    store = tenancy.get_or_404(Store, store_id)
    period = message_figures.period(store, days_arg())
    found = revenue_figures.lines(db.session(), store.id, period.first, period.last)
    return csv_response("revenue", period, revenue_figures.COLUMNS,
                        revenue_figures.table_rows(found))


def _filters() -> tuple[str | None, str | None, int]:
    flow = request.args.get("flow", "").strip()[:80] or None
    currency = request.args.get("currency", "").strip().upper()[:3] or None
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        abort(400, description="The page number must be a whole number from 1.")
    return flow, currency, int(raw)


def _orders_period(store: Store) -> tuple[message_figures.Period, date | None]:
    """The list's period: since a day (`since=YYYY-MM-DD`, as a campaign's page links to
    every order of the campaign, however old) or one of the offered periods (`days`)."""
    raw = request.args.get("since", "").strip()
    if not raw:
        return message_figures.period(store, days_arg()), None
    try:
        since = date.fromisoformat(raw)
    except ValueError:
        abort(400, description="Give the first day as YYYY-MM-DD, e.g. 2026-11-30.")
    return message_figures.period_since(store, since), since


@blueprint.get("/stores/<int:store_id>/analytics/orders")
def orders_page(store_id: int) -> ResponseReturnValue:
    """The attributed orders behind a figure: of the period, one flow and currency or all."""
    store = tenancy.get_or_404(Store, store_id)
    period, since = _orders_period(store)
    days = period.days if since is None else DEFAULT_DAYS  # the page's way back to Analytics
    flow, currency, page = _filters()
    found, total = revenue_figures.orders(db.session(), store.id, period.first, period.last,
                                          flow=flow, currency=currency, page=page)
    pages = max(1, -(-total // revenue_figures.PAGE_SIZE))
    return render_template(
        "analytics/orders.html", store=store, days=days, since=since, period=period,
        orders=found,
        total=total, flow=flow, flow_label=label_of(flow) if flow else None,
        currency=currency, page=page, pages=pages, periods=message_figures.PERIODS,
        money=format_money, decimal=rules.from_millis, millis=rules.millis)


@blueprint.get("/stores/<int:store_id>/analytics/orders.csv")
def orders_csv(store_id: int) -> ResponseReturnValue:
    """The drill-down's orders as CSV: every one of the filter, not one page."""
    store = tenancy.get_or_404(Store, store_id)
    period, _since = _orders_period(store)
    flow, currency, _page = _filters()
    found, total = revenue_figures.orders(db.session(), store.id, period.first, period.last,
                                          flow=flow, currency=currency, size=1_000_000)
    return csv_response("attributed-orders", period, revenue_figures.ORDER_COLUMNS,
                revenue_figures.order_rows(found))


@blueprint.get("/stores/<int:store_id>/analytics/ads.csv")
def ads_csv(store_id: int) -> ResponseReturnValue:
    """Conversations and orders per click-to-WhatsApp ad."""
    store = tenancy.get_or_404(Store, store_id)
    period = message_figures.period(store, days_arg())
    ads = ad_figures.figures(db.session(), store.id, period.first, period.last)
    return csv_response("ads", period, ad_figures.AD_COLUMNS, ad_figures.ad_rows(ads))


LIFT_COLUMNS = ("flow", "messaged", "messaged_ordered", "messaged_rate_percent", "holdout",
                "holdout_ordered", "holdout_rate_percent", "lift_points")


def lift_rows(lifts: list[holdouts.Lift]) -> list[list[str]]:
    """The lift table as text cells in LIFT_COLUMNS order."""
    def pct(v: float | None) -> str:
        return "" if v is None else f"{v:.1f}"
    return [[label_of(x.flow), str(x.messaged), str(x.messaged_converted),
             pct(x.messaged_rate), str(x.holdout), str(x.holdout_converted),
             pct(x.holdout_rate), pct(x.lift)] for x in lifts]


@blueprint.get("/stores/<int:store_id>/analytics/lift.csv")
def lift_csv(store_id: int) -> ResponseReturnValue:
    """Each holdout experiment's groups and lift."""
    store = tenancy.get_or_404(Store, store_id)
    period = message_figures.period(store, days_arg())
    return csv_response("lift", period, LIFT_COLUMNS, lift_rows(
        holdouts.figures(db.session(), store.id, period.first, period.last)))


def init_app(app: Flask) -> None:
    """Register the revenue parts of the Analytics section."""
    app.register_blueprint(blueprint)
