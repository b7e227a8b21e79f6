"""The Catalog panel of the WhatsApp page in a real Chromium, wide and on a phone: an owner
with a connected number opens the choice, creates a catalog (connected in the fake Graph,
catalog and cart shown on the number), turns the cart off, and sees Meta's refusal in plain
words; a store without a number gets a sandbox catalog. Nothing spills sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from plugin.infra import db
from plugin.models import WhatsAppAccount
from tests.admin.test_journeys import make_store
from tests.browser import axe
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.conftest import create_owner, make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer

EMAIL = "owner@example.com"
PNID, WABA, BUSINESS = "106540352242922", "102290129340398", "5550001112223"
TOKEN = "EAAGtesttoken0123456789abcdef"


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, FakeGraph, int, int]]:
    fake = FakeGraph()
    fake.add_waba(WABA, TOKEN, PNID)
    fake.add_business(BUSINESS, TOKEN, WABA)
    fake.add_catalog(BUSINESS, "Spring range 2026")
    with LoopbackServer(fake) as graph:
        app = make_app(tmp_path / "instance", whatsapp_graph_url=graph.url)
        create_owner(app, EMAIL)
        store_id = make_store(app, email=EMAIL)
        sandbox_id = make_store(app, email=EMAIL, name="Corner Bakery")
        with app.app_context(), db.transaction() as session:
            session.add(WhatsAppAccount(store_id=store_id, phone_number_id=PNID, waba_id=WABA,
                                        access_token=TOKEN, verified_name="Linen & Co"))
        with LoopbackServer(app) as server:
            yield app, server.url, fake, store_id, sandbox_id
        app.extensions["storechat.engine"].dispose()


def _shots(page: Page, name: str) -> None:
    for viewport, suffix in ((VIEWPORT, "wide"), (NARROW_VIEWPORT, "phone")):
        page.set_viewport_size(viewport)
        assert overflow(page) == 0, f"{name}-{suffix}"
        page.locator("#catalog").scroll_into_view_if_needed()
        shot(page, f"{name}-{suffix}")
    page.set_viewport_size(VIEWPORT)


@pytest.mark.browser
def test_an_owner_connects_a_catalog_and_sets_its_cart(
        served_app: tuple[Flask, str, FakeGraph, int, int], chromium_path: str) -> None:
    _app, url, fake, store_id, sandbox_id = served_app
    with chromium(chromium_path, "whatsapp-catalog-failure") as browsing:
        page = browsing.page
        page.set_viewport_size(VIEWPORT)
        sign_in(page, url, EMAIL)
        page.goto(f"{url}/stores/{store_id}/whatsapp")
        panel = page.locator("#catalog")
        expect(panel.get_by_role("heading", name="Catalog")).to_be_visible()
        panel.get_by_role("link", name="Connect a catalog").click()
        expect(panel.get_by_role("radio", name="Spring range 2026")).to_be_checked()
        _shots(page, "whatsapp-catalog-choose")

        # Meta refuses first (a permission the token lacks): the reason, in plain words.
        fake.fail_next(200, 403, "(#200) Requires catalog_management permission")
        panel.get_by_role("radio", name="Create a new catalog").check()
        panel.get_by_role("button", name="Connect catalog").click()
        expect(page.get_by_text("catalog_management permission").first).to_be_visible()
        _shots(page, "whatsapp-catalog-refused")

        panel.get_by_role("link", name="Connect a catalog").click()
        panel.get_by_role("radio", name="Create a new catalog").check()
        panel.get_by_role("button", name="Connect catalog").click()
        expect(page.get_by_text("Catalog connected: Linen & Co.")).to_be_visible()
        catalog_id = fake.waba_catalog[WABA]
        expect(panel.locator("#catalog-details")).to_contain_text(catalog_id)
        assert fake.commerce[PNID] == {"is_catalog_visible": True, "is_cart_enabled": True}
        _shots(page, "whatsapp-catalog-connected")

        panel.get_by_label("Let shoppers add products to a cart").uncheck()
        panel.get_by_role("button", name="Save catalog settings").click()
        expect(page.get_by_text("Catalog shown on WhatsApp; cart off.")).to_be_visible()
        assert fake.commerce[PNID]["is_cart_enabled"] is False
        expect(page.locator("#catalog").get_by_label(
            "Let shoppers add products to a cart")).not_to_be_checked()

        page.goto(f"{url}/stores/{sandbox_id}/whatsapp")
        page.locator("#catalog").get_by_role("button", name="Create a sandbox catalog").click()
        expect(page.get_by_text("Catalog connected: Corner Bakery (sandbox)")).to_be_visible()
        expect(page.locator("#catalog-sandbox-note")).to_be_visible()
        _shots(page, "whatsapp-catalog-sandbox")
        assert browsing.outside == [] and browsing.console_errors == []


@pytest.mark.browser
def test_each_state_of_the_catalog_panel_passes_axe(
        served_app: tuple[Flask, str, FakeGraph, int, int], chromium_path: str) -> None:
    script = axe.axe_script()
    _app, url, fake, store_id, sandbox_id = served_app
    with chromium(chromium_path, "whatsapp-catalog-axe-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        browser = page.context.browser
        assert browser is not None
        # axe is injected as an inline script, which the admin's CSP forbids.
        audit = browser.new_context(bypass_csp=True,
                                    storage_state=page.context.storage_state())
        audited = audit.new_page()
        found: list[str] = []
        states = [(f"/stores/{store_id}/whatsapp", "closed"),
                  (f"/stores/{store_id}/whatsapp?catalog=choose", "choose"),
                  (f"/stores/{sandbox_id}/whatsapp", "sandbox offer")]
        for viewport in (VIEWPORT, NARROW_VIEWPORT):
            audited.set_viewport_size(viewport)
            for path, name in states:
                audited.goto(url + path)
                expect(audited.locator("#catalog")).to_be_visible()  # signed in, on the page
                found += [f"{name} ({viewport['width']}): {line}"
                          for line in axe.blocking(axe.run(audited, script))]
        page.goto(f"{url}/stores/{store_id}/whatsapp?catalog=choose")
        page.get_by_role("radio", name="Create a new catalog").check()
        page.get_by_role("button", name="Connect catalog").click()
        expect(page.locator("#catalog-details")).to_be_visible()
        for viewport in (VIEWPORT, NARROW_VIEWPORT):
            audited.set_viewport_size(viewport)
            audited.goto(f"{url}/stores/{store_id}/whatsapp")
            expect(audited.locator("#catalog-details")).to_be_visible()
            found += [f"connected ({viewport['width']}): {line}"
                      for line in axe.blocking(axe.run(audited, script))]
        audit.close()
        assert found == []
