"""The demo store journey in a real Chromium, against `storechat serve` run as a user runs it.

No inline jobs here: gunicorn serves the pages and the embedded worker (Huey on SQLite)
turns each demo action into a message, exactly as on a laptop after `storechat serve`.
The owner first creates their account with the set-up link `serve` printed, as on a first run.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from plugin.demo.store import PRODUCTS
from tests.browser.served import (
    NARROW_VIEWPORT,
    WAIT_MS,
    assert_stopped_cleanly,
    chromium,
    set_up_owner,
    shot,
    storechat_serve,
)

OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "demo journey password"
# Each owner action, the message it causes (template, words the shopper reads), in journey order.
# Each step and the message it sends; paying sends none (the confirmation said thank you).
STEPS = (
    ("place", "order_confirmation", "thank you for your order"),
    ("pay", None, ""),
    ("ship", "order_shipped", "is on its way"),
    ("deliver", "order_delivered", "has been delivered"),
)
JOURNEY = tuple(step for step in STEPS if step[1] is not None)


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
    """The admin home offers both platforms and the demo; open the demo store."""
    expect(page).to_have_url(f"{url}/")
    for heading in ("Connect a Shopify store", "Connect a WooCommerce store",
                    "Try the demo store"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    shot(page, "landing")
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
    for text, (_, _, words) in zip(texts, JOURNEY, strict=True):
        assert words in text, texts


def _journey(page: Page, url: str) -> None:
    _landing(page, url)
    number, row = _place_order(page)
    _, template, words = JOURNEY[0]
    _wait_for_message(page, number, template, words)
    for action, template, words in STEPS[1:]:
        row.locator(f'button[data-action="{action}"]').click()
        if template is None:
            expect(row.locator(".status")).to_have_text("paid", timeout=WAIT_MS)
            continue
        _wait_for_message(page, number, template, words)
    expect(row.locator(".status")).to_have_text("delivered", timeout=WAIT_MS)
    expect(row.locator("button[data-action]")).to_have_count(0)
    _assert_chat(page, number)
    shot(page, "demo-delivered")

    # On a phone-sized screen the page reflows instead of scrolling sideways.
    page.set_viewport_size(NARROW_VIEWPORT)
    shot(page, "demo-delivered-narrow")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the demo page is {overflow}px wider than a phone screen"


@pytest.mark.browser
def test_demo_store_journey_through_storechat_serve(tmp_path: Path, chromium_path: str) -> None:
    """First-run set-up → admin home → demo store → place, pay, ship, deliver; each message
    reaches the phone."""
    with storechat_serve(tmp_path) as served:
        with chromium(chromium_path, "demo-journey-failure") as browsing:
            set_up_owner(browsing.page, served, OWNER_EMAIL, OWNER_PASSWORD)
            _journey(browsing.page, served.url)

    assert browsing.console_errors == []
    assert browsing.outside == [], "the pages asked for something beyond 127.0.0.1"
    assert_stopped_cleanly(served)
