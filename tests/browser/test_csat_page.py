"""The satisfaction survey on the Automations page in a real Chromium, wide and on a
phone: its row shows the surveys sent, the answers, their average and the scores of 6 or
less; its editor previews the template live, and switching it on with a 5-day delay is
saved; nothing spills sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Automation, CsatSurvey, Customer, Message, Order, SurveyState, Template
from tests.admin.test_journeys import make_store
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.conftest import create_owner, make_app
from tests.fakes.server import LoopbackServer
from tests.pipeline.alerts.csat_world import BODY

EMAIL = "owner@example.com"


def two_answers(app: Flask, store_id: int) -> None:
    """The approved csat template; both orders were surveyed two days ago and answered
    4 and 9."""
    now = db.utcnow()
    with app.app_context(), db.transaction() as session:
        session.add(Template(store_id=store_id, name="csat", language="en",
                             category="MARKETING", status="APPROVED", components=[
                                 {"type": "BODY", "text": BODY},
                                 {"type": "BUTTONS", "buttons": [
                                     {"type": "QUICK_REPLY", "text": "Choose a score"}]}]))
        customer_id = session.scalars(select(Customer.id).where(
            Customer.store_id == store_id)).one()
        orders = session.scalars(select(Order.id).where(Order.store_id == store_id)).all()
        for n, (order_id, score) in enumerate(zip(orders, (4, 9), strict=True), 1):
            message = Message(store_id=store_id, customer_id=customer_id, cause=f"csat:{n}",
                              step="csat", to="+351913000111", template="csat", payload={},
                              state="read", attempts=1, sent_at=now - timedelta(days=2))
            session.add(message)
            session.flush()
            session.add(CsatSurvey(store_id=store_id, order_id=order_id,
                                   customer_id=customer_id, state=SurveyState.ANSWERED,
                                   delivered_at=now - timedelta(days=5),
                                   due_at=now - timedelta(days=2), message_id=message.id,
                                   score=score, answered_at=now - timedelta(days=1)))


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    app = make_app(tmp_path / "instance", queue_immediate=False)
    create_owner(app, EMAIL)
    store_id = make_store(app, email=EMAIL)
    two_answers(app, store_id)
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_an_owner_reads_and_edits_the_survey(served_app: tuple[Flask, str, int],
                                             chromium_path: str) -> None:
    app, url, store_id = served_app
    with chromium(chromium_path, "csat-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.goto(f"{url}/stores/{store_id}/automations")
        row = page.get_by_role("table", name="Satisfaction survey").locator(
            'tr[data-flow="csat"]')
        expect(row).to_contain_text("Off")
        expect(row).to_contain_text("3 days after delivery")
        expect(row.locator("td[data-figure]")).to_have_text(["2", "2", "6.5", "1"])
        assert overflow(page) == 0
        shot(page, "csat-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "csat-phone")
        page.set_viewport_size(VIEWPORT)

        page.get_by_role("link", name="Satisfaction survey after delivery").click()
        expect(page.get_by_role("heading",
                                name="Satisfaction survey after delivery")).to_be_visible()
        expect(page.locator("#preview-text")).to_contain_text("your order #1001 was delivered")
        page.get_by_label("Wait after delivery").fill("5")
        page.get_by_label("Unit").select_option("days")
        page.get_by_label("Send this message").check()
        assert overflow(page) == 0
        shot(page, "csat-editor-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "csat-editor-phone")
        page.set_viewport_size(VIEWPORT)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".flash")).to_contain_text("Satisfaction survey after delivery "
                                                       "saved.")
        page.goto(f"{url}/stores/{store_id}/automations")
        expect(page.locator('#survey-table tr[data-flow="csat"]')).to_contain_text(
            "5 days after delivery")
        assert browsing.console_errors == [] and browsing.outside == []
    with app.app_context():
        saved = db.session().query(Automation).filter_by(store_id=store_id,
                                                         journey="csat").one()
        assert (saved.enabled, saved.delay_seconds) == (True, 5 * 86400)
