"""The Analytics page's conversation, keyword, widget and health sections in a real
Chromium, wide and on a phone, and the home page's warnings: the figures read as the owner
expects, axe-core finds nothing blocking and nothing spills sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import NumberHealth, Owner, WidgetCounter
from plugin.pipeline import rollups
from tests.browser import axe
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.browser.test_admin_shell import Findings, browser, new_context
from tests.conftest import create_owner, make_app
from tests.fakes.server import LoopbackServer
from tests.worlds.conversation_figures import ZONE, Event, feed, make_store

EMAIL = "owner@example.com"


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    """A store whose shoppers wrote in four languages this week, answered by the bot and
    the team, with widget events and a flagged number."""
    app = make_app(tmp_path / "instance", queue_immediate=False)
    create_owner(app, EMAIL)
    with app.app_context():
        owner_id = db.session().scalars(select(Owner.id)).one()
    store_id, customers = make_store(app, owner_id)
    now = db.utcnow().replace(second=0, microsecond=0)
    texts = ["Where is my order? tracking number please", "¿Dónde está mi pedido?",
             "मेरा ऑर्डर कहाँ है", "أين طلبي؟ أريد رقم التتبع", "tracking number wrong"]
    events = []
    for i, text in enumerate(texts):
        at = now - timedelta(hours=30 - 6 * i)
        events += [Event(at=at, customer=i % 3, kind="inbound", text=text),
                   Event(at=at + timedelta(minutes=2), customer=i % 3,
                         kind="auto" if i % 2 else "team"),
                   Event(at=at + timedelta(minutes=3), customer=i % 3, kind="resolve")]
    events += [Event(at=now - timedelta(hours=1), customer=0, kind="csat", score=s)
               for s in (9, 10, 4)]
    with app.app_context(), db.transaction() as session:
        feed(session, store_id, customers, sorted(events, key=lambda e: e.at))
        today = rollups.store_today(ZONE, now)
        session.add_all([
            WidgetCounter(store_id=store_id, day=today, kind=kind, path=path, product=sku,
                          count=n)
            for kind, path, sku, n in (
                ("open", "/products/linen-shirt-with-a-very-long-handle-that-wraps", "SKU-1", 40),
                ("click", "/products/linen-shirt-with-a-very-long-handle-that-wraps", "SKU-1",
                 12), ("optin", "/products/linen-shirt-with-a-very-long-handle-that-wraps",
                       "SKU-1", 3), ("click", "/", "", 5))])
        session.add(NumberHealth(store_id=store_id, waba_id="102290129340398",
                                 display_phone_number="15550783881", flagged=True,
                                 quality_event="FLAGGED", messaging_limit="TIER_2K",
                                 business_limit="", account_event="", account_detail="",
                                 reported_at=now))
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_an_owner_reads_conversations_keywords_widget_and_health(
        served_app: tuple[Flask, str, int], chromium_path: str) -> None:
    _app, url, store_id = served_app
    script = axe.axe_script()
    with chromium(chromium_path, "analytics-sections-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        home = page.locator("#store-warnings")
        expect(home.locator('[data-warning="number"]')).to_contain_text("Meta flagged your number")
        shot(page, "home-warnings-wide")
        home.get_by_role("link", name="See the figures").click()
        expect(page.get_by_role("heading", name="Conversations in the last 7 days")
               ).to_be_visible()
        facts = page.locator("#conversation-facts")
        expect(facts.locator('[data-figure="resolved"]')).to_have_text("5")
        expect(facts.locator('[data-figure="automatic_share"]')).to_contain_text("40.0%")
        expect(facts.locator('[data-figure="csat"]')).to_contain_text("7.7 / 10")
        expect(page.get_by_role("table", name="English")).to_contain_text("tracking number")
        expect(page.get_by_role("table", name="Hindi")).to_contain_text("ऑर्डर")
        expect(page.get_by_role("table", name="Arabic")).to_contain_text("رقم التتبع")
        expect(page.locator("#widget-table")).to_contain_text("30.0% of opens")
        expect(page.locator("#number-health")).to_contain_text("Flagged: quality is low")
        assert overflow(page) == 0
        shot(page, "analytics-sections-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "analytics-sections-phone")
        page.goto(url + "/")
        assert overflow(page) == 0
        shot(page, "home-warnings-phone")
        assert browsing.console_errors == [] and browsing.outside == []

    findings = Findings()
    with browser(chromium_path) as chrome:
        for viewport, name in ((VIEWPORT, "wide"), (NARROW_VIEWPORT, "phone")):
            context = new_context(chrome, findings, viewport, bypass_csp=True)
            audit = context.new_page()
            sign_in(audit, url, EMAIL)
            for path in (f"/stores/{store_id}/analytics?days=7", "/"):
                audit.goto(f"{url}{path}")
                assert axe.blocking(axe.run(audit, script)) == [], (name, path)
            context.close()
    assert findings == Findings()
