"""A campaign with a media-header template through the API: the header's https link (or
an uploaded media id) is taken and every message carries it; none, or an http link, is
refused with the field named and nothing saved."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from plugin.infra import db
from plugin.models import Campaign, Message, Template
from plugin.pipeline.campaigns import links
from tests.admin.api.world import ApiWorld, call
from tests.worlds import campaigns as campaign_world

LINK = "https://camp.example/media/spring.mp4"


def test_a_video_header_by_link_or_media_id(app: Flask) -> None:
    world = ApiWorld(app)
    client = app.test_client()
    w = campaign_world.build(app, store_id=world.store_a, reachable=2, unreachable=0)
    with app.app_context(), db.transaction() as session:
        session.add(Template(store_id=w.store_id, name="spring_video", language="en",
                             category="MARKETING", status="APPROVED",
                             parameter_format="POSITIONAL", components=[
                                 {"type": "HEADER", "format": "VIDEO"},
                                 {"type": "BODY", "text": campaign_world.BODY}]))
    body = {"name": "Spring video", "template": "spring_video", "language": "en",
            "segment_id": w.segment_id, "variables": campaign_world.VARIABLES,
            "discount": {"mode": "shared", "percent": 10, "hours": 24}}
    for refused in ({}, {"header_link": "http://camp.example/spring.mp4"}):
        answer = call(client, "POST", "/api/v1/campaigns", world.write_a, {**body, **refused})
        assert answer.status_code == 422, answer.json
        assert {e["field"] for e in answer.json["errors"]} == {"header_media"}
    with app.app_context():
        before = db.session().scalar(select(func.count(Campaign.id)))
    by_id = call(client, "POST", "/api/v1/campaigns", world.write_a,
                 {**body, "header_media_id": "1234567890"})
    assert by_id.status_code == 201, by_id.json
    created = call(client, "POST", "/api/v1/campaigns", world.write_a,
                   {**body, "header_link": LINK})
    assert created.status_code == 201, created.json
    url = f"/api/v1/campaigns/{created.json['id']}"
    assert call(client, "POST", f"{url}/actions", world.write_a,
                {"action": "start"}).status_code == 200
    with app.app_context():
        assert db.session().scalar(select(func.count(Campaign.id))) == before + 2
        payloads = [m.payload for m in db.session().scalars(select(Message).where(
            Message.cause == links.cause(created.json["id"])))]
        assert db.session().get_one(Campaign, by_id.json["id"]).header_media == {
            "kind": "video", "id": "1234567890", "filename": ""}
    assert len(payloads) == 2
    for payload in payloads:
        assert payload["template"]["components"][0] == {
            "type": "header", "parameters": [{"type": "video", "video": {"link": LINK}}]}
