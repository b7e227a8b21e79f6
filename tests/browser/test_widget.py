"""The click-to-chat widget in a real Chromium, on sample storefront pages served in the test.

StoreChat runs on one loopback port, the storefront on another (a cross-origin embed, as on
a real shop). The storefront includes the widget as the install instructions say:
`<script src="http://127.0.0.1:PORT/widget.js" data-store="KEY" defer>`.
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import ConsentEntry, Store, WidgetCounter, WidgetSettings
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, shot
from tests.conftest import ARTIFACTS, make_app
from tests.fakes.server import LoopbackServer

TRICKY = 'Tom & Jerry #1 — 50% "off" 🎉'
OPTIN_400 = re.compile(r"^Failed to load resource: the server responded with a status of 400 "
                       r".*\(http://127\.0\.0\.1:\d+/widget/[\w-]+/optin\)$")
STORE_NAME = "<script>alert(1)</script> Shop"
HOSTILE_CSS = ("* { color: red !important; font-size: 40px !important; "
               "font-family: serif !important; box-sizing: content-box !important; "
               "border: 3px dotted blue !important; padding: 9px !important; }\n"
               "div, button, a, span, p, ul { display: inline !important; }\n"
               "storechat-widget { display: none !important; width: 900px !important; }")
# Records every layout shift and analytics call before anything else runs.
PROBES = """<script>
window.cls = 0;
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) { if (!e.hadRecentInput) window.cls += e.value; });
}).observe({type: 'layout-shift', buffered: true});
window.calls = [];
window.dataLayer = [];
window.gtag = function () { window.calls.push(['gtag'].concat([].slice.call(arguments))); };
window.fbq = function () { window.calls.push(['fbq'].concat([].slice.call(arguments))); };
</script>"""


def storefront_page(widget_url: str, key: str, *, lang: str = "en", hostile: bool = False,
                    attrs: str = "", head: str = "", with_widget: bool = True) -> str:
    style = f"<style>{HOSTILE_CSS}</style>" if hostile else ""
    script = (f'<script src="{widget_url}/widget.js" data-store="{key}" {attrs} defer></script>'
              if with_widget else "")
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Sample storefront</title>
{PROBES}{head}{style}
<style>body {{ margin: 0; font: 16px Georgia, serif; }} main {{ padding: 24px; }}
p#probe {{ color: rgb(10, 20, 30); }}</style>
{script}</head>
<body><main><h1>Sample product</h1><p id="probe">A paragraph of the shop's own text.</p>
<a href="#reviews">Reviews</a> <button type="button">Add to cart</button>
{"<p>" + "Long description. " * 400 + "</p>"}</main></body></html>"""


