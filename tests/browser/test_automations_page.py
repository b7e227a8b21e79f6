"""The automations page in a real Chromium: editing a journey re-renders the phone preview
from a real order before anything is saved; saving keeps the change; a test send shows up
in the message log."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Automation, Message
from tests.admin.test_journeys import make_store, money
from tests.browser.served import chromium, shot, sign_in
from tests.conftest import create_owner, make_app
from tests.fakes.server import LoopbackServer

EMAIL = "owner@example.com"


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    app = make_app(tmp_path / "instance")
    create_owner(app, EMAIL)
    store_id = make_store(app, email=EMAIL)
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


def saved(app: Flask, store_id: int) -> Automation:
    with app.app_context():
        return db.session().scalars(select(Automation).where(
            Automation.store_id == store_id, Automation.journey == "order_confirmation")).one()


@pytest.mark.browser
def test_editing_a_journey_previews_then_saves(served_app: tuple[Flask, str, int],
                                               chromium_path: str) -> None:
    app, url, store_id = served_app
    rui, marta = (f"Hi {{}}, thank you for your order {{}}! Total: {money(amount)}."
                  for amount in ("54.80", "12.00"))
    with chromium(chromium_path, "automations-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        expect(page.locator("header.topbar")).to_contain_text(EMAIL)

        page.goto(f"{url}/stores/{store_id}/automations")
        expect(page.get_by_role("heading", name="Automations for Linen & Co")).to_be_visible()
        expect(page.locator('tr[data-journey="order_shipped"]')).to_contain_text(
            "pending at Meta")
        shot(page, "automations-list")
        page.get_by_role("link", name="Order confirmation").click()
        expect(page.get_by_role("heading", name="Order confirmation")).to_be_visible()
        text = page.locator("#preview-text")
        expect(text).to_have_text(rui.format("Rui", "#2002"))

        # The preview follows the form before anything is saved.
        page.get_by_label("{{1}} is the order's").select_option(label="Order number")
        expect(text).to_have_text(rui.format("#2002", "#2002"))
        page.get_by_label("Preview with").select_option(label="Order #2001 · placed")
        expect(text).to_have_text(marta.format("#2001", "#2001"))
        page.get_by_label("Wait before sending").fill("2")
        page.get_by_label("Unit").select_option("hours")
        assert saved(app, store_id).variables[0] == "first_name"

        # Another template: its buttons show under the bubble, its blanks set the rows.
        page.get_by_label("Template", exact=True).select_option("cod_confirmation")
        expect(page.locator(".bubble-buttons li")).to_have_text(["Confirm", "Cancel"])
        expect(page.locator("#var_3")).to_be_hidden()
        shot(page, "automations-editor-buttons")
        page.get_by_label("Template", exact=True).select_option("order_confirmation")
        expect(page.locator("#var_3")).to_be_visible()
        expect(page.locator(".bubble-buttons")).to_have_count(0)
        expect(text).to_have_text(marta.format("#2001", "#2001"))

        # A delay over 7 days is flagged live, next to its field.
        page.get_by_label("Wait before sending").fill("200")
        expect(page.locator("#error-delay")).to_contain_text("at most 7 days")
        page.get_by_label("Wait before sending").fill("2")
        expect(page.locator("#error-delay")).to_be_hidden()
        shot(page, "automations-editor-preview")

        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".flash")).to_contain_text("Order confirmation saved.")
        page.reload()
        expect(page.get_by_label("{{1}} is the order's")).to_have_value("order_number")
        expect(page.get_by_label("Wait before sending")).to_have_value("2")
        expect(page.get_by_label("Unit")).to_have_value("hours")
        expect(text).to_have_text(rui.format("#2002", "#2002"))
        shot(page, "automations-editor-saved")

        # A test to the owner's own number lands in the message log.
        page.get_by_label("Your WhatsApp number").fill("912 345 678")
        page.get_by_role("button", name="Send test to my number").click()
        expect(page.locator(".flash")).to_contain_text("Test message queued to +351912345678")
        row = page.locator("#message-log tr.is-highlighted")
        expect(row).to_contain_text("Hi #2002, thank you for your order #2002!")
        expect(row).to_contain_text("test")
        shot(page, "automations-message-log")
        assert browsing.console_errors == []
        assert browsing.outside == []

    row = saved(app, store_id)
    assert (row.variables, row.delay_seconds) == (
        ["order_number", "order_number", "order_total"], 7200)
    with app.app_context():
        assert len(list(db.session().scalars(select(Message)))) == 1
