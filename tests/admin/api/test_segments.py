"""Segments and customer filters through the API: create, list, count; another store's
segment is not found; the customer list filters by tag and consent."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import ConsentEntry, Customer, CustomerTag
from tests.admin.api.world import ApiWorld, call


def test_a_segment_is_created_listed_and_counted(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    with app.app_context(), db.transaction() as session:
        alice = session.scalars(select(Customer).where(
            Customer.store_id == world.store_a, Customer.first_name == "Alice")).one()
        session.add(CustomerTag(store_id=world.store_a, customer_id=alice.id, tag="vip",
                                source="manual"))
        session.add(ConsentEntry(store_id=world.store_a, customer_id=alice.id,
                                 purpose="marketing", granted=True, source="checkout",
                                 text_shown="Yes"))
        total = len(list(session.scalars(select(Customer.id).where(
            Customer.store_id == world.store_a))))
    created = call(client, "POST", "/api/v1/segments", world.write_a,
                   {"name": "VIPs", "definition": {"tags_include": ["VIP"]}})
    assert created.status_code == 201
    segment = created.json
    assert segment["definition"]["tags_include"] == ["vip"]
    listed = call(client, "GET", "/api/v1/segments", world.read_a).json["data"]
    assert [s["name"] for s in listed] == ["VIPs", "Alice regulars"]
    counted = call(client, "GET", f"/api/v1/segments/{segment['id']}/count", world.read_a)
    assert (counted.json["matched"], counted.json["reachable"]) == (1, 1)
    everyone = call(client, "POST", "/api/v1/segments", world.write_a,
                    {"name": "All", "definition": {}}).json
    counted = call(client, "GET", f"/api/v1/segments/{everyone['id']}/count",
                   world.read_a).json
    assert counted["matched"] == total
    assert counted["reachable"] + sum(i["count"] for i in counted["left_out"]) == total
    # Another store's token does not see it.
    other = call(client, "GET", f"/api/v1/segments/{segment['id']}/count", world.write_b)
    assert other.status_code == 404
    bad = call(client, "POST", "/api/v1/segments", world.write_a,
               {"name": "x", "definition": {"countries": ["Portugal"], "spend_min": "-1"}})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"definition.countries",
                                                        "definition.spend_min"}
    tagged = call(client, "GET", "/api/v1/customers?tag=vip", world.read_a).json["data"]
    assert [c["first_name"] for c in tagged] == ["Alice"]
    opted = call(client, "GET", "/api/v1/customers?consent=opted_in", world.read_a).json
    assert [c["first_name"] for c in opted["data"]] == ["Alice"]
    assert {"country", "order_count", "spent", "last_order_at"} <= set(tagged[0])