class Storefront:
    """A tiny WSGI site whose pages the test sets: path → HTML."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        body = self.pages.get(environ["PATH_INFO"])
        if body is None:
            start("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]


def add_store(app: Flask, settings: dict[str, Any], name: str = STORE_NAME) -> str:
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="shop.example", name=name, country="PT",
                      timezone="Europe/Lisbon")
        session.add(store)
        session.flush()
        session.add(WidgetSettings(store_id=store.id, settings=settings))
        return store.key


AGENTS = [{"name": "Ana", "role": "Sales", "phone": "+351 912 345 678"},
          {"name": "Rui", "role": "Support", "phone": "+351 913 000 111"}]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Flask, str, Storefront, str]]:
    app = make_app(tmp_path / "instance")
    storefront = Storefront()
    with LoopbackServer(app) as storechat, LoopbackServer(storefront) as shop:
        yield app, storechat.url, storefront, shop.url
    app.extensions["storechat.engine"].dispose()


def host_box(page: Page) -> dict[str, float]:
    box = page.locator("storechat-widget").bounding_box()
    assert box is not None
    return box


def tab_to_launcher(page: Page) -> None:
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.localName") == \
                "storechat-widget":
            return
    pytest.fail("Tab never reached the widget's launcher")


def text_of_link(href: str) -> tuple[str, str]:
    parts = urlsplit(href)
    query = parse_qs(parts.query, keep_blank_values=True)
    assert parts.scheme == "https"
    return f"{parts.netloc}{parts.path}?phone={query.get('phone', [''])[0]}", query["text"][0]


def style_of(locator: Locator, *props: str) -> list[str]:
    return locator.evaluate(
        "(e, props) => props.map(p => getComputedStyle(e)[p])", list(props))


@pytest.mark.browser
def test_widget_on_a_storefront(world: tuple[Flask, str, Storefront, str],
                                chromium_path: str) -> None:
    app, widget_url, storefront, shop_url = world
    key = add_store(app, {"agents": AGENTS, "greeting": "Hello <b>there</b>",
                          "optin": {"enabled": True, "purpose": "back_in_stock",
                                    "text": "Tell me on WhatsApp when it is back."}})
    product_attrs = (f'data-product="{html.escape(TRICKY)}" data-price="€12.50" '
                     f'data-sku="TJ-1"')
    storefront.pages["/plain"] = storefront_page(widget_url, key, with_widget=False)
    storefront.pages["/product"] = storefront_page(widget_url, key, attrs=product_attrs)
    storefront.pages["/hostile"] = storefront_page(widget_url, key, attrs=product_attrs,
                                                   hostile=True)

    with chromium(chromium_path, "widget-failure") as browsing:
        page = browsing.page
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

        # The widget's styles do not change the page.
        page.goto(f"{shop_url}/plain")
        probe_props = ("color", "fontFamily", "fontSize", "margin", "lineHeight")
        before = style_of(page.locator("#probe"), *probe_props)

        page.goto(f"{shop_url}/product")
        launcher = page.locator("storechat-widget button.l")
        expect(launcher).to_be_visible()
        assert style_of(page.locator("#probe"), *probe_props) == before
        box = host_box(page)
        assert (box["width"], box["height"]) == (60, 60)
        assert box["x"] + 60 + 20 == pytest.approx(1280, abs=1)  # bottom right, 20px in
        expect(launcher).to_have_attribute("aria-label", "Chat on WhatsApp")
        expect(launcher).to_have_attribute("aria-expanded", "false")
        shot(page, "widget-closed")

        # Keyboard only: Tab to the launcher (a visible focus ring), Enter opens the panel.
        tab_to_launcher(page)
        assert style_of(launcher, "outlineStyle", "outlineWidth") == ["solid", "3px"]
        page.keyboard.press("Enter")
        panel = page.locator("storechat-widget [role=dialog]")
        expect(panel).to_be_visible()
        expect(launcher).to_have_attribute("aria-expanded", "true")
        # Owner texts are text, never markup.
        expect(panel.locator("#sct")).to_have_text(STORE_NAME)
        expect(panel.locator(".h p")).to_have_text("Hello <b>there</b>")
        expect(panel.locator("li")).to_have_count(2)
        expect(panel.locator(".w")).to_have_count(0)  # no hours set: always open
        assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "a"
        shot(page, "widget-open")
        assert host_box(page) == box  # opening the panel does not resize the host

        # The link that would open carries the product name intact.
        first = panel.locator("a.a").first
        target, text = text_of_link(first.get_attribute("href") or "")
        assert target == "web.whatsapp.com/send?phone=351912345678"
        assert text == (f"Hi! I have a question about:\n{TRICKY}\n€12.50\n"
                        f"{shop_url}/product")

        # Enter activates the agent: analytics fire (no phone number), the beacon is counted.
        with page.expect_popup() as popup:
            page.keyboard.press("Enter")
        popup.value.close()
        opened = [u for u in browsing.outside if "whatsapp" in u]
        assert opened and text_of_link(opened[0])[1] == text
        browsing.outside.clear()
        calls = page.evaluate("JSON.stringify([window.calls, window.dataLayer])")
        assert '["gtag","event","generate_lead"' in calls and '["fbq","track","Contact"]' in calls
        assert "storechat_click" in calls
        assert "912345678" not in calls and "351" not in calls

        # Esc closes the panel and gives focus back to the launcher.
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        expect(launcher).to_have_attribute("aria-expanded", "false")
        assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "l"

        # The opt-in form, keyboard first: each wrong field says what is wrong next to it,
        # and it ends with a consent-log entry and a link to confirm on WhatsApp.
        launcher.press("Enter")
        optin_form(page, panel)
        page.keyboard.press("Escape")
        assert page.evaluate("window.cls") == 0

        # A hostile theme does not change the widget.
        page.goto(f"{shop_url}/hostile")
        expect(launcher).to_be_visible()
        assert host_box(page) == box
        launcher.click()
        expect(panel).to_be_visible()
        title = panel.locator("#sct")
        assert style_of(title, "fontSize", "color", "display") == ["16px", "rgb(255, 255, 255)",
                                                                   "block"]
        assert style_of(panel.locator(".a b").first, "fontSize", "color") == [
            "15px", "rgb(31, 35, 40)"]
        assert style_of(panel.locator("ul"), "display") == ["block"]
        shot(page, "widget-hostile-theme")
        assert page.evaluate("window.cls") == 0

    with app.app_context():
        clicks = db.session().scalars(select(WidgetCounter).where(
            WidgetCounter.kind == "click")).all()
        assert [(c.path, c.product, c.count) for c in clicks] == [("/product", "TJ-1", 1)]
        entry = db.session().scalars(select(ConsentEntry)).one()
        assert (entry.source, entry.purpose, entry.ip) == ("widget", "back_in_stock",
                                                           "127.0.0.1")
    assert dialogs == [], "owner text ran as script"
    # The one refused opt-in (a number only the server can judge) is a 400 Chromium logs.
    refused = [e for e in browsing.console_errors if OPTIN_400.match(e)]
    assert len(refused) == 1, browsing.console_errors
    assert [e for e in browsing.console_errors if e not in refused] == []
    assert browsing.outside == []


def view_shot(page: Page, name: str, viewport: dict[str, int] = VIEWPORT) -> None:
    """A screenshot of what the shopper sees (the widget is fixed to the viewport)."""
    page.set_viewport_size(viewport)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(VIEWPORT)


def field_error(panel: Locator, name: str) -> Locator:
    """The error text a form field points at with aria-describedby."""
    field = panel.locator(f"[name={name}]")
    described = field.get_attribute("aria-describedby")
    assert described, f"{name} points at no description"
    return panel.locator(f"#{described}")


def optin_form(page: Page, panel: Locator) -> None:
    """Empty, then a number of another country typed without its code, then a good one."""
    form = panel.locator("form")
    phone, box = form.locator("input[type=tel]"), form.locator("input[type=checkbox]")
    submit = form.locator("button[type=submit]")

    submit.press("Enter")  # nothing typed, nothing ticked: both fields say so, in place
    expect(field_error(panel, "phone")).to_have_text("Enter your phone number.")
    expect(field_error(panel, "consent")).to_have_text("Tick the box to agree.")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(phone).to_be_focused()  # the first wrong field
    view_shot(page, "widget-optin-errors")
    view_shot(page, "widget-optin-errors-narrow", NARROW_VIEWPORT)

    phone.fill("612 345 678")  # Spanish, on a Portuguese store: only the server knows
    expect(field_error(panel, "phone")).to_be_hidden()  # typing clears that field's error
    expect(phone).not_to_have_attribute("aria-invalid", "true")
    box.check()
    expect(field_error(panel, "consent")).to_be_hidden()
    submit.press("Enter")
    expect(field_error(panel, "phone")).to_have_text(
        "Check the number; add the country code (+…) if it is not a local number.")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(box).not_to_have_attribute("aria-invalid", "true")
    expect(phone).to_be_focused()
    view_shot(page, "widget-optin-invalid-number")

    phone.fill("912 345 678")
    submit.press("Enter")
    expect(form.locator("[role=status]")).to_have_text(
        "Thanks! To confirm, send us any message on WhatsApp from this number.")
    confirm = form.get_by_role("link", name="Open WhatsApp to confirm")
    expect(confirm).to_be_visible()
    assert confirm.get_attribute("href") == (
        "https://wa.me/351912345678?text=Hi!%20I%20just%20signed%20up%20on%20your%20website.")
    assert confirm.get_attribute("rel") == "noopener noreferrer"
    expect(field_error(panel, "phone")).to_be_hidden()
    expect(submit).to_be_hidden()  # done: the way on is the chat, and focus is there
    expect(confirm).to_be_focused()
    view_shot(page, "widget-optin")
    view_shot(page, "widget-optin-narrow", NARROW_VIEWPORT)


@pytest.mark.browser
def test_widget_with_an_unknown_store_key_stays_silent(
        world: tuple[Flask, str, Storefront, str], chromium_path: str) -> None:
    """A disconnected or mistyped key: no widget, and nothing in the shopper's console."""
    app, widget_url, storefront, shop_url = world
    storefront.pages["/unknown"] = storefront_page(widget_url, "no-such-store-key")
    with chromium(chromium_path, "widget-unknown-key-failure") as browsing:
        page = browsing.page
        with page.expect_response(lambda r: "/config.json" in r.url) as answer:
            page.goto(f"{shop_url}/unknown")
        assert answer.value.status == 200
        assert answer.value.json() == {"v": 1, "enabled": False}
        page.wait_for_load_state("networkidle")
        expect(page.locator("storechat-widget")).to_have_count(0)
        assert page.evaluate("window.StoreChatWidget") == 1  # the script ran, and stopped
    assert browsing.console_errors == []
    assert browsing.outside == []


