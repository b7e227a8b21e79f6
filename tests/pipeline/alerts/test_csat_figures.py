"""Survey scores reach the conversation rollups through the real survey path, the first
score of each survey once; taps on the survey's own buttons start no reply clock."""
from __future__ import annotations

from sqlalchemy import select

from plugin.domain import csat
from plugin.infra import db
from plugin.models import ConversationRollup
from tests.pipeline.alerts.conftest import WooAlerts
from tests.pipeline.alerts.csat_world import (
    approve_template,
    days_pass,
    picks,
    surveys,
    taps_button,
)
from tests.pipeline.alerts.test_csat_woocommerce import (
    ANA,
    BEA,
    buys_and_receives,
    edit_survey,
    owner,
)


def test_scores_are_counted_once_and_survey_taps_wait_for_nothing(woo: WooAlerts) -> None:
    client = owner(woo)
    approve_template(woo)
    # The automations page lists the flows (and so offers the survey's editor).
    assert client.get(f"/stores/{woo.store_id}/automations").status_code == 200
    assert edit_survey(client, woo.store_id) == 303
    buys_and_receives(woo, ANA, "Ana")
    buys_and_receives(woo, BEA, "Bea")
    assert days_pass(woo, 0.01) == 2
    ana, bea = surveys(woo)
    taps_button(woo, ANA, csat.cause(ana.id), "wamid.ANA1")
    picks(woo, ANA, csat.row_id(ana.id, 3), "wamid.ANA2")
    picks(woo, ANA, csat.row_id(ana.id, 10), "wamid.ANA3")  # a second score: not counted
    picks(woo, BEA, csat.row_id(bea.id, 9), "wamid.BEA1")
    with woo.app.app_context():
        figures = {(r.figure, r.detail): r.n for r in db.session().scalars(
            select(ConversationRollup).where(ConversationRollup.store_id == woo.store_id))}
    assert {k: v for k, v in figures.items() if k[0] == "csat"} == {
        ("csat", "3"): 1, ("csat", "9"): 1}
    assert figures[("inbound", "")] == 4
    assert ("started", "") not in figures  # every message was a tap on our own buttons
