"""The campaign pages: the editor, a campaign's page with its preview on a real customer,
start now or at a time (refused in the past, or with a deadline before the start), the
progress JSON, pause and cancel, a test send, editing while sending refused, and another
store's campaign answering 404; the results show the recipients' revenue and the
last-touch revenue side by side, with the way to the orders behind the latter."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.admin.campaigns import orders_since
from plugin.infra import db
from plugin.models import Campaign, Message, Store
from plugin.pipeline import rollups
from plugin.pipeline.campaigns import codes
from tests.conftest import create_owner, csrf_token, sign_in
from tests.worlds import campaigns as world

ZONE = "Europe/Lisbon"


def _page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def _form(w: world.World, **changes: str) -> dict[str, str]:
    data = {"name": "Spring sale", "template": f"{world.TEMPLATE}|en",
            "segment_id": str(w.segment_id), "var1_source": "field",
            "var1_field": "first_name", "var1_text": "", "var2_source": "text",
            "var2_text": "20%", "var3_source": "discount", "var3_text": "",
            "discount_mode": "shared", "discount_percent": "20", "discount_hours": "48",
            "link_url": "https://camp.example/sale", "attribution_days": "5"}
    data.update(changes)
    return data


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def _create(client: FlaskClient, store_id: int, w: world.World) -> int:
    url = f"/stores/{store_id}/campaigns/new"
    response = client.post(url, data={**_form(w), "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/campaigns/(\d+)$", response.headers["Location"]).group(1))


def test_build_preview_and_send_a_campaign(app: Flask, owner: FlaskClient) -> None:
    w = world.build(app, reachable=5, owner_email="owner@example.com", timezone=ZONE)
    base = f"/stores/{w.store_id}/campaigns"
    assert "No campaigns yet" in _page(owner, base)
    assert 'href="' + base + '"' in _page(owner, base)  # the nav's Campaigns link
    campaign_id = _create(owner, w.store_id, w)
    page = _page(owner, f"{base}/{campaign_id}")
    code = codes.code_for(campaign_id, None)
    assert f"Hi Ana, 20% off with code {code}" in page
    # A time in the past, and a deadline before the start: refused, nothing written.
    token = csrf_token(owner, f"{base}/{campaign_id}")
    now = datetime.now(ZoneInfo("UTC"))
    past = owner.post(f"{base}/{campaign_id}/start", data={
        "csrf_token": token, "when": "later", "scheduled_at": _local(now - timedelta(hours=2))})
    assert past.status_code == 422 and "this time has passed" in past.get_data(as_text=True)
    early = owner.post(f"{base}/{campaign_id}/start", data={
        "csrf_token": token, "when": "later", "scheduled_at": _local(now + timedelta(hours=3)),
        "deadline_at": _local(now + timedelta(hours=1))})
    assert early.status_code == 422
    assert "the deadline must be after the start" in early.get_data(as_text=True)
    with app.app_context(), db.transaction() as session:
        assert session.scalars(select(Message.id).where(
            Message.cause == f"campaign:{campaign_id}")).first() is None
    # Now: every reachable customer gets it (the test queue runs the sends inline).
    sent = owner.post(f"{base}/{campaign_id}/start", data={"csrf_token": token, "when": "now"})
    assert sent.status_code == 302
    progress = owner.get(f"{base}/{campaign_id}/progress").get_json()
    assert progress["total"] == 5 and progress["sent"] == 5 and progress["percent"] == 100
    # Editing while it sends (or after) is refused with why.
    edit = f"{base}/{campaign_id}/edit"
    refused = owner.post(edit, data={**_form(w, name="Other"),
                                     "csrf_token": csrf_token(owner, f"{base}/{campaign_id}")})
    assert refused.status_code == 409
    assert "cannot be changed while it is sending" in html.unescape(
        refused.get_data(as_text=True))
    with app.app_context(), db.transaction() as session:
        assert session.get_one(Campaign, campaign_id).name == "Spring sale"


def test_a_scheduled_campaign_can_be_paused_and_cancelled(app: Flask,
                                                          owner: FlaskClient) -> None:
    w = world.build(app, reachable=3, owner_email="owner@example.com", timezone=ZONE)
    base = f"/stores/{w.store_id}/campaigns"
    campaign_id = _create(owner, w.store_id, w)
    token = csrf_token(owner, f"{base}/{campaign_id}")
    later = datetime.now(ZoneInfo("UTC")) + timedelta(days=1)
    response = owner.post(f"{base}/{campaign_id}/start", data={
        "csrf_token": token, "when": "later", "scheduled_at": _local(later)})
    assert response.status_code == 302
    page = _page(owner, f"{base}/{campaign_id}")
    assert "scheduled" in page and _local(later).replace("T", " ") in page
    assert owner.post(f"{base}/{campaign_id}/pause", data={"csrf_token": token}).status_code \
        == 302
    assert owner.get(f"{base}/{campaign_id}/progress").get_json()["state"] == "paused"
    assert owner.post(f"{base}/{campaign_id}/cancel", data={"csrf_token": token}).status_code \
        == 302
    assert owner.get(f"{base}/{campaign_id}/progress").get_json()["state"] == "cancelled"


def test_a_test_send_goes_to_the_owner_only(app: Flask, owner: FlaskClient) -> None:
    w = world.build(app, reachable=3, owner_email="owner@example.com")
    base = f"/stores/{w.store_id}/campaigns"
    campaign_id = _create(owner, w.store_id, w)
    token = csrf_token(owner, f"{base}/{campaign_id}")
    bad = owner.post(f"{base}/{campaign_id}/test", data={"csrf_token": token, "phone": "12"})
    assert bad.status_code == 422
    good = owner.post(f"{base}/{campaign_id}/test", data={
        "csrf_token": token, "phone": "+351919999999", "customer": str(w.reachable[0])})
    assert good.status_code == 302
    with app.app_context(), db.transaction() as session:
        rows = list(session.scalars(select(Message).where(Message.store_id == w.store_id)))
    assert [(r.to, r.state, r.cause) for r in rows] == [
        ("+351919999999", "sent", f"campaign-test:{campaign_id}")]


def test_another_stores_campaign_is_404(app: Flask, owner: FlaskClient,
                                        client: FlaskClient) -> None:
    w = world.build(app, reachable=2, owner_email="owner@example.com")
    campaign_id = _create(owner, w.store_id, w)
    owner.post("/signout", data={"csrf_token": csrf_token(owner, "/")})
    create_owner(app, "other@example.com")
    assert sign_in(client, "other@example.com").status_code == 302
    other = world.build(app, reachable=1, owner_email="other@example.com",
                        domain="other.example")
    for url in (f"/stores/{w.store_id}/campaigns/{campaign_id}",
                f"/stores/{other.store_id}/campaigns/{campaign_id}",
                f"/stores/{other.store_id}/campaigns/{campaign_id}/progress"):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, f"/stores/{other.store_id}/campaigns")
    for action in ("pause", "cancel", "start", "test"):
        url = f"/stores/{other.store_id}/campaigns/{campaign_id}/{action}"
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url


def _figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert found is not None, name
    return found.group(1)


def test_the_page_shows_both_revenues_and_links_to_the_attributed_orders(
        app: Flask, owner: FlaskClient) -> None:
    w = world.build(app, reachable=2, owner_email="owner@example.com", timezone=ZONE)
    base = f"/stores/{w.store_id}/campaigns"
    campaign_id = _create(owner, w.store_id, w)
    token = csrf_token(owner, f"{base}/{campaign_id}")
    assert owner.post(f"{base}/{campaign_id}/start",
                      data={"csrf_token": token, "when": "now"}).status_code == 302
    # One recipient reads it and orders (the campaign's last touch); the other orders
    # without touching it (a recipient's order only).
    reader, other = w.reachable
    now = datetime.now(ZoneInfo("UTC")).replace(tzinfo=None, microsecond=0)
    world.reports(app, world.message_to(app, campaign_id, reader), "read", now)
    world.places_order(app, reader, 1, "60.00", now + timedelta(seconds=5))
    world.places_order(app, other, 2, "15.00", now + timedelta(seconds=6))
    page = _page(owner, f"{base}/{campaign_id}")
    assert (_figure(page, "orders"), _figure(page, "revenue")) == ("2", "75.00 EUR")
    assert (_figure(page, "attributed_orders"),
            _figure(page, "attributed_revenue")) == ("1", "60.00 EUR")
    assert "Recipients' orders (5 days)" in page and "Last-touch revenue" in page
    assert "the last message the shopper read or clicked" in page
    link = re.search(r'href="([^"]+)" id="attributed-orders-link"', page)
    assert link is not None
    today = rollups.store_today(ZONE)
    assert link.group(1) == (f"/stores/{w.store_id}/analytics/orders"
                             f"?flow=campaign:{campaign_id}&since={today.isoformat()}")
    listed = _page(owner, link.group(1))
    assert "1001" in listed and "1002" not in listed


def test_the_orders_link_starts_on_the_day_the_campaign_started_in_the_store() -> None:
    store = Store(platform="demo", domain="camp.example", timezone="America/New_York")
    started = datetime(2026, 3, 2, 3, 30)  # UTC: still 1 March in New York
    campaign = Campaign(store_id=1, name="c", template="t", language="en", started_at=started)
    assert orders_since(store, campaign) == date(2026, 3, 1)
    never = Campaign(store_id=1, name="c", template="t", language="en")
    assert orders_since(store, never) == rollups.store_today("America/New_York")
