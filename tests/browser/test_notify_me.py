"""The Shopify "Notify me on WhatsApp" block in a real Chromium, on a sample product page.

The page is the block's own Liquid (extensions/storechat-widget/blocks/notify_me.liquid),
rendered here with the values Shopify would give it, beside a theme's product form whose
variant picker is `select[name=id]`; its script and style are the extension's assets.
StoreChat runs on one loopback port, the shop on another (a cross-origin post, as live).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import AlertSubscription, CatalogItem, ConsentEntry, Store, WhatsAppAccount
from tests.browser.axe import axe_script, blocking, run
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, shot
from tests.conftest import ROOT, make_app
from tests.fakes.server import LoopbackServer

EXTENSION = ROOT / "extensions" / "storechat-widget"
BLOCK = EXTENSION / "blocks" / "notify_me.liquid"
SCHEMA = re.compile(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", re.S)
# The product: size M is in stock, size L sold out.
VARIANTS = [{"id": 501, "title": "M", "available": True},
            {"id": 502, "title": "L", "available": False}]


def render_block(endpoint: str, selected: dict[str, Any]) -> str:
    """The block's HTML as Shopify renders it for `selected`, with the schema's defaults."""
    source = BLOCK.read_text()
    settings = {s["id"]: s.get("default", "") for s in
                json.loads(SCHEMA.search(source).group(1))["settings"]}  # type: ignore[union-attr]
    body = source[source.index("{%- if product"):source.index("{% schema %}")]
    body = body.split("-%}", 1)[1].rsplit("{%- endif -%}", 1)[0]
    body = re.sub(r"{% if sn_variant.available %}\s*hidden\s*{% endif %}",
                  "hidden" if selected["available"] else "", body)
    items = ",".join(json.dumps({"id": v["id"], "available": v["available"]})
                     for v in VARIANTS)  # the loop's output, inside the block's brackets
    body = re.sub(r"{%- for v in .*?{%- endfor -%}", items, body, flags=re.S)
    values = {"sn_endpoint | escape": endpoint, "block.shopify_attributes": "",
              "block.id": "b1", "sn_variant.id | escape": str(selected["id"]),
              "product.url | escape": "/products/linen-shirt",
              **{f"block.settings.{k} | escape": v for k, v in settings.items()}}

    def output(match: re.Match[str]) -> str:
        expression = match.group(1).strip("- ").strip()
        assert expression in values, f"the test does not know {{{{ {expression} }}}}"
        return str(values[expression]).replace("&", "&amp;").replace('"', "&quot;")

    rendered = re.sub(r"{{(.*?)}}", output, body)
    assert "{%" not in rendered and "{{" not in rendered, rendered
    return rendered


def product_page(endpoint: str) -> str:
    """A theme's product page with its variant picker and the block (size M chosen)."""
    options = "".join(f'<option value="{v["id"]}">{v["title"]}'
                      f'{"" if v["available"] else " (sold out)"}</option>' for v in VARIANTS)
    css = (EXTENSION / "assets" / "storechat-notify-me.css").read_text()
    js = (EXTENSION / "assets" / "storechat-notify-me.js").read_text()
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Linen shirt</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0; padding: 24px; color: #222; }}
main {{ max-width: 960px; margin: auto; display: grid; gap: 24px;
       grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); }}
