"""The Cart recovery page and the editor of its steps: one switch for the sequence, one per
step, the attribution window; figures, revenue per currency, reasons and recent carts; the
step editor with cart fields, delays in days, a discount, refusals next to their field, and
a phone preview from the store's latest cart (else a sample)."""
from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.domain import recovery
from plugin.infra import db
from plugin.models import Automation, Store
from tests.admin.test_journeys import automation, make_store, text_of
from tests.conftest import create_owner, csrf_token, sign_in
from tests.worlds import recovery_figures


def _steps(app: Flask, store_id: int) -> dict[str, bool]:
    with app.app_context():
        return {a.journey: a.enabled for a in db.session().scalars(select(Automation).where(
            Automation.store_id == store_id,
            Automation.journey.startswith(recovery.JOURNEY_PREFIX)))}


def _post(owner: FlaskClient, store_id: int, path: str, **data: str) -> Any:
    token = csrf_token(owner, f"/stores/{store_id}/recovery")
    return owner.post(f"/stores/{store_id}/recovery{path}", data={"csrf_token": token, **data})


def test_one_click_sets_up_and_switches_the_whole_sequence(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    page = text_of(owner.get(f"/stores/{store_id}/recovery"))
    assert "Cart recovery is" in page and 'id="turn-on"' in page
    assert _steps(app, store_id) == {}
    response = _post(owner, store_id, "/switch", on="1")
    assert response.status_code == 303
    assert _steps(app, store_id) == {f"cart_recovery_{n}": True for n in (1, 2, 3)}
    page = text_of(owner.get(f"/stores/{store_id}/recovery"))
    assert "Cart recovery is on" in page
    assert 'id="turn-off"' in page and "3 days after the last activity" in page
    assert "10% off, valid 48 hours" in page
    _post(owner, store_id, "/switch", on="0")
    assert set(_steps(app, store_id).values()) == {False}


def test_one_step_switches_alone(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    recovery_figures.install(app, store_id, enabled=True)
    assert _post(owner, store_id, "/step", step="2", on="0").status_code == 303
    assert _steps(app, store_id) == {"cart_recovery_1": True, "cart_recovery_2": False,
                                     "cart_recovery_3": True}
    assert _post(owner, store_id, "/step", step="9", on="1").status_code == 404
    assert _post(owner, store_id, "/step", step="two", on="1").status_code == 400


@pytest.mark.parametrize(("days", "saved"), [("14", 14), ("1", 1), ("30", 30), ("0", None),
                                             ("31", None), ("seven", None), ("", None)])
def test_the_attribution_window_takes_1_to_30_days(
        app: Flask, owner: FlaskClient, days: str, saved: int | None) -> None:
    store_id = make_store(app)
    response = _post(owner, store_id, "/settings", attribution_days=days)
    with app.app_context():
        stored = db.session().get(Store, store_id).recovery_attribution_days  # type: ignore[union-attr]
    if saved is None:
        assert response.status_code == 400
        error = text_of(response).split('id="error-attribution_days"')[1].split("</p>")[0]
        assert "from 1 to 30" in error
        assert stored == recovery.DEFAULT_ATTRIBUTION_DAYS
    else:
        assert response.status_code == 303 and stored == saved


def test_the_page_shows_figures_revenue_reasons_and_recent_carts(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    recovery_figures.install(app, store_id)
    recovery_figures.build(app, store_id)
    page = text_of(owner.get(f"/stores/{store_id}/recovery"))
    revenue = page.split('id="recovered-revenue"')[1].split("</p>")[0]
    assert re.findall(r"<strong>([^<]+)</strong>", revenue) == ["¥12,800", "KWD\xa020.000"]
    assert re.search(r'id="carts-seen">7<', page) and re.search(r'id="carts-reachable">6<', page)
    figures = page.split('id="figures-table"')[1].split("</table>")[0]
    step_two = figures.split('data-step="2"')[1].split("</tr>")[0]
    cells = re.findall(r'data-label="([^"]+)">(.*?)</t[dh]>', step_two, re.S)
    assert [(label, re.sub(r"<[^>]+>", "", value).strip()) for label, value in cells] == [
        ("Step", "Step 2"), ("Sent", "2"), ("Delivered", "2"), ("Read", "1"), ("Clicked", "1"),
        ("Not sent", "2"), ("Recovered orders", "2"), ("Recovered revenue", "KWD\xa020.000")]
    reasons = page.split('id="reasons-table"')[1].split("</table>")[0]
    assert "quiet hours" in reasons and f"no phone: {recovery_figures.NO_PHONE_PROBLEM}" in reasons
    carts = page.split('id="carts-table"')[1].split("</table>")[0]
    assert "Recovered ¥12,800" in carts and "skipped: recovered before step 2" in carts
    assert "(quiet hours until 09:00)" in carts
    assert "+351912000004" not in carts and "+351 ••••••004" in carts


def test_a_period_that_is_not_offered_is_refused(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    assert owner.get(f"/stores/{store_id}/recovery?days=7").status_code == 200
    assert owner.get(f"/stores/{store_id}/recovery?days=8").status_code == 400


def test_the_automations_list_links_to_recovery_instead_of_listing_its_steps(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    recovery_figures.install(app, store_id)
    page = text_of(owner.get(f"/stores/{store_id}/automations"))
    assert f'href="/stores/{store_id}/recovery"' in page
    assert 'data-journey="cart_recovery_1"' not in page
    assert "On: 3 of 3 steps" in page


def test_another_owners_recovery_answers_404(app: Flask, owner: FlaskClient) -> None:
    create_owner(app, "other@example.com")
    theirs = make_store(app, email="other@example.com", name="Other")
    recovery_figures.install(app, theirs)
    recovery_figures.build(app, theirs)
    assert owner.get(f"/stores/{theirs}/recovery").status_code == 404
    mine = make_store(app)
    token = csrf_token(owner, f"/stores/{mine}/recovery")
    response = owner.post(f"/stores/{theirs}/recovery/switch",
                          data={"csrf_token": token, "on": "0"})
    assert response.status_code == 404
    assert set(_steps(app, theirs).values()) == {True}


# ---- The step editor -----------------------------------------------------------------------


def step_data(client: FlaskClient, store_id: int, journey: str = "cart_recovery_1",
              **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": csrf_token(client, f"/stores/{store_id}/automations/{journey}"),
        "enabled": "1", "template": "cart_recovery_1", "language": "en",
        "var_1": "first_name", "var_2": "first_item", "var_3": "item_count",
        "var_4": "cart_total", "delay": "2", "delay_unit": "hours",
        "discount_percent": "0", "discount_hours": "48", "order": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def steps(app: Flask, owner: FlaskClient) -> int:
    store_id = make_store(app)
    recovery_figures.install(app, store_id)
    return store_id


def test_the_step_editor_offers_cart_fields_and_says_the_least_delay(
        app: Flask, owner: FlaskClient, steps: int) -> None:
    page = text_of(owner.get(f"/stores/{steps}/automations/cart_recovery_3"))
    assert "Cart recovery, step 3" in page
    assert '<option value="first_item"' in page and '<option value="order_number"' not in page
    assert "Never sooner than 15 minutes after the last activity" in page
    assert 'id="discount_percent"' in page and 'value="10"' in page
    assert '<option value="days" selected>' in page  # 3 days reads as 3 days
    assert f'href="/stores/{steps}/recovery"' in page


def test_a_step_saves_cart_fields_days_and_a_discount(
        app: Flask, owner: FlaskClient, steps: int) -> None:
    response = owner.post(f"/stores/{steps}/automations/cart_recovery_1", data=step_data(
        owner, steps, delay="2", delay_unit="days", discount_percent="15",
        discount_hours="24"))
    assert response.status_code == 303
    row = automation(app, steps, "cart_recovery_1")
    assert row.delay_seconds == 2 * 86400
    assert row.variables == ["first_name", "first_item", "item_count", "cart_total"]
    assert row.conditions == {"discount_percent": 15, "discount_hours": 24}
    # 0 minutes is allowed (the worker still waits the least delay).
    owner.post(f"/stores/{steps}/automations/cart_recovery_1",
               data=step_data(owner, steps, delay="0", delay_unit="minutes"))
    row = automation(app, steps, "cart_recovery_1")
    assert row.delay_seconds == 0 and row.conditions == {}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"var_4": "order_total"}, "var_4", "Choose the cart field that fills {{4}}."),
    ({"var_4": "discount_code"}, "var_4", "This step gives no discount"),
    ({"delay": "31", "delay_unit": "days"}, "delay", "at most 30 days"),
    ({"delay": "-1"}, "delay", "Enter from 0 to"),
    ({"discount_percent": "91"}, "discount_percent", "to 90 percent"),
    ({"discount_percent": "ten"}, "discount_percent", "whole percentage"),
    ({"discount_percent": "10", "discount_hours": "0"}, "discount_hours", "from 1 to 720"),
])
def test_a_bad_step_value_is_refused_next_to_its_field(
        app: Flask, owner: FlaskClient, steps: int, changes: dict[str, str], field: str,
        message: str) -> None:
    before = automation(app, steps, "cart_recovery_1")
    response = owner.post(f"/stores/{steps}/automations/cart_recovery_1",
                          data=step_data(owner, steps, **changes))
    assert response.status_code == 400
    error = text_of(response).split(f'id="error-{field}"')[1].split("</p>")[0]
    assert message in error
    after = automation(app, steps, "cart_recovery_1")
    assert (after.variables, after.delay_seconds, after.conditions) == (
        before.variables, before.delay_seconds, before.conditions)


def test_a_discount_field_is_fine_on_a_step_with_a_discount(
        app: Flask, owner: FlaskClient, steps: int) -> None:
    data = step_data(owner, steps, "cart_recovery_3", template="cart_recovery_3",
                     var_3="discount_code", var_4="discount_percent",
                     discount_percent="10", discount_hours="48", delay="3", delay_unit="days")
    response = owner.post(f"/stores/{steps}/automations/cart_recovery_3", data=data)
    assert response.status_code == 303
    data = step_data(owner, steps, "cart_recovery_3", template="cart_recovery_3",
                     var_3="discount_code", var_4="discount_percent", discount_percent="0")
    response = owner.post(f"/stores/{steps}/automations/cart_recovery_3", data=data)
    assert response.status_code == 400
    assert "This step gives no discount" in text_of(response)


def _preview(owner: FlaskClient, store_id: int, **changes: Any) -> Any:
    response = owner.post(f"/stores/{store_id}/automations/cart_recovery_1/preview",
                          data=step_data(owner, store_id, **changes))
    assert response.status_code == 200
    return response.json


def test_the_preview_renders_the_latest_cart_in_its_currency(
        app: Flask, owner: FlaskClient, steps: int) -> None:
    recovery_figures.build(app, steps)
    answer = _preview(owner, steps)
    html = unescape(answer["html"])
    # Nuno's cart is the latest with items (the last made of those a day old): his name, the
    # first item with its variant, the count, the total in euros.
    assert ("Hi Nuno, you left Linen shirt (Blue / M) in your cart (2 items, €15.00)."
            in html)
    assert "Back to my cart" in html and "With the cart Nuno left" in html
    assert answer["errors"] == {}
    with app.app_context():
        assert automation(app, steps, "cart_recovery_1").variables == [
            "first_name", "first_item", "item_count", "cart_total"]  # nothing saved


def test_the_preview_uses_a_sample_cart_without_carts_and_shows_errors(
        app: Flask, owner: FlaskClient, steps: int) -> None:
    answer = _preview(owner, steps, var_4="discount_code")
    assert "With a sample cart" in answer["html"]
    assert "Hi Ana, you left Linen shirt (Blue / M) in your cart (2 items" in answer["html"]
    assert "discount" in answer["errors"]["var_4"]


def test_the_preview_shows_the_discount_a_step_carries(
        app: Flask, owner: FlaskClient, steps: int) -> None:
    answer = owner.post(f"/stores/{steps}/automations/cart_recovery_3/preview", data=step_data(
        owner, steps, "cart_recovery_3", template="cart_recovery_3", var_3="discount_percent",
        var_4="discount_code", discount_percent="20", discount_hours="24")).json
    assert "20% off with the code SAVE-7Q2K" in answer["html"]


def test_signed_in_as_another_owner_the_step_editor_answers_404(
        app: Flask, client: FlaskClient) -> None:
    create_owner(app, "owner@example.com")
    create_owner(app, "other@example.com")
    theirs = make_store(app, email="other@example.com", name="Other")
    recovery_figures.install(app, theirs)
    sign_in(client, "owner@example.com")
    assert client.get(f"/stores/{theirs}/automations/cart_recovery_1").status_code == 404
