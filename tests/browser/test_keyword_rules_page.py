"""Automations → Keyword rules in a real Chromium, wide and on a phone: the owner finds it
in the nav, adds a rule, a regex RE2 refuses is explained beside the field, the live tester
names the matching rule as the owner types (script served under the CSP), and nothing
spills sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import KeywordRule
from tests.admin.test_journeys import make_store
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.conftest import create_owner, make_app
from tests.fakes.server import LoopbackServer
from tests.worlds.keyword_rules import add_rule

EMAIL = "owner@example.com"


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    app = make_app(tmp_path / "instance")
    create_owner(app, EMAIL)
    store_id = make_store(app, email=EMAIL)
    add_rule(app, store_id, ["refund", "reembolso"], reply="Refunds take 5 working days.",
             tags=["refund"])
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_an_owner_adds_a_rule_and_tries_it_live(served_app: tuple[Flask, str, int],
                                                chromium_path: str) -> None:
    app, url, store_id = served_app
    with chromium(chromium_path, "keyword-rules-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.goto(f"{url}/stores/{store_id}/automations")
        page.get_by_role("link", name="Keyword rules").click()
        expect(page.get_by_role("heading", name="Keyword rules", exact=True)).to_be_visible()

        page.locator("#match").select_option("regex")
        page.locator("#words").fill(r"(a)\1")
        page.locator("#reply").fill("Never saved.")
        page.get_by_role("button", name="Add rule").click()
        expect(page.locator("#error-words")).to_contain_text(
            "This regular expression cannot be used")
        shot(page, "keyword-rules-refused")

        page.locator("#match").select_option("any")
        page.locator("#words").fill("envío, shipping")
        page.locator("#reply").fill("We ship in 2 working days.")
        page.locator("#buttons").fill("Track my order\nTalk to us")
        page.locator("#tags").fill("shipping")
        page.get_by_role("button", name="Add rule").click()
        expect(page.get_by_text("Keyword rule added.")).to_be_visible()
        page.wait_for_load_state("domcontentloaded")  # the tester's script has run

        page.locator("#sample").fill("¿Cuánto cuesta el ENVIO?")
        result = page.locator("#tester-result")
        expect(result).to_contain_text("Rule 2 matches.")
        expect(result).to_contain_text("Reply: We ship in 2 working days.")
        expect(page.locator(".keyword-rule.is-match")).to_have_count(1)
        page.locator("#sample").fill("I want a REEMBOLSO")
        expect(result).to_contain_text("Rule 1 matches.")
        for viewport, name in ((VIEWPORT, "keyword-rules-wide"),
                               (NARROW_VIEWPORT, "keyword-rules-phone")):
            page.set_viewport_size(viewport)
            assert overflow(page) == 0, name
            shot(page, name)
        page.set_viewport_size(VIEWPORT)

        page.get_by_role("button", name="Move rule 2 up").click()
        expect(page.locator(".keyword-rule").first).to_contain_text("envío")  # reloaded
        page.wait_for_load_state("domcontentloaded")
        page.locator("#sample").fill("shipping?")
        expect(page.locator("#tester-result")).to_contain_text("Rule 1 matches.")
        # The refused regex answered 422, as it should; nothing else complained (no CSP error).
        assert [e for e in browsing.console_errors if "422" not in e] == []
    with app.app_context():
        rows = db.session().scalars(select(KeywordRule).order_by(KeywordRule.position)).all()
        assert [(r.words, r.buttons) for r in rows] == [
            (["envío", "shipping"], ["Track my order", "Talk to us"]),
            (["refund", "reembolso"], [])]
