"""Owner accounts in a real Chromium, against `storechat serve` run as a user runs it.

One server for the whole story: the first-run set-up link `serve` printed, signing out and
in, a wrong password, "Forgot your password?" with the reset link read from the server's
log (no mail server here), and the one-time links refusing a second use.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.served import (
    NARROW_VIEWPORT,
    VIEWPORT,
    Browsing,
    Served,
    assert_stopped_cleanly,
    chromium,
    set_up_owner,
    shot,
    storechat_serve,
)

EMAIL = "owner@example.com"
FIRST_PASSWORD = "first password, long enough"
NEW_PASSWORD = "second password, also long"
WRONG_PASSWORD = "not the password at all"
SECOND_EMAIL = "second.owner@example.com"
SECOND_PASSWORD = "the second owner's password"
WRONG_CREDENTIALS = "That email and password do not match an account."
# A wrong password is answered 401 and Chromium reports that status on its console: the
# only console errors this story expects, one per wrong sign-in (WRONG_SIGN_INS of them).
WRONG_SIGN_INS = 2
SIGNIN_401 = re.compile(r"^Failed to load resource: the server responded with a status of "
                        r"401 .*\(http://127\.0\.0\.1:\d+/signin\)$")


def _on_signin(page: Page, served: Served) -> None:
    expect(page).to_have_url(re.compile(rf"^{re.escape(served.url)}/signin(\?.*)?$"))
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()


def _sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def _signed_in(page: Page, served: Served) -> None:
    """On the admin home, the top bar naming the owner and offering to sign out."""
    expect(page).to_have_url(f"{served.url}/")
    topbar = page.locator("header.topbar")
    expect(topbar).to_contain_text(EMAIL)
    expect(topbar.get_by_role("button", name="Sign out")).to_be_visible()


def _sign_out(page: Page, served: Served) -> None:
    page.locator("header.topbar").get_by_role("button", name="Sign out").click()
    _on_signin(page, served)
    expect(page.locator(".flash")).to_have_text("You are signed out.")
    expect(page.locator("header.topbar")).not_to_contain_text(EMAIL)


def _wrong_password(page: Page, served: Served, password: str) -> None:
    _sign_in(page, EMAIL, password)
    _on_signin(page, served)
    expect(page.locator(".flash-error")).to_have_text(WRONG_CREDENTIALS)
    expect(page.get_by_label("Email")).to_have_value(EMAIL)  # kept, to try again
    expect(page.locator("header.topbar")).not_to_contain_text(EMAIL)


def _fits_a_phone(page: Page, name: str) -> None:
    """On a phone-sized screen the page reflows instead of scrolling sideways."""
    page.set_viewport_size(NARROW_VIEWPORT)
    try:
        shot(page, name)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{page.url} is {overflow}px wider than a phone screen"
    finally:
        page.set_viewport_size(VIEWPORT)


def _first_run(page: Page, served: Served) -> str:
    """Nobody signed in is sent to sign in, which points at the printed set-up link; the
    owner opens that link and creates the account. Returns the link."""
    page.goto(f"{served.url}/")
    _on_signin(page, served)
    expect(page.locator(".notice")).to_contain_text("no owner account yet")
    shot(page, "signin-first-run")
    return set_up_owner(page, served, EMAIL, FIRST_PASSWORD, screenshot="setup")


def _story(browsing: Browsing, served: Served) -> None:
    page = browsing.page
    setup_link = _first_run(page, served)
    _signed_in(page, served)

    _sign_out(page, served)
    expect(page.locator(".notice")).to_have_count(0)  # an owner exists now
    shot(page, "signin")
    _fits_a_phone(page, "signin-narrow")
    page.goto(f"{served.url}/")  # the admin is closed again
    expect(page).to_have_url(re.compile(rf"^{re.escape(served.url)}/signin\?next=(/|%2F)$"))
    _on_signin(page, served)

    # The set-up link worked once; now it only says to sign in.
    page.goto(setup_link)
    _on_signin(page, served)
    expect(page.locator(".flash")).to_contain_text("already has an owner")
    expect(page.get_by_role("button", name="Create account")).to_have_count(0)
    expect(page.locator("input[name=confirm]")).to_have_count(0)

    _wrong_password(page, served, WRONG_PASSWORD)
    shot(page, "signin-wrong-password")

    # Forgot the password: the link goes to the server's log, there being no mail server.
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_url(f"{served.url}/reset")
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    shot(page, "reset-request")
    mark = served.log_mark()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Send the reset link").click()
    _on_signin(page, served)
    expect(page.locator(".flash")).to_contain_text("a reset link is on its way")
    reset_link = served.reset_link(EMAIL, since=mark)

    page.goto(reset_link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    shot(page, "reset")
    page.locator("#password").fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    _signed_in(page, served)
    expect(page.locator(".flash")).to_contain_text("Your password is changed")

    _sign_out(page, served)
    _wrong_password(page, served, FIRST_PASSWORD)  # the old password no longer works
    _sign_in(page, EMAIL, NEW_PASSWORD)
    _signed_in(page, served)

    # The reset link worked once; opened again it is refused, and says why.
    page.goto(reset_link)
    expect(page).to_have_url(f"{served.url}/reset")
    expect(page.locator(".flash-error")).to_have_text(
        "This reset link has already been used: ask for a new one.")
    expect(page.get_by_role("button", name="Change password")).to_have_count(0)
    shot(page, "reset-link-used")

    _invite_a_second_owner(page, served)


def _invite_a_second_owner(page: Page, served: Served) -> None:
    """The owner (with the demo store) invites a second owner from the Team page; the link,
    shown once, makes a new account that has no store, not even a glimpse of the first's."""
    page.goto(f"{served.url}/")
    page.get_by_role("button", name="Try the demo store").click()
    page.goto(f"{served.url}/")
    expect(page.get_by_role("link", name="Open the demo store")).to_be_visible()

    page.goto(f"{served.url}/settings/owners")
    expect(page.get_by_role("heading", name="Owner accounts", exact=True)).to_be_visible()
    expect(page.locator("#no-pending")).to_be_visible()
    page.get_by_label("Their email").fill(SECOND_EMAIL)
    page.get_by_role("button", name="Create invitation link").click()
    expect(page).to_have_url(f"{served.url}/settings/owners")
    expect(page.get_by_role("heading", name=f"Invitation link for {SECOND_EMAIL}")).to_be_visible()
    field = page.get_by_role("textbox", name="Invitation link")
    link = field.input_value()
    assert link.startswith(f"{served.url}/invite/"), link
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#copy-status")).to_have_text(
        re.compile(r"^(Copied to the clipboard\.|Selected: press Ctrl\+C .*)$"))
    expect(page.locator("tr[id^=invite-]")).to_have_count(1)  # listed as pending too
    shot(page, "owners-invite-link")
    _fits_a_phone(page, "owners-invite-link-narrow")
    page.reload()  # shown once: now only the pending invitation, withdrawable
    expect(page.locator("#invite-link")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Withdraw the invitation for {SECOND_EMAIL}")) \
        .to_be_visible()
    shot(page, "owners-pending")
    _fits_a_phone(page, "owners-pending-narrow")
    _sign_out(page, served)

    page.goto(link)
    expect(page.get_by_role("heading", name="Create your owner account")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(SECOND_EMAIL)
    shot(page, "invite-accept")
    _fits_a_phone(page, "invite-accept-narrow")
    page.locator("#password").fill(SECOND_PASSWORD)
    page.get_by_label("Password again").fill(SECOND_PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(f"{served.url}/")
    expect(page.locator(".flash")).to_contain_text("Your owner account is ready")
    expect(page.locator("header.topbar")).to_contain_text(SECOND_EMAIL)
    # A new owner, with no store: the first owner's demo store is nowhere to be seen.
    expect(page.get_by_role("button", name="Try the demo store")).to_be_visible()
    expect(page.get_by_role("link", name="Open the demo store")).to_have_count(0)
    expect(page.get_by_role("heading", name="Your stores")).to_have_count(0)
    page.goto(f"{served.url}/settings/owners")
    expect(page.locator("#owners-list")).to_contain_text(f"invited by {EMAIL}")
    expect(page.locator("#owners-list li")).to_have_count(1)


@pytest.mark.browser
def test_owner_accounts_through_storechat_serve(tmp_path: Path, chromium_path: str) -> None:
    """Set up, sign out, sign in, reset a forgotten password; one-time links work once."""
    with storechat_serve(tmp_path) as served:
        with chromium(chromium_path, "owner-accounts-failure") as browsing:
            _story(browsing, served)

    refused = [e for e in browsing.console_errors if SIGNIN_401.match(e)]
    assert len(refused) == WRONG_SIGN_INS, browsing.console_errors
    assert [e for e in browsing.console_errors if e not in refused] == []
    assert browsing.outside == [], "the pages asked for something beyond 127.0.0.1"
    assert_stopped_cleanly(served)
