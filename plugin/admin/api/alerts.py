"""The product flows: back in stock, price drop and cross-sell after delivery, each with its
switch, template, delay and what it did in a period (subscriptions, alerts sent, delivered,
read, clicked, orders and revenue within the attribution window). A flow's words, switch and
delay are edited in the admin's Automations section, or through PATCH /automations/{id}."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from spectree import Tag

from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import StoreQuery, utc
from plugin.admin.api.recovery import MAX_PERIOD_DAYS, Money, _money, _store
from plugin.infra import db
from plugin.pipeline.alerts import flows
from plugin.pipeline.alerts import stats as flow_stats
from plugin.pipeline.recovery import stats as recovery_stats

TAG = Tag(name="alerts", description="Product alerts and cross-sell: the flows and their "
          "figures.")


class FlowOut(BaseModel):
    """One product flow and its figures in the period."""

    flow: str = Field(description="back_in_stock, price_drop or cross_sell.")
    automation_id: int = Field(description="Switch it or change its delay with PATCH "
                               "/automations/{id}.")
    enabled: bool
    template: str
    language: str
    variables: list[str] = Field(description="Flow fields, in the template's {{n}} order.")
    delay_seconds: int = Field(description="After the trigger (for cross_sell: after "
                               "delivery).")
    subscriptions: int = Field(description="Confirmed subscriptions made in the period; "
                               "for cross_sell, delivered orders it was scheduled for.")
    sent: int
    delivered: int = Field(description="Delivered or read.")
    read: int
    clicked: int
    failed: int
    not_sent: int = Field(description="Skipped by the send policy (no opt-in, STOP, the "
                          "weekly cap) or a WhatsApp limit.")
    orders: int = Field(description="Orders placed within the attribution window after an "
                        "alert of this flow to their shopper went out; each counted once.")
    revenue: list[Money]


class AlertsOut(BaseModel):
    """The store's product flows."""

    since: datetime
    until: datetime
    attribution_days: int
    flows: list[FlowOut]


class AlertsQuery(StoreQuery):
    """The period of the figures."""

    days: int = Field(default=recovery_stats.DEFAULT_DAYS, ge=1, le=MAX_PERIOD_DAYS,
                      description="The figures cover this many days up to now.")


@blueprint.get("/alerts")
@spec.validate(resp=documented(AlertsOut), tags=[TAG], operation_id="getAlerts")
def get_alerts(query: AlertsQuery) -> AlertsOut:
    """The product flows: on or off, their words and their figures

    For the last `days` days, per flow: subscriptions, alerts sent, delivered, read and
    clicked, and the orders and revenue (exact decimal strings per currency) within the
    store's attribution window after an alert."""
    session, store = db.session(), _store()
    flows.install(session, store)
    session.commit()
    period = recovery_stats.last_days(db.utcnow(), query.days)
    figures = flow_stats.figures(session, store, period)
    since, until = utc(period.since), utc(period.until)
    assert since is not None and until is not None
    out = []
    for journey in flows.FLOWS:
        if journey not in figures:
            continue  # the satisfaction survey: GET /surveys
        row, f = flows.rule(session, store, journey), figures[journey]
        out.append(FlowOut(
            flow=journey, automation_id=row.id, enabled=row.enabled, template=row.template,
            language=row.language, variables=[str(v) for v in row.variables or ()],
            delay_seconds=row.delay_seconds, subscriptions=f.subscriptions, sent=f.sent,
            delivered=f.delivered, read=f.read, clicked=f.clicked, failed=f.failed,
            not_sent=f.not_sent, orders=f.orders, revenue=_money(dict(f.revenue))))
    return AlertsOut(since=since, until=until,
                     attribution_days=store.recovery_attribution_days, flows=out)
