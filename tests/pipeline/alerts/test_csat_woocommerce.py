"""The satisfaction survey on a WooCommerce store fed by its signed webhooks: the owner
switches it on in the Automations editor, two delivered orders are surveyed (inside the
24-hour window the list itself goes; outside, the template whose button brings it), and
the Automations row and GET /api/v1/surveys show what the shoppers answered."""
from __future__ import annotations

from flask.testing import FlaskClient

from plugin.domain import csat
from tests.conftest import csrf_token, sign_in
from tests.pipeline.alerts import price_world
from tests.pipeline.alerts.conftest import WooAlerts
from tests.pipeline.alerts.csat_world import (
    approve_template,
    conversation,
    days_pass,
    picks,
    sent,
    surveys,
    taps_button,
)
from tests.pipeline.alerts.test_flows_woocommerce import flow_figures
from tests.pipeline.alerts.world import shopper

ANA, BEA = shopper(5), shopper(6)


def owner(world: WooAlerts) -> FlaskClient:
    """The store's owner, signed in."""
    client = world.app.test_client()
    assert sign_in(client, "owner@example.com").status_code == 302
    return client


def edit_survey(client: FlaskClient, store_id: int, **fields: str) -> int:
    """The owner saves the survey's editor; the status code."""
    url = f"/stores/{store_id}/automations/csat"
    data = {"csrf_token": csrf_token(client, url), "template": "csat", "language": "en",
            "var_1": "first_name", "var_2": "order_number", "delay": "0",
            "delay_unit": "hours", "enabled": "1", **fields}
    return client.post(url, data=data).status_code


def buys_and_receives(world: WooAlerts, phone: str, name: str) -> None:
    """The shopper (opted in) orders, and the site marks the order delivered."""
    placed = world.site.add_order(status="processing", line_items=[
        {"id": 1, "name": "Mug", "product_id": 5, "variation_id": 0, "quantity": 1,
         "price": 20, "total": "20.00"}],
        billing={"first_name": name, "phone": phone, "country": "PT"})
    price_world.opt_in(world, phone)
    world.site.update_order(placed["id"], status="delivered")


def test_switched_on_in_the_editor_answered_and_counted(woo: WooAlerts) -> None:
    client = owner(woo)
    approve_template(woo)
    store_id = woo.store_id
    listed = client.get(f"/stores/{store_id}/automations").get_data(as_text=True)
    assert "Satisfaction survey after delivery" in listed
    assert flow_figures(client, store_id)["csat"] == {
        "sent": "0", "answered": "0", "average": "—", "low": "0"}
    assert edit_survey(client, store_id, var_2="order_total") == 400  # no survey field
    assert edit_survey(client, store_id) == 303

    buys_and_receives(woo, ANA, "Ana")
    buys_and_receives(woo, BEA, "Bea")
    woo.writes(BEA, "thanks!")  # Bea wrote today: her window is open when the survey is due
    assert days_pass(woo, 0.01) == 2
    ana, bea = surveys(woo)
    invitation, direct_list = sent(woo)
    assert invitation["to"] == ANA.lstrip("+") and invitation["type"] == "template"
    assert direct_list["to"] == BEA.lstrip("+") and direct_list["type"] == "interactive"

    taps_button(woo, ANA, csat.cause(ana.id), "wamid.ANA1")
    picks(woo, ANA, csat.row_id(ana.id, 3), "wamid.ANA2")
    picks(woo, BEA, csat.row_id(bea.id, 9), "wamid.BEA1")
    assert [s.score for s in surveys(woo)] == [3, 9]
    assert conversation(woo, ANA)[0] == "open"
    assert flow_figures(client, store_id)["csat"] == {
        "sent": "2", "answered": "2", "average": "6.0", "low": "1"}

    body = client.get(f"/api/v1/surveys?store={store_id}&answered=true&limit=1").get_json()
    assert [(s["id"], s["score"], s["state"]) for s in body["data"]] == [
        (bea.id, 9, "answered")]
    assert body["figures"] == {"sent": 2, "answered": 2, "average": "6.0", "low": 1}
    following = client.get(f"/api/v1/surveys?store={store_id}&answered=true&limit=1"
                           f"&cursor={body['next_cursor']}").get_json()
    assert [s["score"] for s in following["data"]] == [3]
    assert following["next_cursor"] is None
    assert client.get(f"/api/v1/surveys?store={store_id + 999}").status_code == 404
