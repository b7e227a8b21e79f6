"""Automations → Shop assistant in a real Chromium, wide and on a phone: the owner finds it
in the nav, turns it on with the cancel choice, and it is saved. Nothing spills sideways
at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import AssistantSettings
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
def test_an_owner_turns_on_the_shop_assistant(served_app: tuple[Flask, str, int],
                                              chromium_path: str) -> None:
    app, url, store_id = served_app
    with chromium(chromium_path, "assistant-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.goto(f"{url}/stores/{store_id}/automations")
        page.get_by_role("link", name="Shop assistant").click()
        expect(page.get_by_role("heading", name="Shop assistant", exact=True)).to_be_visible()
        for viewport, name in ((VIEWPORT, "assistant-wide"),
                               (NARROW_VIEWPORT, "assistant-phone")):
            page.set_viewport_size(viewport)
            assert overflow(page) == 0, name
            shot(page, name)
        page.set_viewport_size(VIEWPORT)
        page.get_by_label("Answer with the shop assistant").check()
        page.get_by_label("Browse products").uncheck()
        page.get_by_label("Cancel the order in the store at once").check()
        page.get_by_role("button", name="Save shop assistant").click()
        expect(page.get_by_text("Shop assistant saved")).to_be_visible()
        shot(page, "assistant-saved")
    with app.app_context():
        row = db.session().scalars(select(AssistantSettings)).one()
        assert (row.enabled, row.intents, row.on_cancel) == (True, ["wismo", "cancel", "human"],
                                                             "cancel")
