"""Settings → API tokens in a real Chromium, wide and on a phone: the owner makes a token,
copies it from the page that shows it once, calls the API with it, and revokes it after
confirming; the API then refuses it. Nothing spills sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

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


def _status(page: Page, url: str, token: str) -> int:
    """What the API answers the token for the store's orders."""
    response = page.request.get(f"{url}/api/v1/orders",
                                headers={"Authorization": f"Bearer {token}"})
    return response.status


@pytest.mark.browser
def test_an_owner_makes_uses_and_revokes_a_token(served_app: tuple[Flask, str, int],
                                                 chromium_path: str) -> None:
    _app, url, store_id = served_app
    with chromium(chromium_path, "api-tokens-failure") as browsing:
        page = browsing.page
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        sign_in(page, url, EMAIL)
        page.goto(f"{url}/stores/{store_id}/settings/api-tokens")
        expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
        expect(page.locator("#no-tokens")).to_be_visible()
        for viewport, name in ((VIEWPORT, "api-tokens-empty-wide"),
                               (NARROW_VIEWPORT, "api-tokens-empty-phone")):
            page.set_viewport_size(viewport)
            assert overflow(page) == 0, name
            shot(page, name)
        page.set_viewport_size(VIEWPORT)

        page.get_by_label("Name").fill("Warehouse sync")
        page.get_by_label("Read and write").check()
        page.get_by_role("button", name="Make token").click()
        expect(page.get_by_role("heading", name="Copy your new token now")).to_be_visible()
        token = page.get_by_role("textbox", name="Your new token").input_value()
        assert token.startswith("sc_live_")
        page.get_by_role("button", name="Copy").click()
        expect(page.locator("#copy-status")).to_contain_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == token
        assert _status(page, url, token) == 200
        for viewport, name in ((VIEWPORT, "api-tokens-new-wide"),
                               (NARROW_VIEWPORT, "api-tokens-new-phone")):
            page.set_viewport_size(viewport)
            assert overflow(page) == 0, name
            shot(page, name)

        # Shown once: the list names the token by its visible part only.
        page.goto(f"{url}/stores/{store_id}/settings/api-tokens")
        assert token not in page.content()
        row = page.locator("#tokens tbody tr").first
        expect(row).to_contain_text("Warehouse sync")
        expect(row).to_contain_text("Read and write")
        expect(row).to_contain_text(token[:len("sc_live_") + 12])
        row.get_by_text("Revoke…").click()
        shot(page, "api-tokens-confirm-phone")
        row.get_by_role("button", name="Revoke “Warehouse sync”").click()
        expect(page.get_by_role("status")).to_contain_text("revoked")
        expect(page.locator("#tokens tbody tr").first).to_contain_text("Revoked")
        assert _status(page, url, token) == 401
        assert overflow(page) == 0
        shot(page, "api-tokens-revoked-phone")
        page.set_viewport_size(VIEWPORT)
        shot(page, "api-tokens-revoked-wide")
        assert browsing.console_errors == [] and browsing.outside == []
