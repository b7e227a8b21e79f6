"""The catalog page in a real Chromium, wide and on a phone: the owner reads why items are
not in WhatsApp, filters to the refused ones and retries one; a running sync's progress
updates by itself and the page reloads when it ends; axe-core finds nothing blocking and
nothing spills sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import CatalogItem, CatalogSync, ItemState, SyncState
from tests.admin.catalog_rows import (
    META_REFUSED,
    NO_IMAGE,
    WARNING,
    add_batch,
    add_items,
    add_sync,
    connect_catalog,
    item,
)
from tests.admin.test_journeys import make_store
from tests.browser import axe
from tests.browser.served import (
    NARROW_VIEWPORT,
    VIEWPORT,
    WAIT_MS,
    chromium,
    overflow,
    shot,
    sign_in,
)
from tests.browser.test_admin_shell import Findings, browser, new_context
from tests.conftest import PASSWORD, create_owner, make_app
from tests.fakes.server import LoopbackServer

EMAIL = "owner@example.com"
LONG_TITLE = "Organic washed-linen relaxed-fit shirt with mother-of-pearl buttons, sand"


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int, int]]:
    """A store with a connected catalog, items in every state, a running sync, batches."""
    app = make_app(tmp_path / "instance", queue_immediate=False)
    create_owner(app, EMAIL)
    store_id = make_store(app, email=EMAIL)
    connect_catalog(app, store_id)
    add_items(app, store_id, {ItemState.SYNCED: 6, ItemState.PENDING: 2,
                              ItemState.KEPT_OUT: 2, ItemState.FAILED: 2})
    with app.app_context(), db.transaction() as session:
        session.add(item(store_id, 60, ItemState.FAILED, title=LONG_TITLE,
                         warnings=[WARNING]))
    add_batch(app, store_id, error=None)
    add_batch(app, store_id, state="failed", handle=None, updates=12, errors=0, warnings=0,
              error="Meta did not accept the batch: the catalog was not found (error 100).")
    add_sync(app, store_id, SyncState.DONE)
    running = add_sync(app, store_id, SyncState.READING, products=40, variants=97,
                       changed=12, kept_out=2, deleted=0)
    with LoopbackServer(app) as server:
        yield app, server.url, store_id, running
    app.extensions["storechat.engine"].dispose()


def _finish(app: Flask, sync_id: int) -> None:
    with app.app_context(), db.transaction() as session:
        sync = session.get(CatalogSync, sync_id)
        assert sync is not None
        sync.state, sync.variants, sync.finished_at = SyncState.DONE, 310, db.utcnow()


@pytest.mark.browser
def test_an_owner_reads_the_catalog_and_retries_a_refused_item(
        served_app: tuple[Flask, str, int, int], chromium_path: str) -> None:
    app, url, store_id, running = served_app
    script = axe.axe_script()
    with chromium(chromium_path, "catalog-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.locator("#site-nav").get_by_role("link", name="Catalog").click()
        expect(page.get_by_role("heading", name="Catalog", exact=True)).to_be_visible()
        expect(page.locator("#catalog-name")).to_contain_text("Linen & Co catalog")
        expect(page.get_by_role("heading", name="Sync in progress")).to_be_visible()
        expect(page.locator('[data-sync-field="variants"]')).to_have_text("97")
        table = page.get_by_role("table", name="Catalog items, newest first")
        expect(table).to_contain_text(NO_IMAGE)
        expect(table).to_contain_text(META_REFUSED)
        assert overflow(page) == 0
        shot(page, "catalog-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "catalog-phone")
        page.set_viewport_size(VIEWPORT)

        # The sync ends while the page is open: it reloads by itself and says so.
        _finish(app, running)
        expect(page.get_by_role("heading", name="Last sync")).to_be_visible(
            timeout=WAIT_MS + 15_000)
        expect(page.locator("#sync-state")).to_have_text("Finished")
        expect(page.locator('[data-sync-field="variants"]')).to_have_text("310")

        page.locator("#counts").get_by_role("link", name="Refused by Meta").click()
        expect(page.get_by_role("heading", name="Items: Refused by Meta")).to_be_visible()
        expect(table.locator("tbody tr")).to_have_count(3)
        expect(table).to_contain_text(WARNING)
        page.get_by_role("button", name=f"Retry {LONG_TITLE}").click()
        expect(page.locator(".flash")).to_contain_text("1 item will be sent to Meta again")
        expect(table.locator("tbody tr")).to_have_count(2)
        shot(page, "catalog-failed-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "catalog-failed-phone")

        page.get_by_label("Title or retailer ID").fill("nothing like this")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#no-items")).to_contain_text("No item matches")
        assert browsing.console_errors == [] and browsing.outside == []
    with app.app_context():
        retried = db.session().scalars(
            select(CatalogItem.state).where(CatalogItem.title == LONG_TITLE)).one()
    assert retried == ItemState.PENDING

    # axe-core's script goes in inline, which the page's CSP forbids: a context that
    # bypasses CSP audits the page, full and filtered, at both widths.
    findings = Findings()
    with browser(chromium_path) as chrome:
        for viewport, name in ((VIEWPORT, "wide"), (NARROW_VIEWPORT, "phone")):
            context = new_context(chrome, findings, viewport, bypass_csp=True)
            audit = context.new_page()
            audit.goto(f"{url}/signin")
            audit.get_by_label("Email").fill(EMAIL)
            audit.get_by_label("Password").fill(PASSWORD)
            audit.get_by_role("button", name="Sign in").click()
            for path in (f"/stores/{store_id}/catalog",
                         f"/stores/{store_id}/catalog?state=kept_out"):
                audit.goto(f"{url}{path}")
                assert axe.blocking(axe.run(audit, script)) == [], (name, path)
            context.close()
    assert findings == Findings()
