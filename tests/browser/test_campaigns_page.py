"""A campaign in a real Chromium, with a real queue consumer and sweeper behind the app:
the owner builds a segment, creates a campaign on it (template, variables, discount),
previews it on a real customer, schedules it in the store's time zone with a deadline,
then sends it now and watches the progress bar fill from the counts until it is done; the
pages hold together at 1280 px and on a 390 px phone."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import expect

from plugin.infra import db, queue
from plugin.models import WhatsAppAccount
from plugin.pipeline import sweep
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.conftest import create_owner, make_app
from tests.fakes.server import LoopbackServer
from tests.worlds import campaigns as world

EMAIL = "owner@example.com"
ZONE = "Europe/Lisbon"
RECIPIENTS = 40
# The number's rate: 5 messages a second, so the send takes long enough to watch.
THROUGHPUT = 5


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    app = make_app(tmp_path / "instance", queue_immediate=False, sweep_interval_seconds=1)
    create_owner(app, EMAIL)
    w = world.build(app, reachable=RECIPIENTS, unreachable=5, owner_email=EMAIL,
                    timezone=ZONE)
    with app.app_context(), db.transaction() as session:
        session.add(WhatsAppAccount(store_id=w.store_id, phone_number_id="sandbox-camp",
                                    throughput_mps=THROUGHPUT))
    stop = threading.Event()
    with app.app_context():
        consumer = queue.create_consumer(2)
    consumer.start()
    sweep.start_threads(app, stop)
    try:
        with LoopbackServer(app) as server:
            yield app, server.url, w.store_id
    finally:
        stop.set()
        consumer.stop(graceful=True)
        app.extensions["storechat.engine"].dispose()


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.browser
def test_an_owner_builds_schedules_and_watches_a_campaign(
        served_app: tuple[Flask, str, int], chromium_path: str) -> None:
    _app, url, store_id = served_app
    with chromium(chromium_path, "campaigns-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        # A segment: the VIP customers who spent anything at all.
        page.goto(f"{url}/stores/{store_id}/segments/new")
        page.get_by_label("Name").fill("VIP customers")
        page.get_by_label("Tagged", exact=True).fill("vip")
        expect(page.locator("#matched")).to_have_text(str(RECIPIENTS + 5))
        expect(page.locator("#reachable")).to_have_text(str(RECIPIENTS))
        page.get_by_role("button", name="Save segment").click()
        expect(page.get_by_text("Segment “VIP customers” saved.")).to_be_visible()

        # The campaign, from the nav.
        page.get_by_role("link", name="Campaigns").first.click()
        expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
        page.get_by_role("link", name="New campaign").click()
        page.get_by_label("Name").fill("Winter sale")
        page.get_by_label("Template").select_option(f"{world.TEMPLATE}|en")
        expect(page.locator('.variable[data-index="4"]')).to_be_hidden()
        page.locator("#var1_source").select_option("field")
        page.locator("#var1_field").select_option("first_name")
        page.locator("#var2_source").select_option("text")
        page.locator("#var2_text").fill("25%")
        page.locator("#var3_source").select_option("discount")
        page.get_by_label("Segment").select_option(label="VIP customers")
        page.get_by_label("One code for everyone").check()
        page.get_by_label("Percent off").fill("25")
        shot(page, "campaign-editor-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "campaign-editor-phone")
        page.set_viewport_size(VIEWPORT)
        page.get_by_role("button", name="Save campaign").click()
        expect(page.get_by_text("Campaign “Winter sale” saved.")).to_be_visible()
        expect(page.locator("#preview-text")).to_contain_text("Hi Ana, 25% off with code SC-")

        # Scheduled for tomorrow morning (the store's time), with a deadline that evening.
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        page.get_by_label("At a time").check()
        page.get_by_label("Start (Europe/Lisbon)").fill(_local(tomorrow))
        page.get_by_label("Deadline, optional (Europe/Lisbon)").fill(
            _local(tomorrow - timedelta(hours=1)))
        page.get_by_role("button", name="Send or schedule").click()
        expect(page.locator("#error-deadline_at")).to_have_text(
            "the deadline must be after the start")
        page.get_by_label("Deadline, optional (Europe/Lisbon)").fill(
            _local(tomorrow + timedelta(hours=10)))
        page.get_by_role("button", name="Send or schedule").click()
        expect(page.locator("#campaign-state")).to_have_text("scheduled")
        expect(page.locator("#starts")).to_have_text(_local(tomorrow).replace("T", " "))
        shot(page, "campaign-scheduled-wide")

        # Sent now instead: the bar fills from the counts while it sends.
        page.get_by_label("Now").check()
        page.get_by_label("Deadline, optional (Europe/Lisbon)").fill("")
        page.get_by_role("button", name="Reschedule").click()
        expect(page.get_by_text(f"Sending to {RECIPIENTS} customers now.")).to_be_visible()
        expect(page.locator('#progress-text [data-count="sent"]')).not_to_have_text("0")
        shot(page, "campaign-sending-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "campaign-sending-phone")
        page.set_viewport_size(VIEWPORT)
        expect(page.locator("#campaign-state")).to_have_text("done", timeout=90_000)
        expect(page.locator("#results [data-figure='sent']")).to_have_text(str(RECIPIENTS))
        # Both revenues, told apart, and the way to the orders last touch gave it.
        expect(page.locator("#results [data-figure='attributed_orders']")).to_have_text("0")
        expect(page.locator("#revenue-help")).to_contain_text("Last-touch")
        expect(page.get_by_role("link", name=re.compile(
            r"^See the last-touch orders \(since \d{4}-\d{2}-\d{2}\)$"))).to_be_visible()
        expect(page.locator("#campaign-progress")).to_have_attribute("value", "100")
        shot(page, "campaign-done-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "campaign-done-phone")
        page.get_by_role("link", name="All campaigns").click()
        expect(page.get_by_role("table", name="Campaigns")).to_contain_text("Winter sale")
        assert overflow(page) == 0
        shot(page, "campaigns-list-phone")
        # The refused deadline answered 422 on purpose (Chromium logs any 4xx page load).
        assert [e for e in browsing.console_errors if "status of 422" not in e] == []
        assert browsing.outside == []
