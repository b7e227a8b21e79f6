"""Every admin page in a real Chromium, against `storechat serve`, at a desktop width and a
phone's: the shell's navigation is there (a sidebar, or a Menu button that opens it), the
current section is marked, nothing scrolls sideways on a phone, and axe-core finds no
serious or critical accessibility violation; the storefront widget and the sign-in pages are
checked the same way.

The pages come from the app's URL map (every GET page of a protected blueprint that needs
at most a store id), plus the pages one level down that links lead to: each journey's
editor, one order's and one customer's messages, a customer looked up, the catalog filtered,
and two 404s.
Set STORECHAT_SCREENSHOTS to a folder to keep a screenshot of every page at both widths.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    expect,
    sync_playwright,
)

from plugin.admin import nav
from plugin.auth.guard import PROTECTED
from tests.browser import axe
from tests.browser.served import (
    CHROMIUM_ARGS,
    NARROW_VIEWPORT,
    VIEWPORT,
    WAIT_MS,
    Served,
    set_up_owner,
    storechat_serve,
)
from tests.browser.test_widget import Storefront, storefront_page
from tests.conftest import make_app
from tests.fakes.server import LoopbackServer

EMAIL = "owner@example.com"
PASSWORD = "admin shell password"
SHOTS_ENV = "STORECHAT_SCREENSHOTS"
WIDTHS = {"desktop": VIEWPORT, "phone": NARROW_VIEWPORT}
# The sidebar shows from this width up; below it the Menu button folds it (app.css).
SIDEBAR_MIN_WIDTH = 900
MISSING = "/stores/{store}/automations/no-such-journey"
NAV_ENDPOINTS = {e.endpoint for s in nav.SECTIONS for e in (s, *s.children) if e.endpoint}


@dataclass(frozen=True)
class Visit:
    """An admin page to walk: a name for reports and screenshots, its path, its status."""

    name: str
    path: str
    status: int = 200
    endpoint: str | None = None


@dataclass
class Findings:
    """What the walk found wrong, by page and width; empty lists mean a clean walk."""

    axe: list[str] = field(default_factory=list)
    overflow: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def drop_error_statuses(self, statuses: dict[str, int]) -> None:
        """Forget Chromium's console line for a page that answered an error on purpose
        (the 404 pages, a connect flow opened without its parameters)."""
        expected = {(path, f"status of {status} ") for path, status in statuses.items()}
        self.console = [line for line in self.console if not any(
            words in line and f"{path})" in line for path, words in expected)]


@pytest.fixture
def axe_js() -> Path:
    return axe.axe_script()


@contextmanager
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def new_context(chrome: Browser, findings: Findings, viewport: dict[str, int],
                **options: object) -> BrowserContext:
    """A context that may reach only 127.0.0.1 and records console errors."""
    context = chrome.new_context(viewport=viewport, **options)  # type: ignore[arg-type]

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            findings.outside.append(route.request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            findings.console.append(f"{message.text} ({message.location.get('url', '')})")

    context.route("**/*", loopback_only)
    context.set_default_timeout(WAIT_MS)
    context.on("console", on_console)
    context.on("page", lambda page: page.on(
        "pageerror", lambda error: findings.console.append(f"uncaught: {error}")))
    return context


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    """A screenshot, only when STORECHAT_SCREENSHOTS names a folder."""
    folder = os.environ.get(SHOTS_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def url_map_pages(store_id: int, instance: Path) -> list[Visit]:
    """Every GET page of a protected blueprint whose URL needs at most a store id."""
    app: Flask = make_app(instance, migrate_db=False)
    try:
        visits = []
        with app.test_request_context():
            for rule in app.url_map.iter_rules():
                blueprint = rule.endpoint.rpartition(".")[0]
                if (blueprint not in PROTECTED or "GET" not in (rule.methods or ())
                        or rule.arguments - {nav.STORE_ARGUMENT}
                        or rule.rule.endswith(".csv")):  # a download, not a page
                    continue
                values = {nav.STORE_ARGUMENT: store_id} if rule.arguments else {}
                visits.append(Visit(rule.endpoint, app.url_for(rule.endpoint, **values),
                                    status=0, endpoint=rule.endpoint))
    finally:
        app.extensions["storechat.engine"].dispose()
    return visits


def hrefs(page: Page, selector: str) -> list[str]:
    """The distinct paths of the links matching `selector`, in page order."""
    found: list[str] = []
    for href in page.locator(selector).evaluate_all("links => links.map(a => a.href)"):
        path = urlsplit(href).path + (f"?{urlsplit(href).query}" if urlsplit(href).query else "")
        if path not in found:
            found.append(path)
    return found


def start_demo(page: Page, url: str) -> int:
    """Create the demo store and move an order along (two messages); the store's id."""
    page.get_by_role("button", name="Try the demo store").click()
    expect(page).to_have_url(f"{url}/demo")
    page.get_by_role("button", name="Place a test order").click()
    expect(page.locator("#chat .bubble")).to_have_count(1, timeout=WAIT_MS)
    for action in ("pay", "ship"):
        page.locator(f'button[data-action="{action}"]').first.click()
        expect(page.locator(f'button[data-action="{action}"]')).to_have_count(0)
    expect(page.locator("#chat .bubble")).to_have_count(2, timeout=WAIT_MS)
    automations = page.locator("#site-nav .nav-automations > a").get_attribute("href") or ""
    match = re.search(r"/stores/(\d+)/", automations)
    assert match, automations
    return int(match.group(1))


