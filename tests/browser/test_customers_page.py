"""The customers page in a real Chromium, wide and on a phone: the owner opens it from the
admin home, types a number as they would, and reads its consent history; nothing spills
sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.admin.test_customers import BOX, add_history
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
    add_history(app, store_id)
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_an_owner_reads_a_numbers_consent_history(served_app: tuple[Flask, str, int],
                                                  chromium_path: str) -> None:
    _app, url, store_id = served_app
    with chromium(chromium_path, "customers-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.get_by_role("link", name="Customers for Linen & Co").click()
        expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
        expect(page.get_by_role("table", name="Newest consent changes")).to_contain_text(BOX)
        shot(page, "customers-recent")

        page.get_by_label("Phone number").fill("913 000 111")
        page.get_by_role("button", name="Look up").click()
        expect(page.get_by_role("heading", name="Rui Costa")).to_be_visible()
        history = page.get_by_role("table", name="Consent history of Rui Costa")
        expect(history.locator("tbody tr")).to_have_count(3)
        expect(history.locator("tbody tr").first).to_contain_text("Withdrawn")
        expect(history.locator("tbody tr").first).to_contain_text("STOP🙏")
        expect(page.locator(".consent-now")).to_contain_text("Opted out")
        assert overflow(page) == 0
        shot(page, "customers-history-wide")

        for viewport, name in ((NARROW_VIEWPORT, "customers-history-phone"),
                               (VIEWPORT, "customers-recent-wide")):
            page.set_viewport_size(viewport)
            expect(history).to_contain_text(BOX)
            assert overflow(page) == 0, name
            shot(page, name)
        page.goto(f"{url}/stores/{store_id}/customers")
        page.set_viewport_size(NARROW_VIEWPORT)
        # A name in the newest changes opens that number's history.
        page.get_by_role("link", name="Rui Costa").first.click()
        expect(page.get_by_role("table", name="Consent history of Rui Costa")).to_be_visible()
        page.go_back()
        assert overflow(page) == 0
        shot(page, "customers-recent-phone")
        assert browsing.console_errors == [] and browsing.outside == []