@pytest.mark.browser
def test_widget_rtl_away_and_shopify_product(world: tuple[Flask, str, Storefront, str],
                                             chromium_path: str) -> None:
    app, widget_url, storefront, shop_url = world
    # Hours on Monday only, with no open span: the away note always shows.
    key = add_store(app, {"agents": AGENTS[:1], "hours": {"mon": []}}, name="متجر")
    shopify_product = ("<script>window.StoreChatProduct = {product: " + json.dumps(TRICKY)
                       + ", variant: 'Large / Blue', price: '$5.00', sku: 'V-2', "
                       "url: 'https://shop.example/products/tj'};</script>")
    storefront.pages["/ar"] = storefront_page(widget_url, key, lang="ar", head=shopify_product)

    with chromium(chromium_path, "widget-rtl-failure") as browsing:
        page = browsing.page
        page.goto(f"{shop_url}/ar")
        launcher = page.locator("storechat-widget button.l")
        expect(launcher).to_be_visible()
        assert host_box(page)["x"] == 20  # mirrored: bottom left
        expect(launcher).to_have_attribute("aria-label", "تحدث معنا عبر واتساب")
        launcher.click()
        panel = page.locator("storechat-widget [role=dialog]")
        expect(panel).to_have_attribute("dir", "rtl")
        expect(panel.locator(".w")).to_have_text("نحن غير متاحين الآن. اترك رسالة وسنرد قريبًا.")
        panel_box = panel.bounding_box()
        assert panel_box is not None and panel_box["x"] == 20
        close = panel.locator(".x").bounding_box()
        assert close is not None and close["x"] < panel_box["x"] + 60  # close on the left
        _, text = text_of_link(panel.locator("a.a").first.get_attribute("href") or "")
        assert text == (f"Hi! I have a question about:\n{TRICKY} Large / Blue\n$5.00\n"
                        "https://shop.example/products/tj")
        shot(page, "widget-rtl-away")
        assert page.evaluate("window.cls") == 0
    assert browsing.console_errors == []
    assert browsing.outside == []


@pytest.mark.browser
def test_widget_is_away_all_day_on_a_holiday(world: tuple[Flask, str, Storefront, str],
                                            chromium_path: str) -> None:
    app, widget_url, storefront, shop_url = world
    # Always open, except today in the store's zone (and tomorrow, lest the test runs at
    # midnight there): the away note shows; a holiday past does nothing.
    today = datetime.now(ZoneInfo("Europe/Lisbon")).date()
    closed = add_store(app, {"agents": AGENTS[:1],
                             "holidays": [str(today), str(today + timedelta(days=1))]})
    open_ = add_store(app, {"agents": AGENTS[:1], "holidays": ["2020-12-25"]})
    storefront.pages["/closed"] = storefront_page(widget_url, closed)
    storefront.pages["/open"] = storefront_page(widget_url, open_)
    with chromium(chromium_path, "widget-holiday-failure") as browsing:
        page = browsing.page
        for path, away in (("/closed", 1), ("/open", 0)):
            page.goto(f"{shop_url}{path}")
            page.locator("storechat-widget button.l").click()
            panel = page.locator("storechat-widget [role=dialog]")
            expect(panel).to_be_visible()
            expect(panel.locator(".w")).to_have_count(away)
        assert browsing.console_errors == []
