"""The Analytics page's revenue in a real Chromium, wide and on a phone: an owner reads the
revenue per flow and currency, follows a figure to the orders behind it (each with the
message that earned it), and saves the attribution settings; axe-core finds nothing
blocking on either page and nothing spills sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.admin.test_analytics_revenue import _orders
from tests.admin.test_journeys import make_store
from tests.browser import axe
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.browser.test_admin_shell import Findings, browser, new_context
from tests.conftest import create_owner, make_app
from tests.fakes.server import LoopbackServer

EMAIL = "owner@example.com"


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    """A store with three attributed orders: cart recovery in EUR and USD, a journey."""
    app = make_app(tmp_path / "instance", queue_immediate=False)
    create_owner(app, EMAIL)
    store_id = make_store(app, email=EMAIL)
    _orders(app, store_id)
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_an_owner_follows_revenue_to_its_orders(served_app: tuple[Flask, str, int],
                                                chromium_path: str) -> None:
    _app, url, store_id = served_app
    script = axe.axe_script()
    with chromium(chromium_path, "analytics-revenue-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.goto(f"{url}/stores/{store_id}/analytics")
        revenue = page.get_by_role("table", name="Attributed orders and revenue", exact=False)
        row = revenue.locator('tr[data-flow="recovery"][data-currency="EUR"]')
        expect(row.locator('[data-figure="revenue"]')).to_have_text("€398.00")
        expect(page.locator("#revenue-totals")).to_contain_text("€410.00 from 2 orders")
        assert overflow(page) == 0
        page.locator("#revenue").scroll_into_view_if_needed()
        shot(page, "analytics-revenue-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "analytics-revenue-phone")
        page.set_viewport_size(VIEWPORT)

        row.locator('[data-figure="orders"] a').click()
        expect(page.get_by_role("heading", name="Attributed orders")).to_be_visible()
        order = page.locator('tr[data-order="2001"]')
        expect(order).to_contain_text("Lucía")
        expect(order).to_contain_text("Cart recovery")
        expect(order.locator('[data-figure="touch"]')).to_contain_text("read")
        expect(page.locator("#orders-table tbody tr")).to_have_count(1)
        shot(page, "analytics-orders-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "analytics-orders-phone")
        page.set_viewport_size(VIEWPORT)
        page.locator("#all-orders").click()
        expect(page.locator("#orders-table tbody tr")).to_have_count(3)

        page.goto(f"{url}/stores/{store_id}/analytics")
        page.get_by_label("An order counts for a message clicked within").fill("40")
        page.locator("#save-attribution").click()
        expect(page.locator("#error-click_days")).to_contain_text("from 1 to 30")
        page.get_by_label("An order counts for a message clicked within").fill("7")
        page.locator("#save-attribution").click()
        expect(page.locator("#revenue")).to_contain_text("clicked within 7 days")
        # The refused form answered 400 on purpose; nothing else may have failed.
        assert [e for e in browsing.console_errors if "status of 400" not in e] == []
        assert browsing.outside == []

    findings = Findings()
    with browser(chromium_path) as chrome:
        for viewport, name in ((VIEWPORT, "wide"), (NARROW_VIEWPORT, "phone")):
            context = new_context(chrome, findings, viewport, bypass_csp=True)
            audit = context.new_page()
            sign_in(audit, url, EMAIL)
            for path in ("analytics", "analytics/orders"):
                audit.goto(f"{url}/stores/{store_id}/{path}")
                assert axe.blocking(axe.run(audit, script)) == [], (name, path)
            context.close()
    assert findings == Findings()