def enable_widget(page: Page, url: str, store_id: int) -> str:
    """Give the demo store's widget an agent so storefronts show it; the store key."""
    page.goto(f"{url}/stores/{store_id}/widget")
    page.locator("#agent-name-1").fill("Ana")
    page.locator("#agent-phone-1").fill("+351 912 345 678")
    page.get_by_role("button", name="Save widget").click()
    expect(page.locator(".flash")).to_contain_text("Widget settings saved")
    snippet = page.locator("#snippet").inner_text()
    key = re.search(r'data-store="([^"]+)"', snippet)
    assert key, snippet
    return key.group(1)


def deeper_pages(page: Page, url: str, store_id: int) -> list[Visit]:
    """Pages reached through links: journey editors, one order's and one customer's
    messages, a customer looked up, and 404s inside and outside a store."""
    visits = []
    page.goto(f"{url}/stores/{store_id}/automations")
    editors = hrefs(page, "#journeys th[scope=row] a")
    assert len(editors) >= 5, editors
    visits += [Visit(f"journey-{p.rsplit('/', 1)[1]}", p) for p in editors]
    page.goto(f"{url}/stores/{store_id}/messages")
    orders = hrefs(page, '#message-log td[data-label="Order"] a')
    customers = hrefs(page, '#message-log td[data-label="To"] a')
    assert orders and customers, (orders, customers)
    visits += [Visit("order-messages", orders[0]), Visit("customer-messages", customers[0])]
    page.goto(f"{url}/stores/{store_id}/customers")
    lookups = hrefs(page, ".consent-log a")
    assert lookups, "the demo shopper's consent is on record"
    visits.append(Visit("customer-lookup", lookups[0]))
    # The catalog's filtered list, with nothing in it: the demo store has no catalog.
    visits.append(Visit("catalog-filtered",
                        f"/stores/{store_id}/catalog?state=failed&q=linen+shirt"))
    visits.append(Visit("not-found-in-store", MISSING.format(store=store_id), status=404))
    visits.append(Visit("not-found", "/no-such-page", status=404))
    return visits


def check_shell(page: Page, visit: Visit, width: str) -> None:
    """Landmarks and the skip link; the sidebar on a desktop, the Menu button on a phone;
    the section of a nav page marked as the current page."""
    expect(page.locator("main#main")).to_have_count(1)
    expect(page.locator("a.skip-link")).to_have_attribute("href", "#main")
    sidebar = page.locator("nav#site-nav")
    if not sidebar.count():
        assert visit.path == "/no-such-page", f"{visit.name}: no navigation"
        return
    menu = page.get_by_role("button", name="Menu")
    if width == "desktop":
        expect(sidebar).to_be_visible()
        expect(menu).to_be_hidden()
    else:
        expect(sidebar).to_be_hidden()
        expect(menu).to_have_attribute("aria-expanded", "false")
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(sidebar).to_be_visible()
        expect(sidebar.get_by_role("link", name="Home")).to_be_visible()
        assert_no_sideways_scroll(page, f"{visit.name} (menu open)")
        shoot(page, f"{visit.name}-{width}-menu")
        page.keyboard.press("Escape")
        expect(sidebar).to_be_hidden()
        expect(menu).to_be_focused()
    if visit.endpoint in NAV_ENDPOINTS:
        current = sidebar.locator('a[aria-current="page"]')
        expect(current).to_have_count(1)
        expect(current).to_have_attribute("href", visit.path)
    elif visit.name.startswith("journey-"):
        expect(sidebar.locator('a[aria-current="true"]')).to_have_text("Automations")


def assert_no_sideways_scroll(page: Page, what: str) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{what}: the page scrolls sideways ({width[0]} > {width[1]} px)"


