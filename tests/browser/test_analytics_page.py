"""The Analytics page in a real Chromium, wide and on a phone: an owner opens it from the
nav, reads each flow's figures with their rates and reasons, changes the period; axe-core
finds nothing blocking and nothing spills sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.admin.test_analytics import _messages
from tests.admin.test_journeys import make_store
from tests.browser import axe
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.browser.test_admin_shell import Findings, browser, new_context
from tests.conftest import create_owner, make_app
from tests.fakes.server import LoopbackServer

EMAIL = "owner@example.com"


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    """A store with order, cart recovery and campaign messages in every state."""
    app = make_app(tmp_path / "instance", queue_immediate=False)
    create_owner(app, EMAIL)
    store_id = make_store(app, email=EMAIL)
    _messages(app, store_id)
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_an_owner_reads_what_each_flow_did(served_app: tuple[Flask, str, int],
                                           chromium_path: str) -> None:
    _app, url, store_id = served_app
    script = axe.axe_script()
    with chromium(chromium_path, "analytics-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.locator("#site-nav").get_by_role("link", name="Analytics").click()
        expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
        table = page.get_by_role("table", name="Messages per flow", exact=False)
        journey = table.locator('tr[data-flow="journey:order_confirmation"]')
        expect(journey.locator('[data-figure="delivered"]')).to_contain_text("66.7% of 3 sent")
        expect(journey.locator('[data-figure="failed"]')).to_contain_text("131049: 1")
        expect(journey.locator('[data-figure="limited"]')).to_contain_text("33.3% of 3 attempted")
        expect(table.locator('tr[data-flow="recovery"]')).to_contain_text("no consent: 1")
        assert overflow(page) == 0
        shot(page, "analytics-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "analytics-phone")
        page.set_viewport_size(VIEWPORT)
        page.get_by_role("link", name="7 days").click()
        expect(page.get_by_role("heading", name="Messages in the last 7 days")).to_be_visible()
        assert browsing.console_errors == [] and browsing.outside == []

    findings = Findings()
    with browser(chromium_path) as chrome:
        for viewport, name in ((VIEWPORT, "wide"), (NARROW_VIEWPORT, "phone")):
            context = new_context(chrome, findings, viewport, bypass_csp=True)
            audit = context.new_page()
            sign_in(audit, url, EMAIL)
            audit.goto(f"{url}/stores/{store_id}/analytics")
            assert axe.blocking(axe.run(audit, script)) == [], name
            context.close()
    assert findings == Findings()
