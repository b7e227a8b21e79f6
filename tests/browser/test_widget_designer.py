"""The widget designer in a real Chromium: the live preview is the real widget script in its
Shadow DOM, re-rendered from the form's values without saving; saving refuses a bad number."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Store, WidgetCounter, WidgetSettings
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, shot, sign_in
from tests.conftest import ARTIFACTS, create_owner, make_app
from tests.fakes.server import LoopbackServer

EMAIL = "designer@example.com"


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    app = make_app(tmp_path / "instance")
    owner_id = create_owner(app, EMAIL)
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="shop.example", name="Linen & Co",
                      country="PT", timezone="Europe/Lisbon", owner_id=owner_id)
        session.add(store)
        session.flush()
        store_id = store.id
        now = db.utcnow()
        for phone, page, minutes_ago in (("+351912345678", "/products/linen-shirt", 9),
                                         ("+34612345678", "/", 2)):
            customer = Customer(store_id=store_id, platform_id=f"widget:{phone}",
                                phone_e164=phone, tags=[])
            session.add(customer)
            session.flush()
            session.add(ConsentEntry(store_id=store_id, customer_id=customer.id,
                                     purpose="order_updates", granted=True, source="widget",
                                     text_shown="Send me order updates on WhatsApp.",
                                     page=page, created_at=now - timedelta(minutes=minutes_ago)))
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_the_live_preview_renders_the_forms_values(served_app: tuple[Flask, str, int],
                                                   chromium_path: str) -> None:
    app, url, store_id = served_app
    with chromium(chromium_path, "widget-designer-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        expect(page.get_by_role("link", name="Widget for Linen & Co")).to_be_visible()
        page.get_by_role("link", name="Widget for Linen & Co").click()
        expect(page.get_by_role("heading", name="Chat widget for Linen & Co")).to_be_visible()
        status = page.locator("#preview-status")
        expect(status).to_contain_text("add an agent")  # no agent, no number: nothing to show

        # Typing an agent renders the real widget in the stage, from the form's values.
        page.locator("#agent-name-1").fill("Ana")
        page.locator("#agent-phone-1").fill("912 345 678")
        page.locator("#agent-role-1").fill("Sales")
        page.get_by_role("button", name="Add another agent").click()
        page.locator("#agent-name-2").fill("Rui <b>")
        page.locator("#agent-phone-2").fill("+351 913 000 111")
        page.locator("#cta").fill("Talk to us")
        page.locator("#greeting").fill("Hello <script>alert(1)</script>")
        stage = page.locator("#designer-stage")
        launcher = stage.locator("storechat-widget button.l")
        expect(launcher).to_have_attribute("aria-label", "Talk to us")
        host = stage.locator("storechat-widget")
        assert host.evaluate("h => !!h.shadowRoot && h.parentElement.id") == "designer-stage"
        # Fixed inside the stage's corner, not the page's.
        box, stage_box = host.bounding_box(), stage.bounding_box()
        assert box and stage_box
        assert box["x"] + 60 + 20 == pytest.approx(stage_box["x"] + stage_box["width"] - 1, abs=2)

        launcher.click()
        panel = stage.locator("storechat-widget [role=dialog]")
        expect(panel).to_be_visible()
        expect(panel.locator(".h p")).to_have_text("Hello <script>alert(1)</script>")
        expect(panel.locator("li")).to_have_count(2)
        expect(panel.locator("li").nth(1).locator("b")).to_have_text("Rui <b>")

        # A change re-renders and keeps the panel open; colour and position follow the form.
        page.locator("#color").evaluate(
            "e => { e.value = '#7b1fa2'; e.dispatchEvent(new Event('input', {bubbles: true})); }")
        page.locator("#position").select_option("start")
        expect(panel.locator(".h")).to_have_css("background-color", "rgb(123, 31, 162)")
        expect(panel).to_be_visible()
        page.locator("#greeting").fill("Hello <script>alert(2)</script>")
        expect(panel.locator(".h p")).to_have_text("Hello <script>alert(2)</script>")
        expect(page.locator("#greeting")).to_be_focused()  # typing stays in the form
        box = host.bounding_box()
        assert box and box["x"] == pytest.approx(stage_box["x"] + 20 + 1, abs=2)

        # Business hours: a closed Monday-to-Sunday shows the away note in the preview.
        page.get_by_label("At these hours").check()
        page.locator("#away").fill("Back at nine")
        expect(panel.locator(".w")).to_have_text("Back at nine")
        shot(page, "widget-designer-preview")

        # A bad number shows its error next to the agents, live and on save; nothing saved.
        page.locator("#agent-phone-2").fill("12")
        expect(page.locator("#error-agents")).to_contain_text("Agent 2")
        page.get_by_role("button", name="Save widget").click()
        expect(page.locator("#form-errors")).to_contain_text("Nothing was saved")
        expect(page.locator("#error-agents")).to_contain_text(
            "not a valid phone number; write it with its country code")
        expect(page.locator("#error-agents")).to_contain_text("read as a number in Portugal")
        with app.app_context():
            assert db.session().scalars(select(WidgetSettings)).first() is None

        # An agent in Spain on a Portuguese store: kept in E.164, still there after a reload.
        page.locator("#agent-phone-2").fill("+34 612 345 678")
        page.get_by_role("button", name="Save widget").click()
        expect(page.locator(".flash")).to_contain_text("Widget settings saved")
        expect(page.locator("#agent-phone-2")).to_have_value("+34612345678")
        expect(stage.locator("storechat-widget button.l")).to_have_attribute(
            "aria-label", "Talk to us")
        stage.locator("storechat-widget button.l").click()
        expect(panel.locator(".w")).to_have_text("Back at nine")
        expect(panel.locator("li")).to_have_count(2)
        shot(page, "widget-designer-saved")

        # The newest opt-ins, numbers masked.
        optins = page.locator("#optins")
        expect(optins.locator("tbody tr")).to_have_count(2)
        expect(optins.locator("tbody tr").first).to_contain_text("+34 ••••••678")
        expect(optins.locator("tbody tr").nth(1)).to_contain_text("/products/linen-shirt")
        optins.scroll_into_view_if_needed()
        optins.screenshot(path=str(ARTIFACTS / "widget-designer-optins.png"))
        page.set_viewport_size(NARROW_VIEWPORT)
        optins.screenshot(path=str(ARTIFACTS / "widget-designer-optins-narrow.png"))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        page.set_viewport_size(VIEWPORT)

    with app.app_context():
        row = db.session().scalars(select(WidgetSettings)).one()
        assert [(a["name"], a["phone"]) for a in row.settings["agents"]] == [
            ("Ana", "+351912345678"), ("Rui <b>", "+34612345678")]
        key = db.session().get(Store, store_id).key  # type: ignore[union-attr]
        assert (row.settings["color"], row.settings["position"]) == ("#7b1fa2", "start")
        # Preview clicks and opens are never counted.
        assert db.session().scalars(select(WidgetCounter)).first() is None
    assert overflow <= 0, "the opt-ins table is wider than a phone"
    # The storefront gets both agents, the one abroad included.
    with app.test_client() as storefront:
        config = storefront.get(f"/widget/{key}/config.json").get_json()
    assert [a["phone"] for a in config["agents"]] == ["351912345678", "34612345678"]
    # The refused save answers 400 on purpose; Chromium reports that status, nothing else.
    assert [e for e in browsing.console_errors
            if not e.startswith("Failed to load resource: the server responded with a status "
                                f"of 400 (BAD REQUEST) ({url}/stores/{store_id}/widget)")] == []
    assert browsing.outside == []


SHOP = "acme-linen.myshopify.com"
SHOP_API_KEY = "designer-api-key"
SHOP_API_SECRET = "shpss_designer_secret_0123456789abcd"

# What App Bridge does for these pages, reduced to the two calls they rely on: idToken()
# answers a fresh ID token, and on Shopify's bounce page (`shopify-reload`) it reloads the
# target with that token. Served in place of the CDN script, which tests may not reach.
APP_BRIDGE_STUB = """
window.shopify = { idToken: function () { return Promise.resolve(%(token)s); } };
(function () {
  var target = new URLSearchParams(location.search).get('shopify-reload');
  if (!target) return;
  var next = new URL(target, location.origin);
  next.searchParams.set('id_token', %(token)s);
  location.replace(next.toString());
}());
"""


def _shop_id_token() -> str:
    from tests.worlds.shopify import id_token

    return id_token(SHOP, SHOP_API_SECRET, expires_in=600, api_key=SHOP_API_KEY)


@pytest.fixture
def shop_served(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    app = make_app(tmp_path / "instance", shopify_api_key=SHOP_API_KEY,
                   shopify_api_secret=SHOP_API_SECRET)
    with app.app_context(), db.transaction() as session:
        store = Store(platform="shopify", domain=SHOP, name="Acme Linen", country="PT")
        session.add(store)
        session.flush()
        store_id = store.id
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_inside_shopify_the_preview_and_save_carry_the_id_token(
        shop_served: tuple[Flask, str, int], chromium_path: str) -> None:
    import json

    app, url, store_id = shop_served
    token = _shop_id_token()
    with chromium(chromium_path, "widget-designer-embedded-failure") as browsing:
        page = browsing.page
        page.route("https://cdn.shopify.com/shopifycloud/app-bridge.js",
                   lambda route: route.fulfill(
                       content_type="text/javascript",
                       body=APP_BRIDGE_STUB % {"token": json.dumps(token)}))
        previews: list[str] = []
        page.on("request", lambda r: previews.append(r.headers.get("authorization", ""))
                if r.url.startswith(f"{url}/stores/{store_id}/widget/preview") else None)

        # As Shopify's admin opens it: embedded, with an ID token and no cookie.
        page.goto(f"{url}/stores/{store_id}/widget?embedded=1&shop={SHOP}&id_token={token}")
        expect(page.get_by_role("heading", name="Chat widget for Acme Linen")).to_be_visible()
        page.locator("#agent-name-1").fill("Ana")
        page.locator("#agent-phone-1").fill("912 345 678")
        page.locator("#cta").fill("Fale connosco")
        launcher = page.locator("#designer-stage storechat-widget button.l")
        expect(launcher).to_have_attribute("aria-label", "Fale connosco")
        assert previews and set(previews) == {f"Bearer {token}"}

        page.get_by_role("button", name="Save widget").click()
        # Saved, redirected through the bounce page, and told so.
        expect(page.locator(".flash")).to_contain_text("Widget settings saved")
        expect(page.get_by_role("heading", name="Chat widget for Acme Linen")).to_be_visible()
        assert "embedded=1" in page.url and "id_token=" in page.url
        shot(page, "widget-designer-embedded-saved")

    with app.app_context():
        row = db.session().scalars(select(WidgetSettings)).one()
        assert row.settings["cta"] == "Fale connosco"
        assert [a["name"] for a in row.settings["agents"]] == ["Ana"]
    assert browsing.console_errors == []
    assert browsing.outside == []
