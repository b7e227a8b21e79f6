"""Two people answering the inbox in real Chromiums: an agent of the store's team, on a
desktop, assigns the conversation to herself and replies with a quick reply; the owner, on a
390 px phone, sees the reply and the assignment arrive without reloading, and so does the
agent when the shopper writes again. The composer's emoji picker inserts at the caret from
the keyboard and the mouse, and its product picker sends a product list. Nothing spills
sideways."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Customer, Order, QuickReply
from tests import conftest
from tests.admin.catalog_rows import item
from tests.browser.served import (
    CHROMIUM_ARGS,
    NARROW_VIEWPORT,
    WAIT_MS,
    chromium,
    overflow,
    shot,
    sign_in,
)
from tests.fakes.server import LoopbackServer
from tests.worlds.inbox import CATALOG_ID, OWNER_EMAIL, InboxWorld, connect_catalog
from tests.worlds.team import add_member

AGENT_EMAIL = "sara@example.com"
REPLY = "Hi Ana, order 1042 left today: https://track.example/1042"
assert CHROMIUM_ARGS  # the same browser flags as every browser test (served.chromium)


def _loopback_only(route: Route) -> None:
    if urlsplit(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def _prepare(world: InboxWorld) -> None:
    world.writes("Hi, is my order on its way?", "wamid.BROWSER1", name="Ana")
    with world.app.app_context(), db.transaction() as session:
        customer = session.scalars(select(Customer)).one()
        session.add(Order(store_id=world.store_id, platform_id="o-1042", number="1042",
                          customer_id=customer.id, status="fulfilled", currency="EUR",
                          total="42.00", tracking={"url": "https://track.example/1042"}))
        session.add(QuickReply(store_id=world.store_id, shortcut="shipped",
                               body="Hi {{customer_name}}, order {{order_number}} left "
                                    "today: {{tracking_link}}"))


def _open_conversation(page: Page, url: str, store_id: int) -> None:
    page.goto(f"{url}/stores/{store_id}/inbox")
    # In the list: the nav has a link whose name starts with "Ana" too (Analytics).
    page.locator(".inbox-rows").get_by_role("link", name="Ana").first.click()
    expect(page.get_by_role("heading", name="Ana", exact=True)).to_be_visible()
    expect(page.locator("#inbox[data-live=polling]")).to_have_count(1)  # inbox.js has run


@pytest.mark.browser
def test_two_people_answer_and_see_each_other_live(inbox_world: InboxWorld,
                                                   chromium_path: str) -> None:
    _prepare(inbox_world)
    add_member(inbox_world.app, inbox_world.store_id, AGENT_EMAIL, "agent")
    with LoopbackServer(inbox_world.app) as server, \
            chromium(chromium_path, "inbox-failure") as browsing:
        first = browsing.page
        second_context = first.context.browser.new_context(viewport=NARROW_VIEWPORT)  # type: ignore[union-attr]
        second_context.route("**/*", _loopback_only)
        second = second_context.new_page()
        second.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        second.on("pageerror", lambda error: errors.append(str(error)))

        sign_in(first, server.url, AGENT_EMAIL)
        sign_in(second, server.url, OWNER_EMAIL)
        _open_conversation(second, server.url, inbox_world.store_id)
        _open_conversation(first, server.url, inbox_world.store_id)
        expect(first.locator(".window")).to_contain_text("open until")
        expect(first.locator(".window-countdown")).to_contain_text("left")

        first.get_by_label("Assignee").select_option(label=AGENT_EMAIL)
        first.get_by_role("button", name="Assign").click()
        expect(first.locator("#inbox[data-live=polling]")).to_have_count(1)  # reloaded, wired
        first.get_by_role("button", name="/shipped").click()
        expect(first.locator("#reply-text")).to_have_value("/shipped")
        # The pair limit spaces two messages to one shopper by 6 s; this is the first.
        first.get_by_role("button", name="Send", exact=True).click()
        expect(first.locator(".side-out").last).to_contain_text(REPLY)
        expect(first.locator(".side-out .ticks").last).to_have_text("✓")

        # The second person's page, never reloaded, shows both changes.
        expect(second.locator(".side-out").last).to_contain_text(REPLY)
        expect(second.locator(".thread-side")).to_contain_text(f"Assigned to: {AGENT_EMAIL}")
        assert inbox_world.graph.sent[-1].payload["text"]["body"] == REPLY

        inbox_world.writes("Great, thank you!", "wamid.BROWSER2", name="Ana")
        expect(first.locator(".side-in").last).to_contain_text("Great, thank you!")
        expect(second.locator(".side-in").last).to_contain_text("Great, thank you!")

        assert overflow(first) == 0 and overflow(second) == 0
        shot(first, "inbox-desktop-1280")
        second.screenshot(path=_artifact("inbox-phone-390"), full_page=True)
        first.set_viewport_size(NARROW_VIEWPORT)
        first.goto(f"{server.url}/stores/{inbox_world.store_id}/inbox")
        assert overflow(first) == 0
        shot(first, "inbox-list-phone-390")
        assert errors == [] and browsing.console_errors == [] and browsing.outside == []
        second_context.close()


@pytest.mark.browser
def test_an_emoji_and_a_product_list_from_the_composer(inbox_world: InboxWorld,
                                                        chromium_path: str) -> None:
    connect_catalog(inbox_world, [item(inbox_world.store_id, 1),
                                  item(inbox_world.store_id, 2, title="Wool scarf")])
    _prepare(inbox_world)
    shirt, scarf = (f"sc-{inbox_world.store_id}-{n}" for n in (1, 2))
    with LoopbackServer(inbox_world.app) as server, \
            chromium(chromium_path, "inbox-composer-failure") as browsing:
        page = browsing.page
        sign_in(page, server.url, OWNER_EMAIL)
        _open_conversation(page, server.url, inbox_world.store_id)
        text = page.locator("#reply-text")

        # The keyboard: the picker opens on its first emoji; arrows move, Enter inserts.
        text.fill("Thanks ")
        toggle = page.get_by_role("button", name="Emoji")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_role("button", name="grinning face")).to_be_focused()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("button", name="tears of joy")).to_be_focused()
        page.keyboard.press("Enter")
        expect(text).to_have_value("Thanks 😂")
        expect(page.locator("#emoji-grid")).to_be_hidden()
        # Escape closes it and gives the focus back to its button.
        toggle.click()
        page.keyboard.press("Escape")
        expect(page.locator("#emoji-grid")).to_be_hidden()
        expect(toggle).to_be_focused()
        # The mouse, at a caret in the middle of the text.
        text.fill("Hello !")
        text.evaluate("t => t.setSelectionRange(6, 6)")
        toggle.click()
        shot(page, "inbox-emoji-1280")
        page.get_by_role("button", name="waving hand").click()
        expect(text).to_have_value("Hello 👋!")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator(".side-out").last).to_contain_text("Hello 👋!")
        assert inbox_world.graph.sent[-1].payload["text"]["body"] == "Hello 👋!"

        # Products: typing narrows the list at once; two chosen go as one product list.
        inbox_world.app.extensions["storechat.limiter"].storage.reset()  # Meta's 6 s spacing
        page.get_by_text("Send products from the catalog").click()
        search = page.get_by_label("Find a product")
        search.fill("scarf")
        expect(page.get_by_label("Wool scarf")).to_be_visible()
        expect(page.get_by_label("Linen shirt 1")).to_be_hidden()
        page.get_by_label("Wool scarf").check()
        search.fill("")
        page.get_by_label("Linen shirt 1").check()
        page.get_by_label("Header").fill("For your trip")
        shot(page, "inbox-products-1280")
        page.get_by_role("button", name="Send products").click()
        expect(page.locator(".side-out").last).to_contain_text(
            "Here are the products we talked about.")
        interactive = inbox_world.graph.sent[-1].payload["interactive"]
        assert interactive["type"] == "product_list"
        assert interactive["header"] == {"type": "text", "text": "For your trip"}
        assert interactive["action"] == {"catalog_id": CATALOG_ID, "sections": [
            {"title": "Products", "product_items": [{"product_retailer_id": shirt},
                                                    {"product_retailer_id": scarf}]}]}
        assert overflow(page) == 0

        page.set_viewport_size(NARROW_VIEWPORT)
        page.reload()
        page.get_by_text("Send products from the catalog").click()
        page.get_by_role("button", name="Emoji").click()
        assert overflow(page) == 0
        shot(page, "inbox-composer-phone-390")
        assert browsing.console_errors == [] and browsing.outside == []


def _artifact(name: str) -> str:
    """Where `shot` keeps a screenshot (for the second context's page)."""
    return str(conftest.ARTIFACTS / f"{name}.png")
