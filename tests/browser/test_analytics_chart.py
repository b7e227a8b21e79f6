"""The Analytics page's messages-per-day chart in a real Chromium, under the page's own CSP:
Chart.js (served from our static files) draws exactly the numbers of the table beside it,
nothing breaks the CSP (no violation event, no console error), the table stays one click
away, and without JavaScript the table is simply open; axe-core finds nothing blocking at
1280 and 390 px, and nothing spills sideways on a phone."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from plugin.infra import db
from plugin.models import Store
from plugin.pipeline import message_days, message_figures, rollups
from tests.admin.test_journeys import make_store
from tests.browser import axe
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.browser.test_admin_shell import Findings, browser, new_context
from tests.conftest import create_owner, make_app
from tests.fakes.server import LoopbackServer
from tests.worlds.analytics import live

EMAIL = "owner@example.com"
DAYS = 30
# Records every CSP violation the page meets, before any of its own scripts run (an init
# script is the browser's, not the page's, so the CSP does not apply to it).
WATCH_CSP = ("window.__cspViolations = [];"
             "document.addEventListener('securitypolicyviolation', function (e) {"
             "  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI); });")
# The chart's own data as Chart.js holds it, and the table's cells as a person reads them.
CHART_DATA = """() => {
  const canvas = document.querySelector('#messages-per-day canvas');
  const chart = Chart.getChart(canvas);
  return {labels: chart.data.labels,
          series: chart.data.datasets.map(d => [d.label, d.data])};
}"""
TABLE_DATA = """() => {
  const table = document.querySelector('#messages-per-day table');
  const head = Array.from(table.tHead.rows[0].cells).map(c => c.textContent.trim());
  const rows = Array.from(table.tBodies[0].rows).map(
    r => Array.from(r.cells).map(c => c.textContent.trim()));
  return {head, rows};
}"""
# The chart has finished its (resize) animation: what a screenshot should show.
SETTLED = ("() => !Chart.animator.running("
           "Chart.getChart(document.querySelector('#messages-per-day canvas')))")
# How many of the canvas's pixels are painted (not transparent).
PAINTED = """() => {
  const canvas = document.querySelector('#messages-per-day canvas');
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
  return painted;
}"""


def _history(app: Flask, store_id: int) -> None:
    """A month of order and cart messages: day i has (i % 5) + 1 sent, of which some read,
    some only delivered, and every seventh day a 131049 failure."""
    rollups.forget_zones()
    now = db.utcnow()
    n = 0
    with app.app_context(), db.transaction() as session:
        for day in range(DAYS - 2):
            written = now - timedelta(days=day)
            for k in range(day % 5 + 1):
                n += 1
                reports: list[tuple[str, int | None]] = (
                    [("read", None)] if k % 2 == 0 else [("delivered", None)])
                live(session, store_id, n, f"order:{n}", "order_confirmation", "sent",
                     reports, created=written)
            if day % 7 == 0:
                n += 1
                live(session, store_id, n, f"checkout:{n}:1", "cart_recovery_1", "sent",
                     [("failed", 131049)], created=written)


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    """A store with a month of messages, served on 127.0.0.1."""
    app = make_app(tmp_path / "instance", queue_immediate=False)
    create_owner(app, EMAIL)
    store_id = make_store(app, email=EMAIL)
    _history(app, store_id)
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


def _expected(app: Flask, store_id: int) -> list[message_days.DayFigures]:
    with app.app_context():
        store = db.session().get(Store, store_id)
        assert store is not None
        return message_days.per_day(db.session(), store_id,
                                    message_figures.period(store, DAYS))


@pytest.mark.browser
def test_the_chart_draws_the_table_under_the_pages_csp(served_app: tuple[Flask, str, int],
                                                      chromium_path: str) -> None:
    app, url, store_id = served_app
    expected = _expected(app, store_id)
    assert sum(d.sent for d in expected) > 50 and sum(d.failed for d in expected) >= 4
    with chromium(chromium_path, "analytics-chart-failure") as browsing:
        page = browsing.page
        page.add_init_script(WATCH_CSP)
        sign_in(page, url, EMAIL)
        response = page.goto(f"{url}/stores/{store_id}/analytics?days={DAYS}")
        assert response is not None
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe-eval" not in policy
        assert "unsafe-inline" not in policy
        figure = page.locator("#messages-per-day")
        expect(figure).to_have_attribute("data-chart-drawn", "4")
        canvas = figure.get_by_role("img", name="Line chart: Messages sent, delivered",
                                    exact=False)
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 800 and box["height"] > 200

        chart: dict[str, Any] = page.evaluate(CHART_DATA)
        table: dict[str, Any] = page.evaluate(TABLE_DATA)
        # The chart is the table: same labels, one series per figure column, same numbers...
        assert table["head"] == ["Day", "Sent", "Delivered", "Read", "Failed"]
        assert chart["labels"] == [row[0] for row in table["rows"]]
        assert [label for label, _ in chart["series"]] == table["head"][1:]
        for column, (_label, values) in enumerate(chart["series"], start=1):
            assert values == [int(row[column].replace(",", "")) for row in table["rows"]]
        # ...and the table is what the rollups say, every day of the period.
        assert [row[0] for row in table["rows"]] == [d.day for d in expected]
        assert [s[1] for s in chart["series"]] == [
            [d.sent for d in expected], [d.delivered for d in expected],
            [d.read for d in expected], [d.failed for d in expected]]
        assert page.evaluate(PAINTED) > 1000  # drawn, not an empty canvas

        # With the chart drawn, the table folds into its disclosure and opens on demand.
        data_table = figure.get_by_role("table", name="Messages sent, delivered", exact=False)
        expect(data_table).to_be_hidden()
        figure.get_by_text("Table of the figures").click()
        expect(data_table).to_be_visible()
        expect(figure.get_by_role("link", name="Download this table as CSV")).to_have_attribute(
            "href", f"/stores/{store_id}/analytics/days.csv?days={DAYS}")
        figure.get_by_text("Table of the figures").click()

        page.locator("#message-days").scroll_into_view_if_needed()
        assert overflow(page) == 0
        page.wait_for_function(SETTLED)
        shot(page, "analytics-chart-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0  # even before Chart.js has redrawn for the new width
        page.wait_for_function(  # a function, not a string: the CSP forbids eval
            "() => document.querySelector('#messages-per-day canvas').clientWidth < 390")
        page.wait_for_function(SETTLED)
        assert overflow(page) == 0
        shot(page, "analytics-chart-phone")
        assert page.evaluate("window.__cspViolations") == []
        assert browsing.console_errors == [] and browsing.outside == []


@pytest.mark.browser
def test_without_javascript_the_table_is_open_and_axe_is_clean(
        served_app: tuple[Flask, str, int], chromium_path: str) -> None:
    app, url, store_id = served_app
    expected = _expected(app, store_id)
    script = axe.axe_script()
    findings = Findings()
    with browser(chromium_path) as chrome:
        context = new_context(chrome, findings, VIEWPORT, java_script_enabled=False)
        page = context.new_page()
        sign_in(page, url, EMAIL)
        page.goto(f"{url}/stores/{store_id}/analytics?days={DAYS}")
        figure = page.locator("#messages-per-day")
        table = figure.get_by_role("table", name="Messages sent, delivered", exact=False)
        expect(table).to_be_visible()
        expect(figure.locator(".chart-canvas")).to_be_hidden()
        assert figure.locator("canvas").count() == 0
        last = table.locator("tbody tr").last
        expect(last.locator("th")).to_have_text(expected[-1].day)
        expect(last.locator("td").first).to_have_text(str(expected[-1].sent))
        context.close()

        for viewport, name in ((VIEWPORT, "wide"), (NARROW_VIEWPORT, "phone")):
            context = new_context(chrome, findings, viewport, bypass_csp=True)
            audit = context.new_page()
            sign_in(audit, url, EMAIL)
            audit.goto(f"{url}/stores/{store_id}/analytics?days={DAYS}")
            expect(audit.locator("#messages-per-day")).to_have_attribute(
                "data-chart-drawn", "4")
            assert axe.blocking(axe.run(audit, script)) == [], name
            audit.get_by_text("Table of the figures").click()  # the open table too
            assert axe.blocking(axe.run(audit, script)) == [], f"{name}, table open"
            context.close()
    assert findings == Findings()