.photo {{ background: #e9e4dc; aspect-ratio: 1; border-radius: 8px; }}
label.size {{ display: block; font-weight: 600; margin: 12px 0 4px; }}
select {{ font: inherit; padding: 8px; min-height: 44px; width: 100%; }}
.add {{ margin-top: 12px; width: 100%; min-height: 44px; font: inherit; }}
{css}</style></head>
<body><main><div class="photo" role="img" aria-label="Linen shirt"></div>
<section><h1>Linen shirt</h1><p>€49.90</p>
<form action="/cart/add" method="post"><label class="size" for="size">Size</label>
<select id="size" name="id">{options}</select>
<button class="add" type="submit">Add to cart</button></form>
{render_block(endpoint, VARIANTS[0])}
</section></main><script>{js}</script></body></html>"""


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


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Flask, str, str, int]]:
    """StoreChat with a store whose catalog knows both sizes, and a storefront."""
    app = make_app(tmp_path / "instance")
    with app.app_context(), db.transaction() as session:
        store = Store(platform="shopify", domain="linen.myshopify.com", name="Linen",
                      country="PT")
        session.add(store)
        session.flush()
        session.add(WhatsAppAccount(store_id=store.id, phone_number_id="1", waba_id="2",
                                    access_token="t", display_phone="+351 210 000 000"))
        for variant in VARIANTS:
            session.add(CatalogItem(
                store_id=store.id, variant_id=str(variant["id"]), product_id="50",
                retailer_id=f"{store.id}-{variant['id']}",
                title=f"Linen shirt – {variant['title']}",
                data=None, content_hash="", state="kept_out", warnings=[],
                stock_levels={"1": 4 if variant["available"] else 0}))
        key, store_id = store.key, store.id
    storefront = Storefront()
    with LoopbackServer(app) as storechat, LoopbackServer(storefront) as shop:
        storefront.pages["/products/linen-shirt"] = product_page(
            f"{storechat.url}/widget/{key}/notify")
        yield app, shop.url, key, store_id
    app.extensions["storechat.engine"].dispose()


def subscribe(page: Page, shop_url: str, phone: str, *, tick: bool = True) -> None:
    """Open the product, pick the sold-out size, open the form and send it."""
    page.goto(f"{shop_url}/products/linen-shirt")
    block = page.locator("[data-storechat-notify]")
    expect(block).to_be_hidden()  # size M is in stock
    page.get_by_label("Size").select_option("502")
    expect(block).to_be_visible()
    page.get_by_role("button", name="Notify me on WhatsApp").click()
    page.get_by_label("Your WhatsApp number").fill(phone)
    if tick:
        page.get_by_label(re.compile("back in stock")).check()
    page.get_by_role("button", name="Notify me", exact=True).click()


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [VIEWPORT, NARROW_VIEWPORT], ids=["1280", "390"])
def test_a_shopper_subscribes_from_a_sold_out_variant(
        world: tuple[Flask, str, str, int], chromium_path: str,
        viewport: dict[str, int]) -> None:
    app, shop_url, _key, store_id = world
    axe = axe_script()
    with chromium(chromium_path, f"notify-me-failure-{viewport['width']}") as browsing:
        page = browsing.page
        page.set_viewport_size(viewport)
        subscribe(page, shop_url, "912 345 678", tick=False)
        status = page.locator(".storechat-notify__status")
        expect(status).to_have_text("Please check your number and tick the box.")
        page.get_by_label(re.compile("back in stock")).check()
        page.get_by_role("button", name="Notify me", exact=True).click()
        link = page.get_by_role("link", name="Confirm on WhatsApp")
        expect(link).to_be_visible()
        shot(page, f"notify-me-{viewport['width']}")
        href = urlsplit(link.get_attribute("href") or "")
        assert (href.netloc, href.path) == ("wa.me", "/351210000000")
        assert parse_qs(href.query)["text"] == [
            "Notify me when Linen shirt – L is back in stock"]
        page.get_by_label("Size").select_option("501")  # back to a size in stock
        expect(page.locator("[data-storechat-notify]")).to_be_hidden()
        # Only the refused first try (no consent ticked) shows as a failed request.
        assert all("status of 400" in m and "/notify" in m for m in browsing.console_errors)
        assert blocking(run(page, axe)) == []
        assert browsing.outside == []

    with app.app_context(), db.transaction() as session:
        [subscription] = session.scalars(select(AlertSubscription).where(
            AlertSubscription.store_id == store_id)).all()
        assert (subscription.variant_id, subscription.state, subscription.page) == (
            "502", "pending", "/products/linen-shirt")
        [consent] = session.scalars(select(ConsentEntry)).all()
        assert (consent.purpose, consent.source) == ("back_in_stock", "widget")
        assert consent.text_shown.startswith("Send me a WhatsApp message when this product")
