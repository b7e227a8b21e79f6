"""Building a segment in a real Chromium: the audience count follows the owner's edits
without a click, the "left out and why" list explains the rest, the segment saves, and the
customer list and editor hold together at 1280 px and on a 390 px phone."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.admin.test_customer_list import people
from tests.admin.test_journeys import make_store
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.conftest import create_owner, make_app
from tests.fakes.server import LoopbackServer

EMAIL = "owner@example.com"


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    app = make_app(tmp_path / "instance")
    create_owner(app, EMAIL)
    store_id = make_store(app, email=EMAIL)
    people(app, store_id)
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_an_owner_builds_a_segment_with_the_live_count(served_app: tuple[Flask, str, int],
                                                       chromium_path: str) -> None:
    _app, url, store_id = served_app
    with chromium(chromium_path, "segments-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.goto(f"{url}/stores/{store_id}/customers")
        customers = page.get_by_role("table", name="Customers")
        expect(customers.locator("tbody tr")).to_have_count(4)
        page.get_by_label("Tag").select_option("vip")
        page.get_by_role("button", name="Show customers").click()
        expect(customers.locator("tbody tr")).to_have_count(1)
        expect(customers).to_contain_text("Bob Stone")
        page.get_by_role("link", name="Clear filters").click()
        shot(page, "customers-list-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "customers-list-phone")
        page.set_viewport_size(VIEWPORT)

        # One customer's page: a manual tag added by the owner shows as a removable chip.
        customers.get_by_role("link", name="Ana Silva").click()
        expect(page.get_by_role("heading", name="Ana Silva")).to_be_visible()
        page.get_by_label("New tag").fill("Wholesale")
        page.get_by_role("button", name="Add tag").click()
        expect(page.get_by_role("button", name="Remove tag wholesale")).to_be_visible()
        expect(page.get_by_role("table", name="Orders of Ana Silva")).to_contain_text("#5001")
        shot(page, "customer-page-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "customer-page-phone")
        page.set_viewport_size(VIEWPORT)
        page.get_by_role("link", name="All customers").click()

        page.get_by_role("link", name="Segments").first.click()
        page.get_by_role("link", name="New segment").click()
        reachable = page.locator("#reachable")
        matched = page.locator("#matched")
        expect(matched).to_have_text("4")  # no criterion: everyone
        expect(reachable).to_have_text("1")  # only Ana: a number and a confirmed opt-in
        page.get_by_label("Name").fill("Buyers abroad")
        # Typing narrows the count with no click: the script asks as the owner types.
        page.get_by_label("At least … orders").fill("1")
        expect(matched).to_have_text("2")
        page.get_by_label("Countries").fill("US")
        expect(matched).to_have_text("1")
        expect(reachable).to_have_text("0")
        left_out = page.locator("#left-out")
        expect(left_out.locator('[data-reason="unconfirmed"]')).to_have_text("1")
        # A mistake is named beside its field, and the last good count stays.
        page.get_by_label("Countries").fill("United States")
        expect(page.locator("#error-countries")).to_be_visible()
        expect(page.locator("#countries")).to_have_attribute("aria-invalid", "true")
        page.get_by_label("Countries").fill("PT, US")
        expect(page.locator("#error-countries")).to_be_hidden()
        expect(matched).to_have_text("2")
        expect(reachable).to_have_text("1")
        shot(page, "segment-editor-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "segment-editor-phone")
        page.get_by_role("button", name="Save segment").click()
        expect(page.get_by_text("Segment “Buyers abroad” saved.")).to_be_visible()
        page.get_by_role("link", name="All segments").click()
        segments = page.get_by_role("table", name="Segments")
        expect(segments).to_contain_text("Buyers abroad")
        assert overflow(page) == 0
        shot(page, "segments-list-phone")
        assert browsing.console_errors == [] and browsing.outside == []


@pytest.mark.browser
def test_edits_made_before_the_script_ran_are_counted_when_it_runs(
        served_app: tuple[Flask, str, int], chromium_path: str) -> None:
    """The script is deferred: an owner (or a browser restoring the form) can fill a field
    before it listens. When it starts, it counts what the form holds, not what was rendered."""
    _app, url, store_id = served_app
    with chromium(chromium_path, "segments-late-script") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.route("**/static/segments.js", lambda route: route.abort())
        page.goto(f"{url}/stores/{store_id}/segments/new")
        page.get_by_label("At least … orders").fill("1")
        page.get_by_label("any of these").check()
        matched = page.locator("#matched")
        expect(matched).to_have_text("4")  # rendered by the server, nothing asked yet
        page.unroute("**/static/segments.js")
        page.add_script_tag(url=f"{url}/static/segments.js")
        expect(matched).to_have_text("2")
        assert browsing.outside == []
