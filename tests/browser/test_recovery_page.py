"""The Cart recovery page in a real Chromium, wide and on a phone: a store whose carts were
recovered by orders (in yen and in Kuwaiti dinars) shows the recovered revenue and each
step's figures; one step is switched off; the last step's editor previews its discount live;
axe-core finds nothing blocking and nothing spills sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from plugin.infra import db
from plugin.models import Automation
from tests.admin.test_journeys import make_store
from tests.browser import axe
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.browser.test_admin_shell import Findings, browser, new_context
from tests.conftest import create_owner, make_app
from tests.fakes.server import LoopbackServer
from tests.worlds import recovery_figures

EMAIL = "owner@example.com"


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    """A store with the three steps on and the hand-made carts of recovery_figures."""
    app = make_app(tmp_path / "instance", queue_immediate=False)
    create_owner(app, EMAIL)
    store_id = make_store(app, email=EMAIL)
    recovery_figures.install(app, store_id)
    recovery_figures.build(app, store_id)
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_an_owner_reads_what_cart_recovery_brought_back(
        served_app: tuple[Flask, str, int], chromium_path: str) -> None:
    app, url, store_id = served_app
    script = axe.axe_script()
    with chromium(chromium_path, "recovery-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.locator("#site-nav").get_by_role("link", name="Cart recovery").click()
        expect(page.get_by_role("heading", name="Cart recovery", exact=True)).to_be_visible()
        expect(page.locator("#recovery-state")).to_have_text("on")
        revenue = page.locator("#recovered-revenue")
        expect(revenue).to_contain_text("¥12,800")
        expect(revenue).to_contain_text("KWD\xa020.000")
        expect(page.locator("#orders-recovered")).to_have_text("3")
        figures = page.get_by_role("table", name="Figures per step in the last 30 days")
        step_one = figures.locator('tr[data-step="1"] td')
        expect(step_one).to_have_text(["4", "2", "1", "1", "2", "1", "¥12,800"])
        step_two = figures.locator('tr[data-step="2"] td')
        expect(step_two).to_have_text(["2", "2", "1", "1", "2", "2", "KWD\xa020.000"])
        reasons = page.get_by_role("table", name="Why carts got no message")
        expect(reasons).to_contain_text("quiet hours")
        expect(reasons).to_contain_text(recovery_figures.NO_PHONE_PROBLEM)
        carts = page.get_by_role("table", name="Recent carts, latest activity first")
        expect(carts.locator("tr", has_text="Marta")).to_contain_text("Recovered ¥12,800")
        assert overflow(page) == 0
        shot(page, "recovery-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "recovery-phone")
        page.set_viewport_size(VIEWPORT)

        page.get_by_role("button", name="Turn off step 2").click()
        expect(page.locator(".flash")).to_contain_text("Step 2 is off")
        expect(page.locator('#steps-table tr[data-step="2"]')).to_contain_text("Off")

        page.get_by_role("link", name="Edit step 3").click()
        expect(page.get_by_role("heading", name="Cart recovery, step 3")).to_be_visible()
        page.get_by_label("Percent off the cart").fill("25")
        expect(page.locator("#preview-text")).to_contain_text("25% off with the code")
        expect(page.locator("#preview-source")).to_contain_text("With the cart")
        assert overflow(page) == 0
        shot(page, "recovery-step-editor-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "recovery-step-editor-phone")
        assert browsing.console_errors == [] and browsing.outside == []
    with app.app_context():
        step_two_row = db.session().query(Automation).filter_by(
            store_id=store_id, journey="cart_recovery_2").one()
        assert step_two_row.enabled is False

    findings = Findings()
    with browser(chromium_path) as chrome:
        for viewport, name in ((VIEWPORT, "wide"), (NARROW_VIEWPORT, "phone")):
            context = new_context(chrome, findings, viewport, bypass_csp=True)
            audit = context.new_page()
            sign_in(audit, url, EMAIL)
            for path in (f"/stores/{store_id}/recovery",
                         f"/stores/{store_id}/automations/cart_recovery_3"):
                audit.goto(f"{url}{path}")
                assert axe.blocking(axe.run(audit, script)) == [], (name, path)
            context.close()
    assert findings == Findings()
