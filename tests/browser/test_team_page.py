"""The Team page in a real Chromium, against `storechat serve` run as a user runs it.

The owner opens Settings → Team from the nav, invites an agent, copies the link (shown
once); the agent opens it signed out, chooses a password and lands in the store seeing
only Home and Customers; settings answer 403 saying why. The owner then makes them an
admin and removes them: the next page they open no longer has the store.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.served import (
    NARROW_VIEWPORT,
    VIEWPORT,
    Served,
    assert_stopped_cleanly,
    chromium,
    overflow,
    set_up_owner,
    shot,
    sign_in,
    storechat_serve,
)

OWNER = "owner@example.com"
OWNER_PASSWORD = "the owner's long password"
AGENT = "agent@example.com"
AGENT_PASSWORD = "the agent's long password"
# The agent opens a settings page on purpose (403), the removed agent their old store (404),
# the used link is opened again (404): Chromium reports each status on its console, and
# nothing else is expected there.
EXPECTED_ERRORS = re.compile(r"^Failed to load resource: the server responded with a status of "
                             r"(403|404) .*$")


def _both_widths(page: Page, name: str) -> None:
    """Screenshots at desktop and phone width; on the phone nothing scrolls sideways."""
    shot(page, name)
    page.set_viewport_size(NARROW_VIEWPORT)
    try:
        shot(page, f"{name}-narrow")
        assert overflow(page) <= 0, f"{page.url} is wider than a phone screen"
    finally:
        page.set_viewport_size(VIEWPORT)


def _sign_out(page: Page) -> None:
    page.locator("header.topbar").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()


def _owner_invites(page: Page, served: Served) -> str:
    set_up_owner(page, served, OWNER, OWNER_PASSWORD)
    page.get_by_role("button", name="Try the demo store").click()
    page.goto(f"{served.url}/")
    page.locator("#site-nav").get_by_role("link", name="Team", exact=True).click()
    expect(page).to_have_url(re.compile(r"/stores/\d+/team$"))
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    expect(page.locator("#no-members")).to_be_visible()
    page.get_by_label("Their email").fill(AGENT)
    page.get_by_label("Agent").check()
    page.get_by_role("button", name="Create invitation link").click()
    expect(page.get_by_role("heading", name=f"Invitation link for {AGENT} (agent)")) \
        .to_be_visible()
    link = page.get_by_role("textbox", name="Invitation link").input_value()
    assert re.match(rf"^{re.escape(served.url)}/join/\S+$", link), link
    expect(page.locator("tr[id^=invite-]")).to_have_count(1)
    _both_widths(page, "team-invite-link")
    _sign_out(page)
    return link


def _agent_joins(page: Page, served: Served, link: str) -> str:
    page.goto(link)
    expect(page.get_by_role("heading", name=re.compile(r"^Join "))).to_be_visible()
    expect(page.locator("#join-role")).to_contain_text("invited as agent")
    _both_widths(page, "team-join")
    page.locator("#password").fill(AGENT_PASSWORD)
    page.get_by_label("Password again").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Create my account and join").click()
    expect(page).to_have_url(f"{served.url}/")
    expect(page.locator(".flash")).to_contain_text("as agent")
    expect(page.locator("header.topbar")).to_contain_text(AGENT)
    page.locator("#site-nav").get_by_role("link", name="Customers", exact=True).click()
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    store_url = page.url.rsplit("/customers", 1)[0]
    nav = page.locator("#site-nav")
    for hidden in ("Team", "Automations", "WhatsApp number", "API tokens", "Store connection"):
        expect(nav.get_by_role("link", name=hidden, exact=True)).to_have_count(0)
    _both_widths(page, "team-agent-customers")
    page.goto(f"{store_url}/settings/connection")
    expect(page.get_by_role("heading", name="This page is not open to you")).to_be_visible()
    expect(page.locator(".error-page")).to_contain_text("Your role in this store is agent")
    _both_widths(page, "team-agent-refused")
    _sign_out(page)
    return store_url


def _owner_changes_and_removes(page: Page, served: Served, store_url: str) -> None:
    sign_in(page, served.url, OWNER, OWNER_PASSWORD)
    page.goto(f"{store_url}/team")
    row = page.locator("tr[id^=member-]")
    expect(row).to_contain_text(AGENT)
    expect(page.locator("#no-pending")).to_be_visible()  # the link was used
    row.get_by_label(f"Role of {AGENT}", exact=True).select_option("admin")
    row.get_by_role("button", name=f"Change the role of {AGENT}").click()
    expect(page.locator(".flash")).to_contain_text(f"{AGENT} is now admin")
    _both_widths(page, "team-members")
    page.get_by_role("button", name=f"Remove {AGENT} from the team").click()
    expect(page.locator(".flash")).to_contain_text("was removed from the team")
    expect(page.locator("#no-members")).to_be_visible()
    _sign_out(page)
    sign_in(page, served.url, AGENT, AGENT_PASSWORD)
    expect(page).to_have_url(f"{served.url}/")
    # An account with no store left is like a new one: nothing of the owner's is listed.
    expect(page.get_by_role("heading", name="Your stores")).to_have_count(0)
    page.goto(f"{store_url}/customers")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


@pytest.mark.browser
def test_inviting_and_joining_a_team_through_storechat_serve(tmp_path: Path,
                                                              chromium_path: str) -> None:
    with storechat_serve(tmp_path) as served:
        with chromium(chromium_path, "team-failure") as browsing:
            link = _owner_invites(browsing.page, served)
            store_url = _agent_joins(browsing.page, served, link)
            _owner_changes_and_removes(browsing.page, served, store_url)
            # The link was used: opened again it says so (the third expected console error).
            browsing.page.goto(link)
            expect(browsing.page.locator("#invite-reason")).to_contain_text("already been used")

    expected = [e for e in browsing.console_errors if EXPECTED_ERRORS.match(e)]
    assert len(expected) == 3 == len(browsing.console_errors), browsing.console_errors
    assert browsing.outside == [], "the pages asked for something beyond 127.0.0.1"
    assert_stopped_cleanly(served)
