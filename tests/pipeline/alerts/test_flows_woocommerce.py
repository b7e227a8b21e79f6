"""The product flows in the Automations section, on a WooCommerce store fed by its signed
webhooks: each flow is listed with its switch and figures, edited with the order journeys'
editor (words, preview, delay, on/off), and its figures (on the page and in GET
/api/v1/alerts) equal what the test sent, Meta delivered and read, the shopper clicked and
then ordered."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from flask.testing import FlaskClient

from plugin.domain import cross_sell
from plugin.infra import db
from plugin.models import Automation, Store, Template
from plugin.pipeline.alerts import flows
from tests.conftest import csrf_token, sign_in
from tests.pipeline.alerts import price_world
from tests.pipeline.alerts.conftest import WooAlerts
from tests.pipeline.alerts.cross_sell_world import (
    approve_template,
    body_of,
    button_token,
    days_pass,
    suggestions,
)
from tests.pipeline.alerts.test_cross_sell_woocommerce import lines, product
from tests.pipeline.alerts.world import APP_SECRET, shopper

ANA = shopper(4)


def owner(world: WooAlerts) -> FlaskClient:
    """The store's owner, signed in."""
    client = world.app.test_client()
    assert sign_in(client, "owner@example.com").status_code == 302
    return client


def csrf(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form at `url`."""
    return csrf_token(client, url)


_ROW = re.compile(r'<tr data-flow="(\w+)".*?</tr>', re.S)
_FIGURE = re.compile(r'data-figure="(\w+)">([^<]*)</td>')


def flow_figures(client: FlaskClient, store_id: int) -> dict[str, dict[str, str]]:
    """Each flow's figures as the Automations page shows them."""
    page = client.get(f"/stores/{store_id}/automations").get_data(as_text=True)
    return {row.group(1): {name: value.strip() for name, value in
                           _FIGURE.findall(row.group(0))} for row in _ROW.finditer(page)}


def edit_cross_sell(client: FlaskClient, store_id: int, **fields: str) -> Any:
    """The owner saves the cross-sell editor."""
    url = f"/stores/{store_id}/automations/cross_sell"
    data = {"csrf_token": csrf(client, url), "template": "cross_sell", "language": "en",
            "var_1": "first_name", "var_2": "product_titles", "delay": "2",
            "delay_unit": "days", "enabled": "1", **fields}
    return client.post(url, data=data)


def test_flows_are_listed_edited_and_counted(woo: WooAlerts) -> None:
    client = owner(woo)
    approve_template(woo)
    price_world.approve_template(woo)
    store_id = woo.store_id
    listed = client.get(f"/stores/{store_id}/automations").get_data(as_text=True)
    for name in ("Back in stock", "Price drop", "Cross-sell after delivery"):
        assert name in listed
    with woo.app.app_context():
        rows = {a.journey: a for a in db.session().query(Automation).filter_by(
            store_id=store_id)}
    assert rows["cross_sell"].enabled is False  # off by default
    assert rows["back_in_stock"].enabled and rows["price_drop"].enabled

    # The editor: a field that is no flow field is refused, nothing saved.
    refused = edit_cross_sell(client, store_id, var_2="order_total")
    assert refused.status_code == 400
    assert "Choose the suggestion field that fills {{2}}" in refused.get_data(as_text=True)
    preview = client.post(f"/stores/{store_id}/automations/cross_sell/preview", data={
        "csrf_token": csrf(client, f"/stores/{store_id}/automations/cross_sell"),
        "template": "cross_sell", "language": "en", "var_1": "first_name",
        "var_2": "product_titles", "delay": "2", "delay_unit": "days"}).get_json()
    assert "Canvas tote and Linen scarf" in preview["html"] and preview["errors"] == {}
    too_late = edit_cross_sell(client, store_id, delay="61")
    assert too_late.status_code == 400
    assert edit_cross_sell(client, store_id).status_code == 303
    with woo.app.app_context(), db.transaction() as session:
        row = flows.rule(session, session.get(Store, store_id), cross_sell.JOURNEY)
        assert (row.enabled, row.delay_seconds) == (True, 2 * 86400)

    # A cross-sell, delivered and read, clicked, then an order within the window.
    ids = {"mug": product(woo, "mug", "Kitchen"), "tea": product(woo, "tea", "Pantry")}
    woo.site.add_order(status="processing", line_items=lines(ids["mug"], ids["tea"]))
    billing = {"first_name": "Ana", "phone": ANA, "country": "PT", "email": "a@example.com"}
    placed = woo.site.add_order(status="processing", line_items=lines(ids["mug"]),
                                billing=billing, customer_id=88)
    price_world.opt_in(woo, ANA)
    woo.site.update_order(placed["id"], status="delivered")
    assert days_pass(woo, 1) == 0  # the owner's 2 days, not the default 7
    assert days_pass(woo, 2.01) == 1
    [payload] = suggestions(woo)
    assert body_of(payload) == ["Ana", "tea"]
    wamid = next(s.wamid for s in woo.graph.sent if s.payload is payload)
    http = httpx.Client(transport=httpx.WSGITransport(app=woo.app), base_url="http://app")
    assert woo.graph.send_statuses("http://app/webhooks/whatsapp", APP_SECRET,
                                   wamids=[wamid], http=http) == [200, 200, 200]
    http.close()
    assert client.get(f"/t/{button_token(payload)}").status_code == 302
    # Placed a minute later (the fake site's own clock is a fixed day in the past, and
    # WooCommerce's times are whole seconds).
    later = datetime.now(UTC) + timedelta(minutes=1)
    woo.site.add_order(status="processing", line_items=lines(ids["tea"]), billing=billing,
                       customer_id=88, total="20.00",
                       date_created_gmt=later.strftime("%Y-%m-%dT%H:%M:%S"))
    # A price drop: one subscriber, one alert (sent, not yet delivered), nobody ordered.
    price_world.subscribe_to_price(woo, [shopper(5)], str(ids["tea"]))
    with woo.site._lock:
        woo.site.products[ids["tea"]].update(price="18.00", regular_price="18.00",
                                             **woo.site._stamp(created=False))
    woo.site.dispatch("product.updated", woo.site.products[ids["tea"]])
    assert price_world.price_alerted(woo) == [shopper(5)]

    shown = flow_figures(client, store_id)
    assert shown["cross_sell"] == {"subscriptions": "1", "sent": "1", "delivered": "1",
                                   "read": "1", "clicked": "1", "orders": "1",
                                   "revenue": "20.00 EUR"}
    assert shown["price_drop"] == {"subscriptions": "1", "sent": "1", "delivered": "0",
                                   "read": "0", "clicked": "0", "orders": "0", "revenue": "—"}
    assert shown["back_in_stock"]["sent"] == "0"
    api = {f["flow"]: f for f in client.get(f"/api/v1/alerts?store={store_id}").get_json()[
        "flows"]}
    assert (api["cross_sell"]["sent"], api["cross_sell"]["clicked"],
            api["cross_sell"]["orders"]) == (1, 1, 1)
    assert api["cross_sell"]["revenue"] == [{"currency": "EUR", "amount": "20.00"}]
    assert api["cross_sell"]["enabled"] and api["cross_sell"]["delay_seconds"] == 2 * 86400
    assert (api["price_drop"]["subscriptions"], api["price_drop"]["sent"]) == (1, 1)


def test_a_flow_switched_off_sends_nothing(woo: WooAlerts) -> None:
    client = owner(woo)
    price_world.approve_template(woo)
    store_id = woo.store_id
    url = f"/stores/{store_id}/automations/price_drop"
    client.get(f"/stores/{store_id}/automations")
    saved = client.post(url, data={"csrf_token": csrf(client, url), "template": "price_drop",
                                   "language": "en", "var_1": "first_name",
                                   "var_2": "product_title", "var_3": "old_price",
                                   "var_4": "new_price", "delay": "0",
                                   "delay_unit": "minutes"})  # no "enabled": off
    assert saved.status_code == 303
    # A flow is marketing: a utility template is refused for it.
    with woo.app.app_context(), db.transaction() as session:
        session.add(Template(store_id=store_id, name="order_news", language="en",
                             category="UTILITY", status="APPROVED",
                             components=[{"type": "BODY", "text": "Hi {{1}}"}]))
    utility = client.post(url, data={"csrf_token": csrf(client, url), "template": "order_news",
                                     "language": "en", "var_1": "first_name", "delay": "0",
                                     "delay_unit": "minutes", "enabled": "1"})
    assert utility.status_code == 400
    assert "Product alerts and suggestions are marketing" in utility.get_data(as_text=True)
    tea = product(woo, "tea", "Pantry")
    price_world.subscribe_to_price(woo, [shopper(6)], str(tea))
    with woo.site._lock:
        woo.site.products[tea].update(price="10.00", regular_price="10.00",
                                      **woo.site._stamp(created=False))
    woo.site.dispatch("product.updated", woo.site.products[tea])
    assert price_world.price_alerted(woo) == []
