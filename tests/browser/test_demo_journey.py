"""The demo store journey in a real Chromium, against `storechat serve` run as a user runs it.

No inline jobs here: gunicorn serves the pages and the embedded worker (Huey on SQLite)
turns each demo action into a message, exactly as on a laptop after `storechat serve`.
The owner first creates their account with the set-up link `serve` printed, as on a first run.
Then the demo walks all nine journeys: a card order to delivery and a refund; a
cash-on-delivery order confirmed with a tap on the phone, with a failed delivery; a bank
transfer whose payment reminder waits, is sent early, then the order is cancelled. The
phone reports each message delivered, then read, and the ticks show it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from plugin.demo.store import PRODUCTS
from plugin.domain.journeys import JourneyName
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
# What WhatsApp has taken for the shopper: the phone shows it, and its ticks move on.
SENT = re.compile(r"^(sent|delivered|read)$")
SHOTS = Path("/tmp/shots-demo")


def _wait_for_message(page: Page, number: str, template: str, words: str) -> None:
    """The phone shows the bubble and the message log shows the message as sent."""
    bubble = page.locator(f'#chat .bubble[data-order="{number}"][data-template="{template}"]')
    expect(bubble).to_have_count(1, timeout=WAIT_MS)
    expect(bubble).to_contain_text(words)
    expect(bubble).to_contain_text(f"#{number}")
    row = page.locator(f'table.log tr[data-order="{number}"][data-template="{template}"]')
    expect(row).to_have_attribute("data-state", SENT, timeout=WAIT_MS)


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


def _place_order(page: Page, payment: str = "Card") -> tuple[str, Locator]:
    """Place a test order paid by `payment`; its number and row once the worker took it in."""
    rows = page.locator("table.orders tbody tr")
    before = rows.count()
    page.get_by_label("Paid by").select_option(label=payment)
    page.get_by_role("button", name="Place a test order").click()
    expect(rows).to_have_count(before + 1, timeout=WAIT_MS)
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
    # A delivered order can still be refunded (a return); nothing else.
    expect(row.locator("button[data-action]")).to_have_count(1)
    expect(row.locator('button[data-action="refund"]')).to_have_count(1)
    _assert_chat(page, number)
    _ticks_turn_to_read(page, number)
    # The tracking button links to this server, on the port it serves on (issue 21).
    link = page.locator(f'#chat .bubble-group:has(.bubble[data-order="{number}"]'
                        '[data-template="order_shipped"]) .url-button')
    expect(link).to_have_attribute("data-url", re.compile(rf"^{re.escape(url)}/t/[\w-]+$"))
    shot(page, "demo-delivered")
    _look(page, "card-delivered")
    _act(page, row, "refund", number, "order_refunded", "refund of")

    cod_number = _cash_on_delivery(page)
    _bank_transfer(page)
    templates = {b.get_attribute("data-template") for b in page.locator("#chat .bubble").all()}
    assert {name.value for name in JourneyName} <= templates, templates
    _look(page, "all-nine")

    # On a phone-sized screen the page reflows instead of scrolling sideways.
    page.set_viewport_size(NARROW_VIEWPORT)
    shot(page, "demo-delivered-narrow")
    _look(page, "all-nine-390")
    _scroll_to(page.locator(f'#chat .bubble[data-order="{cod_number}"]').first)
    page.locator("aside.phone").screenshot(path=str(SHOTS / "phone-cod-390.png"))
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "top-390.png"))
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the demo page is {overflow}px wider than a phone screen"


def _look(page: Page, name: str) -> None:
    """A screenshot for a person to look at (outside the repository)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _act(page: Page, row: Locator, action: str, number: str, template: str | None,
         words: str) -> None:
    """Click an order's next step; wait for the message it sends (if any) on the phone."""
    row.locator(f'button[data-action="{action}"]').click()
    if template is not None:
        _wait_for_message(page, number, template, words)


