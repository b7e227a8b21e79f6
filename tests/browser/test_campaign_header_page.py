"""The campaign editor's header file in a real Chromium: hidden for a template without a
media header, shown for one with an image header; a file chosen there is uploaded to the
store's number (the fake Graph's media upload) and the campaign's preview names it; the
editor holds together on a 390 px phone."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from plugin.infra import db
from plugin.models import Template, WhatsAppAccount
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.conftest import create_owner, make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.worlds import campaigns as world

EMAIL = "owner@example.com"
NUMBER, TOKEN = "106540352242922", "EAAG-campaign-token"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int, FakeGraph]]:
    cloud = FakeGraph(tokens={NUMBER: TOKEN})
    with LoopbackServer(cloud) as graph:
        app = make_app(tmp_path / "instance", whatsapp_graph_url=graph.url)
        create_owner(app, EMAIL)
        w = world.build(app, reachable=3, unreachable=0, owner_email=EMAIL)
        with app.app_context(), db.transaction() as session:
            session.add(WhatsAppAccount(store_id=w.store_id, phone_number_id=NUMBER,
                                        waba_id="WABA1", access_token=TOKEN))
            session.add(Template(store_id=w.store_id, name="spring_photo", language="en",
                                 category="MARKETING", status="APPROVED",
                                 parameter_format="POSITIONAL", components=[
                                     {"type": "HEADER", "format": "IMAGE"},
                                     {"type": "BODY", "text": world.BODY}]))
        try:
            with LoopbackServer(app) as server:
                yield app, server.url, w.store_id, cloud
        finally:
            app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_the_header_file_is_asked_for_by_a_media_template_only(
        served_app: tuple[Flask, str, int, FakeGraph], chromium_path: str,
        tmp_path: Path) -> None:
    _app, url, store_id, cloud = served_app
    photo = tmp_path / "spring.png"
    photo.write_bytes(PNG)
    with chromium(chromium_path, "campaign-header-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.goto(f"{url}/stores/{store_id}/campaigns/new")
        page.get_by_label("Name").fill("Spring photo")
        page.get_by_label("Template").select_option(f"{world.TEMPLATE}|en")
        expect(page.locator("#header-media")).to_be_hidden()
        page.get_by_label("Template").select_option("spring_photo|en")
        expect(page.locator("#header-media")).to_be_visible()
        page.locator("#var1_source").select_option("field")
        page.locator("#var1_field").select_option("first_name")
        page.locator("#var2_source").select_option("text")
        page.locator("#var2_text").fill("20%")
        page.locator("#var3_source").select_option("discount")
        page.get_by_label("Segment").select_option(label="VIP")
        page.get_by_label("One code for everyone").check()
        page.get_by_label("Percent off").fill("20")
        page.get_by_label("Or upload it").set_input_files(str(photo))
        shot(page, "campaign-header-editor-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "campaign-header-editor-phone")
        page.set_viewport_size(VIEWPORT)
        page.get_by_role("button", name="Save campaign").click()
        expect(page.get_by_text("Campaign “Spring photo” saved.")).to_be_visible()
        [(_, (data, mime, name))] = cloud.media.items()
        assert (data, mime, name) == (PNG, "image/png", "spring.png")
        # Editing shows the file the campaign now has.
        page.goto(page.url + "/edit")
        expect(page.get_by_text("Or upload it (now: spring.png)")).to_be_visible()
