"""Writing a template in a real Chromium, against `storechat serve` run as a user runs it:
the phone preview and Meta's limits follow the typing (at desktop width and on a 390 px
phone), a bad value is named next to its field, and the demo store's sandbox approves the
submitted template through the embedded worker while the list watches."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.served import (
    NARROW_VIEWPORT,
    VIEWPORT,
    WAIT_MS,
    assert_stopped_cleanly,
    chromium,
    set_up_owner,
    shot,
    storechat_serve,
)

EMAIL = "owner@example.com"
PASSWORD = "templates page password"


@pytest.mark.browser
def test_write_a_template_with_its_preview_and_see_the_sandbox_approve_it(
        tmp_path: Path, chromium_path: str) -> None:
    with storechat_serve(tmp_path) as served:
        with chromium(chromium_path, "templates-failure") as browsing:
            page = browsing.page
            set_up_owner(page, served, EMAIL, PASSWORD)
            page.get_by_role("button", name="Try the demo store").click()
            link = page.get_by_role("link", name="Change the words").get_attribute("href")
            store_id = re.search(r"/stores/(\d+)/", link or "").group(1)  # type: ignore[union-attr]

            page.goto(f"{served.url}/stores/{store_id}/templates")
            expect(page.locator("#sandbox-note")).to_be_visible()
            page.get_by_role("link", name="New template").click()
            expect(page.get_by_role("heading", name="New template")).to_be_visible()

            page.get_by_label("Name", exact=True).fill("spring_news")
            page.get_by_label("Marketing").check()
            body = page.locator("#body")
            # Over the limit: the problem appears next to the field as the owner types.
            body.fill("Our spring collection is here. " * 40)
            expect(page.locator("#error-body")).to_contain_text("WhatsApp allows at most 1024")
            expect(page.locator('[data-count-for="body"]')).to_have_class(re.compile("over"))
            body.fill("Hi {{1}}, our spring collection is here: {{2}} off until Sunday!")
            expect(page.locator("#error-body")).to_be_hidden()
            # Each variable gets its sample field; the phone reads the samples.
            page.get_by_label("Sample for {{1}}", exact=True).fill("Ana")
            page.get_by_label("Sample for {{2}}", exact=True).fill("20%")
            expect(page.locator("#preview-text")).to_have_text(
                "Hi Ana, our spring collection is here: 20% off until Sunday!")
            page.locator("#footer").fill("Reply STOP at any time to stop these spring "
                                         "messages from Linen & Co")
            expect(page.locator("#error-footer")).to_contain_text("at most 60")
            page.locator("#footer").fill("Reply STOP to opt out")
            expect(page.locator("#error-footer")).to_be_hidden()
            expect(page.locator("#preview-footer")).to_have_text("Reply STOP to opt out")
            page.locator("#button_1_kind").select_option("quick_reply")
            page.locator("#button_1_text").fill("Show me")
            page.get_by_role("button", name="Add a button").click()
            page.locator("#button_2_kind").select_option("copy_code")
            page.locator("#button_2_code").fill("SPRING20")
            expect(page.locator("#preview-buttons li")).to_have_text(
                [re.compile("Show me"), re.compile("Copy offer code")])
            shot(page, "templates-editor-desktop")

            # On a phone the editor and its preview still work as the owner types.
            page.set_viewport_size(NARROW_VIEWPORT)
            page.locator("#button_1_text").fill("Show me the new collection now")
            expect(page.locator("#error-button_1_text")).to_contain_text("at most 25")
            shot(page, "templates-editor-phone")
            page.locator("#button_1_text").fill("Show me")
            expect(page.locator("#error-button_1_text")).to_be_hidden()
            page.set_viewport_size(VIEWPORT)

            # An image header takes a sample file, typed by its bytes, not its name.
            page.locator("#header_kind").select_option("image")
            fake_png = tmp_path / "not-really.png"
            fake_png.write_bytes(b"%PDF-1.7\n" + b"x" * 64)
            page.locator("#header_file").set_input_files(str(fake_png))
            page.get_by_role("button", name="Submit for review").click()
            expect(page.locator("#error-header_file")).to_contain_text(
                "This file is not a JPEG or PNG image")
            # Chromium logs the refused form's 400 page as a console error: that one only.
            assert [e for e in browsing.console_errors if "400 (BAD REQUEST)" not in e] == []
            assert len(browsing.console_errors) == 1
            browsing.console_errors.clear()
            shot(page, "templates-editor-image-refused-desktop")
            page.set_viewport_size(NARROW_VIEWPORT)
            shot(page, "templates-editor-image-refused-phone")
            page.set_viewport_size(VIEWPORT)
            sample = tmp_path / "spring.png"
            sample.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
            page.locator("#header_file").set_input_files(str(sample))

            page.get_by_role("button", name="Submit for review").click()
            expect(page.locator(".flash")).to_contain_text("sandbox approves it")
            row = page.locator('tr[data-template="spring_news/en"]')
            expect(row.locator("[data-status]")).to_have_text("In review")
            # The embedded worker runs the sandbox's delayed review; the list follows it.
            expect(row.locator("[data-status]")).to_have_text("Approved", timeout=WAIT_MS)
            shot(page, "templates-list-desktop")
            page.set_viewport_size(NARROW_VIEWPORT)
            expect(row).to_be_visible()
            shot(page, "templates-list-phone")
            assert browsing.console_errors == []
            assert browsing.outside == []
    assert_stopped_cleanly(served)
