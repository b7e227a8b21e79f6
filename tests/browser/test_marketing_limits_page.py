"""Settings → Marketing limits in a real Chromium, wide and on a phone: the owner finds it
in the nav, a looser at-risk cap is refused with its reason beside the field, a valid
change is saved. Nothing spills sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from plugin.infra import db
from plugin.models import Store
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
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_an_owner_sets_the_marketing_limits(served_app: tuple[Flask, str, int],
                                            chromium_path: str) -> None:
    app, url, store_id = served_app
    with chromium(chromium_path, "marketing-limits-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.goto(f"{url}/stores/{store_id}/automations")
        page.get_by_role("link", name="Marketing limits").click()
        expect(page.get_by_role("heading", name="Marketing limits", exact=True)).to_be_visible()
        for viewport, name in ((VIEWPORT, "marketing-limits-wide"),
                               (NARROW_VIEWPORT, "marketing-limits-phone")):
            page.set_viewport_size(viewport)
            assert overflow(page) == 0, name
            shot(page, name)
        page.set_viewport_size(VIEWPORT)

        page.locator("#at_risk_cap").fill("5")
        page.get_by_role("button", name="Save marketing limits").click()
        expect(page.locator("#error-at_risk_cap")).to_contain_text("must be stricter")
        expect(page.locator("#form-errors")).to_contain_text("Nothing was saved")
        shot(page, "marketing-limits-refused")

        page.locator("#at_risk_cap").fill("1")
        page.locator("#weekly_cap").fill("3")
        page.locator("#quiet_start_hour").select_option("22")
        page.get_by_role("button", name="Save marketing limits").click()
        expect(page.get_by_text("Marketing limits saved")).to_be_visible()
        expect(page.get_by_text("Now: 22:00 to 09:00")).to_be_visible()
    with app.app_context():
        store = db.session().get(Store, store_id)
        assert store is not None
        saved = (store.marketing_weekly_cap, store.at_risk_cap, store.quiet_start_hour)
    assert saved == (3, 1, 22)
