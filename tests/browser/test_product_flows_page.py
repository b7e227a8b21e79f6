"""The product flows on the Automations page in a real Chromium, wide and on a phone: back
in stock, price drop and cross-sell listed with their figures (one cross-sell sent, read,
clicked and followed by an order); the cross-sell editor previews its suggestion live,
and switching it on with a 3-day delay is saved; nothing spills sideways at 390 px."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from plugin.infra import db
from plugin.models import (
    Automation,
    CrossSellOffer,
    Customer,
    Message,
    OfferState,
    Order,
    Template,
)
from tests.admin.test_journeys import make_store
from tests.browser.served import NARROW_VIEWPORT, VIEWPORT, chromium, overflow, shot, sign_in
from tests.conftest import create_owner, make_app
from tests.fakes.server import LoopbackServer
from tests.pipeline.alerts.cross_sell_world import BODY

EMAIL = "owner@example.com"


def one_cross_sell(app: Flask, store_id: int) -> None:
    """The approved cross_sell template; Rui's delivered order got a suggestion two days
    ago, he read it, tapped it, and ordered again for 30.00 the day after."""
    now = db.utcnow
    with app.app_context(), db.transaction() as session:
        session.add(Template(store_id=store_id, name="cross_sell", language="en",
                             category="MARKETING", status="APPROVED", components=[
                                 {"type": "BODY", "text": BODY},
                                 {"type": "BUTTONS", "buttons": [
                                     {"type": "URL", "text": "Take a look",
                                      "url": "https://chat.example/t/{{1}}"}]}]))
        customer_id = session.scalars(select(Customer.id).where(
            Customer.store_id == store_id)).one()
        for old in session.scalars(select(Order).where(Order.store_id == store_id)):
            old.placed_at = now() - timedelta(days=12)  # before the suggestion: not its
        delivered = session.scalars(select(Order.id).where(
            Order.store_id == store_id, Order.number == "2002")).one()
        message = Message(store_id=store_id, customer_id=customer_id, cause="cross_sell:1",
                          step="cross_sell", to="+351913000111", template="cross_sell",
                          payload={}, state="read", attempts=1,
                          sent_at=now() - timedelta(days=2))
        session.add(message)
        session.flush()
        session.add(CrossSellOffer(store_id=store_id, order_id=delivered,
                                   customer_id=customer_id, state=OfferState.SENT,
                                   delivered_at=now() - timedelta(days=9),
                                   suggested=["v-1"], link_token="tok-browser-cross-sell",
                                   message_id=message.id,
                                   clicked_at=now() - timedelta(days=1, hours=2)))
        session.add(Order(store_id=store_id, platform_id="o-2003", number="2003",
                          status="processing", currency="EUR", total="30.00",
                          customer_id=customer_id, snapshot={},
                          placed_at=now() - timedelta(days=1)))


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[tuple[Flask, str, int]]:
    app = make_app(tmp_path / "instance", queue_immediate=False)
    create_owner(app, EMAIL)
    store_id = make_store(app, email=EMAIL)
    one_cross_sell(app, store_id)
    with LoopbackServer(app) as server:
        yield app, server.url, store_id
    app.extensions["storechat.engine"].dispose()


@pytest.mark.browser
def test_an_owner_reads_and_edits_the_product_flows(served_app: tuple[Flask, str, int],
                                                    chromium_path: str) -> None:
    app, url, store_id = served_app
    with chromium(chromium_path, "product-flows-failure") as browsing:
        page = browsing.page
        sign_in(page, url, EMAIL)
        page.goto(f"{url}/stores/{store_id}/automations")
        table = page.get_by_role("table", name="Product flows")
        cross = table.locator('tr[data-flow="cross_sell"]')
        expect(cross).to_contain_text("Off")
        expect(cross.locator("td[data-figure]")).to_have_text(
            ["1", "1", "1", "1", "1", "1", "30.00 EUR"])
        expect(table.locator('tr[data-flow="back_in_stock"]')).to_contain_text("On")
        expect(table.locator('tr[data-flow="price_drop"]')).to_contain_text("price_drop")
        assert overflow(page) == 0
        shot(page, "product-flows-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "product-flows-phone")
        page.set_viewport_size(VIEWPORT)

        page.get_by_role("link", name="Cross-sell after delivery").click()
        expect(page.get_by_role("heading", name="Cross-sell after delivery")).to_be_visible()
        text = page.locator("#preview-text")
        expect(text).to_contain_text("also loved Canvas tote and Linen scarf")
        page.get_by_label("{{2}} is the suggestion's").select_option(
            label="Order delivered (number)")
        expect(text).to_contain_text("also loved #1001")
        page.get_by_label("{{2}} is the suggestion's").select_option(
            label="Suggested products (names)")
        page.get_by_label("Wait after delivery").fill("3")
        page.get_by_label("Unit").select_option("days")
        page.get_by_label("Wait after delivery").fill("90")
        expect(page.locator("#error-delay")).to_contain_text("at most 60 days")
        page.get_by_label("Wait after delivery").fill("3")
        expect(page.locator("#error-delay")).to_be_hidden()
        page.get_by_label("Send this message").check()
        assert overflow(page) == 0
        shot(page, "product-flows-editor-wide")
        page.set_viewport_size(NARROW_VIEWPORT)
        assert overflow(page) == 0
        shot(page, "product-flows-editor-phone")
        page.set_viewport_size(VIEWPORT)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".flash")).to_contain_text("Cross-sell after delivery saved.")
        page.goto(f"{url}/stores/{store_id}/automations")
        expect(page.locator('#flow-table tr[data-flow="cross_sell"]')).to_contain_text(
            "3 days after delivery")
        assert browsing.console_errors == [] and browsing.outside == []
    with app.app_context():
        row = db.session().query(Automation).filter_by(store_id=store_id,
                                                       journey="cross_sell").one()
        assert (row.enabled, row.delay_seconds) == (True, 3 * 86400)