def walk(chrome: Browser, served: Served, visits: list[Visit], state: object,
         script: Path, findings: Findings) -> dict[str, int]:
    """Open each page at both widths; check its shell, then run axe on it. The status of
    every page seen, by URL."""
    seen: dict[str, int] = {}
    for width, viewport in WIDTHS.items():
        plain = new_context(chrome, findings, viewport, storage_state=state)
        # axe is injected as an inline script, which the admin's CSP forbids.
        audit = new_context(chrome, findings, viewport, storage_state=state, bypass_csp=True)
        page, audited = plain.new_page(), audit.new_page()
        for visit in visits:
            response = page.goto(served.url + visit.path)
            assert response is not None
            if "text/html" not in response.headers.get("content-type", "") or \
                    not response.text().lstrip().lower().startswith("<!doctype html"):
                continue  # JSON and page fragments (the demo's live feed) are not pages
            status = response.status
            if visit.status:
                assert status == visit.status, f"{visit.name}: {status}"
            assert status < 500, f"{visit.name} answered {status}"
            seen[served.url + visit.path] = status
            check_shell(page, visit, width)
            if width == "phone":
                try:
                    assert_no_sideways_scroll(page, visit.name)
                except AssertionError as error:
                    findings.overflow.append(str(error))
            shoot(page, f"{visit.name}-{width}")
            audited.goto(served.url + visit.path)
            findings.axe += [f"{visit.name} ({width}): {line}"
                             for line in axe.blocking(axe.run(audited, script))]
        plain.close()
        audit.close()
    return seen


def check_without_javascript(chrome: Browser, served: Served, state: object, path: str,
                             findings: Findings) -> None:
    """With JavaScript off, a phone still reaches the navigation: it stays open, no button."""
    context = new_context(chrome, findings, NARROW_VIEWPORT, storage_state=state,
                          java_script_enabled=False)
    page = context.new_page()
    page.goto(served.url + path)
    expect(page.locator("nav#site-nav").get_by_role("link", name="Automations")).to_be_visible()
    expect(page.locator("#menu-button")).to_be_hidden()
    shoot(page, "no-javascript-phone")
    context.close()


def check_sign_in_pages(chrome: Browser, served: Served, script: Path,
                        findings: Findings) -> None:
    """The pages before the admin (sign in, forgotten password) through axe, both widths."""
    for width, viewport in WIDTHS.items():
        context = new_context(chrome, findings, viewport, bypass_csp=True)
        page = context.new_page()
        for name, path in (("signin", "/signin"), ("reset-request", "/reset")):
            response = page.goto(served.url + path)
            assert response is not None and response.status == 200, path
            expect(page.locator("nav#site-nav")).to_have_count(0)
            findings.axe += [f"{name} ({width}): {line}"
                             for line in axe.blocking(axe.run(page, script))]
            if width == "phone":
                assert_no_sideways_scroll(page, name)
            shoot(page, f"{name}-{width}")
        context.close()


def check_widget(chrome: Browser, served: Served, key: str, script: Path,
                 findings: Findings) -> None:
    """The storefront widget, closed and open, at both widths, through axe."""
    storefront = Storefront()
    storefront.pages["/product"] = storefront_page(served.url, key)
    with LoopbackServer(storefront) as shop:
        for width, viewport in WIDTHS.items():
            context = new_context(chrome, findings, viewport)
            page = context.new_page()
            page.goto(f"{shop.url}/product")
            launcher = page.locator("storechat-widget button.l")
            expect(launcher).to_be_visible()
            findings.axe += [f"widget closed ({width}): {line}"
                             for line in axe.blocking(axe.run(page, script))]
            launcher.click()
            expect(launcher).to_have_attribute("aria-expanded", "true")
            findings.axe += [f"widget open ({width}): {line}"
                             for line in axe.blocking(axe.run(page, script))]
            if width == "phone":
                assert_no_sideways_scroll(page, "storefront with the widget open")
            shoot(page, f"widget-storefront-{width}", full_page=False)  # where it floats
            context.close()


@pytest.mark.browser
def test_every_admin_page_has_the_shell_fits_a_phone_and_passes_axe(
        tmp_path: Path, chromium_path: str, axe_js: Path) -> None:
    findings = Findings()
    with storechat_serve(tmp_path) as served, browser(chromium_path) as chrome:
        desktop = new_context(chrome, findings, VIEWPORT)
        page = desktop.new_page()
        set_up_owner(page, served, EMAIL, PASSWORD)
        store_id = start_demo(page, served.url)
        key = enable_widget(page, served.url, store_id)
        visits = url_map_pages(store_id, tmp_path / "map") + deeper_pages(
            page, served.url, store_id)
        endpoints = {v.endpoint for v in visits}
        for expected in ("admin.index", "journeys_admin.index", "message_log.store_messages",
                         "customers_admin.page", "widget_designer.page", "whatsapp_admin.page",
                         "settings_admin.connection", "catalog_admin.index", "demo.page"):
            assert expected in endpoints, expected
        state = desktop.storage_state()
        desktop.close()

        seen = walk(chrome, served, visits, state, axe_js, findings)
        check_without_javascript(chrome, served, state, f"/stores/{store_id}/customers",
                                 findings)
        check_widget(chrome, served, key, axe_js, findings)
        check_sign_in_pages(chrome, served, axe_js, findings)

    assert len(seen) >= 18, sorted(seen)  # the walk really walked
    findings.drop_error_statuses({url: code for url, code in seen.items() if code != 200})
    assert findings == Findings(), "\n".join(
        [f"axe-core: {line}" for line in findings.axe] + findings.overflow
        + [f"console: {line}" for line in findings.console]
        + [f"outside 127.0.0.1: {url}" for url in findings.outside])
