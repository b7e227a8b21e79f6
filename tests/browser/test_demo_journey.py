"""The demo store journey in a real Chromium, against `storechat serve` run as a user runs it.

No inline jobs here: gunicorn serves the pages and the embedded worker (Huey on SQLite)
turns each demo action into a message, exactly as on a laptop after `storechat serve`.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Locator, Page, Route, expect, sync_playwright

from plugin.demo.store import PRODUCTS
from tests import conftest
from tests.browser.served import STOP_EXPECTED_SECONDS, port_open, storechat_serve

# Each browser wait (a job to run, a poll to show it) gives up after this long.
WAIT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 860}
NARROW_VIEWPORT = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-proxy-server"]
# Each owner action, the message it causes (template, words the shopper reads), in journey order.
JOURNEY = (
    ("place", "order_confirmation", "thank you for your order"),
    ("pay", "payment_received", "received your payment"),
    ("ship", "order_shipped", "is on its way"),
    ("deliver", "order_delivered", "has been delivered"),
)


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(conftest.ARTIFACTS / f"{name}.png"), full_page=True)


def _wait_for_message(page: Page, number: str, template: str, words: str) -> None:
    """The phone shows the bubble and the message log shows the message as sent."""
    bubble = page.locator(f'#chat .bubble[data-order="{number}"][data-template="{template}"]')
    expect(bubble).to_have_count(1, timeout=WAIT_MS)
    expect(bubble).to_contain_text(words)
    expect(bubble).to_contain_text(f"#{number}")
    row = page.locator(f'table.log tr[data-order="{number}"][data-template="{template}"]')
    expect(row).to_have_attribute("data-state", "sent", timeout=WAIT_MS)
    expect(row).to_contain_text("sent")


def _landing(page: Page, url: str) -> None:
    """The landing page offers both platforms and the demo; open the demo store."""
    page.goto(f"{url}/")
    for heading in ("Connect a Shopify store", "Connect a WooCommerce store",
                    "Try the demo store"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    _shot(page, "landing")
    page.get_by_role("button", name="Try the demo store").click()
    expect(page).to_have_url(f"{url}/demo")
    expect(page.locator("#chat .bubble")).to_have_count(0)


def _place_order(page: Page) -> tuple[str, Locator]:
    """Place a test order; its number and its row once the worker has taken it in."""
    page.get_by_role("button", name="Place a test order").click()
    rows = page.locator("table.orders tbody tr")
    expect(rows).to_have_count(1, timeout=WAIT_MS)
    number = rows.first.get_attribute("data-order") or ""
    assert number.isdigit(), number
    row = page.locator(f'table.orders tr[data-order="{number}"]')
    # Product names are shown as text, whatever they hold (the demo's
    # "Tom & Jerry #1 — 50% \"off\" 🎉 mug" included).
    item = row.locator(".item-title").first.inner_text()
    assert item in {title for title, _ in PRODUCTS}, item
    return number, row


def _assert_chat(page: Page, number: str) -> None:
    """The phone holds exactly the journey's messages for the order, in journey order."""
    bubbles = page.locator(f'#chat .bubble[data-order="{number}"]')
    expect(bubbles).to_have_count(len(JOURNEY))
    expect(page.locator("#chat .bubble")).to_have_count(len(JOURNEY))
    assert [b.get_attribute("data-template") for b in bubbles.all()] == [
        template for _, template, _ in JOURNEY
    ]
    texts = bubbles.all_inner_texts()
    for text, (_, _, words) in zip(texts, JOURNEY):
        assert words in text, texts


def _journey(page: Page, url: str) -> None:
    _landing(page, url)
    number, row = _place_order(page)
    _, template, words = JOURNEY[0]
    _wait_for_message(page, number, template, words)
    for action, template, words in JOURNEY[1:]:
        row.locator(f'button[data-action="{action}"]').click()
        _wait_for_message(page, number, template, words)
    expect(row.locator(".status")).to_have_text("delivered", timeout=WAIT_MS)
    expect(row.locator("button[data-action]")).to_have_count(0)
    _assert_chat(page, number)
    _shot(page, "demo-delivered")

    # On a phone-sized screen the page reflows instead of scrolling sideways.
    page.set_viewport_size(NARROW_VIEWPORT)
    _shot(page, "demo-delivered-narrow")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the demo page is {overflow}px wider than a phone screen"


@pytest.mark.browser
def test_demo_store_journey_through_storechat_serve(tmp_path: Path, chromium_path: str) -> None:
    """Landing page → demo store → place, pay, ship, deliver; each message reaches the phone."""
    conftest.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console_errors: list[str] = []
    outside: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    with storechat_serve(tmp_path) as served:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                                 args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport=VIEWPORT)
                context.route("**/*", loopback_only)
                page = context.new_page()
                page.set_default_timeout(WAIT_MS)
                page.on("console", on_console)
                page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
                try:
                    _journey(page, served.url)
                except Exception:
                    _shot(page, "demo-journey-failure")  # what the page showed when it failed
                    raise
            finally:
                browser.close()

    assert console_errors == []
    assert outside == [], "the pages asked for something beyond 127.0.0.1"
    assert served.exit_code == 0, f"storechat serve exited with {served.exit_code}:\n" \
                                  f"{served.log_tail()}"
    assert served.leftovers == [], "processes outlived Ctrl-C"
    assert served.stop_seconds < STOP_EXPECTED_SECONDS, f"Ctrl-C took {served.stop_seconds:.1f}s"
    assert not port_open(served.port), "the port still answers after Ctrl-C"
    assert "StoreChat stopped." in served.log.read_text(errors="replace")
