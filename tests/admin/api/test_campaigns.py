"""Campaigns through the API: create, refuse bad timing with nothing written, start, read
progress and results, a cancelled campaign cannot pause (409), another store's is 404."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from tests.admin.api.world import ApiWorld, call
from tests.worlds import campaigns as campaign_world


def test_a_campaign_is_created_started_and_read(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    w = campaign_world.build(app, store_id=world.store_a, reachable=4, unreachable=1)
    body = {"name": "Spring", "template": campaign_world.TEMPLATE, "language": "en",
            "segment_id": w.segment_id, "variables": campaign_world.VARIABLES,
            "discount": {"mode": "unique", "percent": 10, "hours": 24}}
    empty = call(client, "POST", "/api/v1/campaigns", world.write_a,
                 {**body, "variables": [{"source": "text", "value": ""}]})
    assert empty.status_code == 422
    assert "var1" in {e["field"] for e in empty.json["errors"]}
    created = call(client, "POST", "/api/v1/campaigns", world.write_a, body)
    assert created.status_code == 201, created.json
    campaign = created.json
    assert campaign["state"] == "draft" and campaign["progress"]["total"] == 0
    url = f"/api/v1/campaigns/{campaign['id']}"
    soon = datetime.now(UTC) + timedelta(hours=2)
    late = call(client, "POST", f"{url}/actions", world.write_a,
                {"action": "start", "scheduled_at": soon.isoformat(),
                 "deadline_at": (soon - timedelta(minutes=5)).isoformat()})
    assert late.status_code == 422
    assert {e["field"] for e in late.json["errors"]} == {"deadline_at"}
    assert call(client, "GET", url, world.read_a).json["progress"]["total"] == 0
    started = call(client, "POST", f"{url}/actions", world.write_a, {"action": "start"})
    assert started.status_code == 200, started.json
    read = call(client, "GET", url, world.read_a).json
    assert read["progress"]["total"] == 4 and read["progress"]["sent"] == 4
    assert read["results"]["sent"] == 4 and read["results"]["attribution_days"] == 5
    assert call(client, "POST", f"{url}/actions", world.write_a,
                {"action": "cancel"}).json["state"] == "cancelled"
    paused = call(client, "POST", f"{url}/actions", world.write_a, {"action": "pause"})
    assert paused.status_code == 409 and paused.json["code"] == "campaign_state"
    listed = call(client, "GET", "/api/v1/campaigns", world.read_a).json["data"]
    assert [c["name"] for c in listed] == ["Spring", "Alice sale"]  # newest first
    assert call(client, "GET", url, world.write_b).status_code == 404
    other = call(client, "POST", f"{url}/actions", world.write_b, {"action": "cancel"})
    assert other.status_code == 404


def test_a_campaigns_results_carry_its_analytics_revenue(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    w = campaign_world.build(app, store_id=world.store_a, reachable=2, unreachable=0)
    body = {"name": "Linen week", "template": campaign_world.TEMPLATE, "language": "en",
            "segment_id": w.segment_id, "variables": campaign_world.VARIABLES,
            "discount": {"mode": "shared", "percent": 10, "hours": 24}}
    campaign = call(client, "POST", "/api/v1/campaigns", world.write_a, body).json
    url = f"/api/v1/campaigns/{campaign['id']}"
    assert call(client, "POST", f"{url}/actions", world.write_a,
                {"action": "start"}).status_code == 200
    # The first recipient reads it and orders: last touch gives the order to the campaign.
    first = w.reachable[0]
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    campaign_world.reports(app, campaign_world.message_to(app, campaign["id"], first),
                           "read", now)
    campaign_world.places_order(app, first, 77, "42.50", now + timedelta(seconds=5))
    results = call(client, "GET", url, world.read_a).json["results"]
    assert results["flow"] == f"campaign:{campaign['id']}"
    assert (results["attributed_orders"], results["attributed_revenue"]) == (
        1, {"EUR": "42.50"})
    assert (results["orders"], results["revenue"]) == (1, {"EUR": "42.50"})
    revenue = call(client, "GET", "/api/v1/analytics/revenue?days=7", world.read_a).json
    line = next(x for x in revenue["flows"] if x["flow"] == results["flow"])
    assert (line["orders"], {line["currency"]: line["revenue"]}) == (
        results["attributed_orders"], results["attributed_revenue"])
    listed = call(client, "GET", f"/api/v1/analytics/revenue/orders?days=7"
                                 f"&flow={results['flow']}", world.read_a).json
    assert listed["total"] == 1 and listed["orders"][0]["number"] == "1077"
    since = (now - timedelta(days=400)).date().isoformat()  # older than any period offered
    listed = call(client, "GET", f"/api/v1/analytics/revenue/orders?since={since}"
                                 f"&flow={results['flow']}", world.read_a).json
    assert listed["total"] == 1 and listed["orders"][0]["number"] == "1077"
    assert call(client, "GET", "/api/v1/analytics/revenue/orders?since=soon",
                world.read_a).status_code in (400, 422)
    schema = call(client, "GET", "/api/v1/openapi.json").json["components"]["schemas"]
    documented = next(s for name, s in schema.items() if name.startswith("ResultsOut"))
    assert {"attributed_orders", "attributed_revenue", "flow"} <= set(
        documented["properties"])