def _ticks_turn_to_read(page: Page, number: str) -> None:
    """The pretend phone reports each message delivered, then read: blue ticks."""
    bubble = page.locator(f'#chat .bubble[data-order="{number}"]').first
    expect(bubble).to_have_attribute("data-state", "read", timeout=WAIT_MS)
    expect(bubble.locator(".ticks")).to_have_class(re.compile(r"\btick-read\b"))
    expect(bubble.locator(".ticks")).to_have_text("✓✓")
    row = page.locator(f'table.log tr[data-order="{number}"]').last
    expect(row).to_have_attribute("data-state", "read", timeout=WAIT_MS)
    expect(row.locator(".state-words")).to_have_text("Read")


def _cash_on_delivery(page: Page) -> str:
    """A COD order: Ana confirms on her phone; it ships, a delivery fails, then arrives."""
    number, row = _place_order(page, "Cash on delivery")
    _wait_for_message(page, number, "cod_confirmation", "cash on delivery")
    group = page.locator(f'#chat .bubble-group:has(.bubble[data-order="{number}"]'
                         '[data-template="cod_confirmation"])')
    expect(group.get_by_role("button")).to_have_text(["Yes, confirm", "Cancel order"])
    _look(page, "cod-asked")
    group.get_by_role("button", name="Yes, confirm").click()
    # The tap went in as WhatsApp's button reply: the COD answer path thanks her.
    thanks = page.locator(f'#chat .bubble[data-order="{number}"][data-template="text"]')
    expect(thanks).to_have_count(1, timeout=WAIT_MS)
    expect(group.locator("li.chosen")).to_contain_text("Yes, confirm")
    expect(group.get_by_role("button")).to_have_count(0)
    assert row.locator('button[data-action="pay"]').count() == 0  # paid at the door
    _act(page, row, "ship", number, "order_shipped", "is on its way")
    _act(page, row, "out_for_delivery", number, "out_for_delivery", "out for delivery")
    _act(page, row, "fail_delivery", number, "delivery_failed", "couldn't be completed")
    expect(row.locator(".status")).to_have_text("delivery failed", timeout=WAIT_MS)
    _act(page, row, "out_for_delivery", number, None, "")
    expect(row.locator(".status")).to_have_text("out for delivery", timeout=WAIT_MS)
    _act(page, row, "deliver", number, "order_delivered", "has been delivered")
    return number


def _bank_transfer(page: Page) -> None:
    """Unpaid: the reminder waits for its hour (the log says when); sent early, then the
    order is cancelled."""
    number, row = _place_order(page, "Bank transfer (pays later)")
    _wait_for_message(page, number, "order_confirmation", "thank you for your order")
    waiting = page.locator(f'table.log tr[data-order="{number}"]'
                           '[data-template="payment_reminder"]')
    expect(waiting).to_have_attribute("data-state", "pending", timeout=WAIT_MS)
    expect(waiting.locator(".state-words")).to_have_text(
        re.compile(r"^Sends at \d\d:\d\d UTC \(in (1 h|59 min|60 min)\)$"))
    chat = page.locator(f'#chat .bubble[data-order="{number}"][data-template="payment_reminder"]')
    expect(chat).to_have_count(0)  # not on her phone before it is sent
    _look(page, "reminder-waiting")
    waiting.get_by_role("button", name="Send now").click()
    _wait_for_message(page, number, "payment_reminder", "haven't received the payment")
    _act(page, row, "cancel", number, "order_cancelled", "has been cancelled")
    expect(row.locator(".status")).to_have_text("cancelled", timeout=WAIT_MS)


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


def _scroll_to(bubble: Locator) -> None:
    """Scroll a bubble into view; the feed may redraw it (a late status) in between."""
    for attempt in range(3):
        try:
            bubble.scroll_into_view_if_needed()
            return
        except PlaywrightError:
            if attempt == 2:
                raise

