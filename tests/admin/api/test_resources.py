"""What the resources say: paging, search, consent recorded under the admin's rules, order
and message details, and the old /api URLs redirecting here."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Automation, ConsentEntry, Customer
from tests.admin.api.world import ApiWorld, call
from tests.conftest import sign_in


def test_pages_walk_every_row_once_newest_first(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    seen: list[int] = []
    cursor = ""
    while True:
        page = call(client, "GET", f"/api/v1/automations?limit=2{cursor}", world.read_a).json
        seen += [a["id"] for a in page["data"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    with app.app_context():
        expected = list(db.session().scalars(select(Automation.id).where(
            Automation.store_id == world.store_a).order_by(Automation.id.desc())))
    assert seen == expected and len(expected) > 2


def test_customers_are_found_by_phone_and_email(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    found = call(client, "GET", "/api/v1/customers?phone=912 345 678", world.read_a).json
    assert [c["first_name"] for c in found["data"]] == ["Alice"]
    assert found["data"][0]["phone"] == "+351912345678"
    by_email = call(client, "GET", "/api/v1/customers?email=ANA@example.com", world.read_a)
    assert [c["first_name"] for c in by_email.json["data"]] == ["Alice"]
    none = call(client, "GET", "/api/v1/customers?phone=%2B351913000111", world.read_a)
    assert none.json["data"] == []
    unreadable = call(client, "GET", "/api/v1/customers?phone=abc", world.read_a)
    assert unreadable.status_code == 422
    assert unreadable.json["errors"][0]["field"] == "phone"


def _alice(app: Flask, world: ApiWorld) -> int:
    with app.app_context():
        return int(db.session().scalars(select(Customer.id).where(
            Customer.store_id == world.store_a, Customer.first_name == "Alice")).one())


def test_an_api_opt_in_counts_once_the_number_writes_and_an_opt_out_at_once(
        app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    customer_id = _alice(app, world)
    url = f"/api/v1/customers/{customer_id}/consent"
    text = "Yes, send me offers on WhatsApp (shop counter form)"
    given = call(client, "POST", url, world.write_a, {"granted": True, "text": text})
    assert given.status_code == 201 and given.json["recorded"] is True
    assert given.json["customer"]["marketing"] == "unconfirmed"
    newest = given.json["customer"]["consent_history"][0]
    assert (newest["source"], newest["text_shown"], newest["granted"]) == ("api", text, True)
    again = call(client, "POST", url, world.write_a, {"granted": True, "text": text})
    assert again.status_code == 200 and again.json["recorded"] is False

    with app.app_context(), db.transaction() as session:  # the shopper writes to the store
        customer = session.get(Customer, customer_id)
        customer.last_inbound_at = db.utcnow() + timedelta(seconds=2)
    read = call(client, "GET", f"/api/v1/customers/{customer_id}", world.read_a).json
    assert read["marketing"] == "opted_in"

    stop = call(client, "POST", url, world.write_a, {"granted": False, "text": "STOP by phone"})
    assert stop.status_code == 201 and stop.json["customer"]["marketing"] == "opted_out"
    with app.app_context():
        entries = db.session().scalars(select(ConsentEntry).where(
            ConsentEntry.customer_id == customer_id, ConsentEntry.source == "api")).all()
        assert [e.granted for e in entries] == [True, False]


def test_an_order_and_a_message_read_as_the_admin_shows_them(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    order = call(client, "GET", f"/api/v1/orders/{world.ids_a['order_id']}", world.read_a).json
    assert (order["number"], order["total"], order["currency"]) == ("1001", "9.99", "EUR")
    assert order["line_items"] == [{"title": "Linen shirt", "quantity": 1, "price": "9.99"}]
    message = call(client, "GET", f"/api/v1/messages/{world.ids_a['message_id']}",
                   world.read_a).json
    assert message["order_id"] == order["id"] and message["order_number"] == "1001"
    assert "Alice" in message["text"]
    assert message["state"] in {"pending", "sending", "sent", "delivered", "read", "failed",
                                "skipped"}
    listed = call(client, "GET", f"/api/v1/messages?order_id={order['id']}", world.read_a)
    assert [m["id"] for m in listed.json["data"]] == [message["id"]]
    shipped = call(client, "GET", "/api/v1/orders?status=shipped", world.read_a).json
    assert shipped["data"] == []


def test_the_old_urls_redirect_to_their_v1_equivalents(app: Flask) -> None:
    world = ApiWorld(app)
    anonymous = app.test_client()
    assert anonymous.get(f"/api/stores/{world.store_a}/orders").status_code == 401
    client: FlaskClient = app.test_client()
    sign_in(client, "a@example.com")
    moved = client.get(f"/api/stores/{world.store_a}/orders?limit=5")
    assert moved.status_code == 308
    assert moved.headers["Location"] == f"/api/v1/orders?limit=5&store={world.store_a}"
    assert moved.headers["Deprecation"] == "true"
    assert 'rel="successor-version"' in moved.headers["Link"]
    followed = client.get(f"/api/stores/{world.store_a}/orders", follow_redirects=True)
    assert [o["number"] for o in followed.json["data"]] == ["1001"]
    assert client.get(f"/api/stores/{world.store_b}/orders").status_code == 404
    stores = client.get("/api/stores", follow_redirects=True).json["data"]
    assert [s["id"] for s in stores] == [world.store_a]
    export = client.get(f"/api/exports/{world.ids_a['export_id']}", follow_redirects=True)
    assert export.json["request_id"] == f"req-{world.store_a}"
    assert client.get(f"/api/exports/{world.ids_b['export_id']}").status_code == 404


def test_an_automations_delay_is_held_to_its_own_longest_wait(app: Flask) -> None:
    from plugin.domain import cross_sell

    world = ApiWorld(app)
    client = app.test_client()
    with app.app_context(), db.transaction() as session:
        journeys = {a.journey: a.id for a in session.scalars(select(Automation).where(
            Automation.store_id == world.store_a))}
        if cross_sell.JOURNEY not in journeys:
            row = Automation(store_id=world.store_a, journey=cross_sell.JOURNEY,
                             trigger="delivered", template="cross_sell", language="en",
                             variables=[], conditions={}, delay_seconds=7 * 86400,
                             enabled=False)
            session.add(row)
            session.flush()
            journeys[cross_sell.JOURNEY] = row.id
    month = 30 * 86400
    ok = call(client, "PATCH", f"/api/v1/automations/{journeys[cross_sell.JOURNEY]}"
              f"?store_id={world.store_a}", world.write_a, {"delay_seconds": month})
    assert ok.status_code == 200 and ok.json["delay_seconds"] == month
    journey = next(i for j, i in journeys.items() if j == "order_confirmation")
    refused = call(client, "PATCH", f"/api/v1/automations/{journey}?store_id={world.store_a}",
                   world.write_a, {"delay_seconds": 8 * 86400})
    assert refused.status_code == 422
    assert refused.json["errors"] == [{"field": "delay_seconds", "location": "body",
                                       "message": "At most 604800 seconds for this automation."}]
