"""Two people answering the inbox in real Chromiums: an agent of the store's team, on a
desktop, assigns the conversation to herself and replies with a quick reply; the owner, on a
390 px phone, sees the reply and the assignment arrive without reloading, and so does the
agent when the shopper writes again. Nothing spills sideways."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Customer, Order, QuickReply
from tests import conftest
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
from tests.worlds.inbox import OWNER_EMAIL, InboxWorld
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
    page.get_by_role("link", name="Ana").first.click()
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


def _artifact(name: str) -> str:
    """Where `shot` keeps a screenshot (for the second context's page)."""
    return str(conftest.ARTIFACTS / f"{name}.png")
