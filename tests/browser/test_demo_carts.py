"""Cart recovery in the demo store, in a real Chromium against `storechat serve`: leave a
cart, send its first reminder now (the embedded worker's sweeper claims it within seconds),
see it on the phone with its link button, complete the order."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from plugin.domain.policy import DEFAULT_QUIET_HOURS
from tests.browser.served import (
    NARROW_VIEWPORT,
    VIEWPORT,
    WAIT_MS,
    assert_stopped_cleanly,
    chromium,
    set_up_owner,
    shot,
    storechat_serve,
)


def _quiet_in_lisbon() -> bool:
    """The demo shopper's number is Portuguese: marketing waits out her quiet hours."""
    start, end = DEFAULT_QUIET_HOURS
    hour = datetime.now(ZoneInfo("Europe/Lisbon")).hour
    return hour >= start or hour < end


def test_a_demo_cart_is_left_reminded_and_completed(tmp_path: Path, chromium_path: str) -> None:
    with storechat_serve(tmp_path) as served:
        with chromium(chromium_path, "demo-carts-failure") as browsing:
            page = browsing.page
            set_up_owner(page, served, "owner@example.com", "demo carts password")
            page.get_by_role("button", name="Try the demo store").click()
            page.get_by_role("button", name="Leave a cart").click()
            cart = page.locator("table.carts tbody tr")
            expect(cart).to_have_count(1, timeout=WAIT_MS)
            expect(cart.locator("li[data-state=scheduled]")).to_have_count(3)
            expect(cart.locator('li[data-step="1"]')).to_contain_text("due at")
            cart.get_by_role("button", name="Send now").click()
            if _quiet_in_lisbon():
                # At night in Lisbon the reminder waits for the morning, and says so.
                expect(cart.locator('li[data-step="1"]')).to_contain_text(
                    "quiet hours until 09:00", timeout=WAIT_MS)
            else:
                bubble = page.locator('#chat .bubble[data-template="cart_recovery_1"]')
                expect(bubble).to_have_count(1, timeout=WAIT_MS)
                link = page.locator('#chat .bubble-group:has(.bubble[data-template='
                                    '"cart_recovery_1"]) .url-button')
                expect(link).to_have_attribute("data-url", re.compile(
                    rf"^{re.escape(served.url)}/t/[\w-]+$"))
            shot(page, "demo-cart-sent")
            page.set_viewport_size(NARROW_VIEWPORT)
            shot(page, "demo-cart-sent-390")
            page.set_viewport_size(VIEWPORT)
            cart.get_by_role("button", name="Complete the order").click()
            expect(cart.locator("td[data-label='Next step']")).to_contain_text(
                "completed" if _quiet_in_lisbon() else "recovered", timeout=WAIT_MS)
            shot(page, "demo-cart-completed")
    assert browsing.console_errors == []
    assert browsing.outside == [], "the pages asked for something beyond 127.0.0.1"
    assert_stopped_cleanly(served)
