"""Campaign templates with an image header, through the editor and the fake Graph API: the
owner gives the header's web address, or uploads the file (to the store's number, through
Graph's media upload), and every message carries it — the exact Graph body checked; a
template with a media header and no file, or a file of the wrong kind, is refused with a
clear message and nothing saved."""
from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugin.infra import db
from plugin.models import Campaign, Template, WhatsAppAccount
from plugin.pipeline.campaigns import codes
from tests.conftest import csrf_token, make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.worlds import campaigns as world

NUMBER, TOKEN = "106540352242922", "EAAG-campaign-token"
PHOTO_TEMPLATE = "spring_photo"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a PNG's signature: what the checks read
PDF = b"%PDF-1.4\n" + b"\x00" * 64
LINK = "https://camp.example/media/spring.jpg"


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    cloud = FakeGraph(tokens={NUMBER: TOKEN})
    with LoopbackServer(cloud) as server:
        yield cloud, server.url


@pytest.fixture
def app(tmp_path: Path, graph: tuple[FakeGraph, str]) -> Iterator[Flask]:
    application = make_app(tmp_path / "instance", whatsapp_graph_url=graph[1])
    yield application
    application.extensions["storechat.engine"].dispose()


@pytest.fixture
def photo_world(app: Flask, owner: FlaskClient) -> world.World:
    """Three reachable customers, the store's number, and an approved template whose
    header is an image."""
    w = world.build(app, reachable=3, unreachable=0, owner_email="owner@example.com")
    with app.app_context(), db.transaction() as session:
        session.add(WhatsAppAccount(store_id=w.store_id, phone_number_id=NUMBER,
                                    waba_id="WABA1", access_token=TOKEN))
        session.add(Template(store_id=w.store_id, name=PHOTO_TEMPLATE, language="en",
                             category="MARKETING", status="APPROVED",
                             parameter_format="POSITIONAL", components=[
                                 {"type": "HEADER", "format": "IMAGE",
                                  "example": {"header_handle": ["4::aW1hZ2U=:x"]}},
                                 {"type": "BODY", "text": world.BODY}]))
    return w


def form(w: world.World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Spring photo", "template": f"{PHOTO_TEMPLATE}|en",
        "segment_id": str(w.segment_id), "var1_source": "field", "var1_field": "first_name",
        "var1_text": "", "var2_source": "text", "var2_text": "20%",
        "var3_source": "discount", "var3_text": "", "discount_mode": "shared",
        "discount_percent": "20", "discount_hours": "48", "link_url": "",
        "attribution_days": "5", "header_link": ""}
    data.update(changes)
    return data


def post(client: FlaskClient, w: world.World, **changes: Any) -> Any:
    url = f"/stores/{w.store_id}/campaigns/new"
    return client.post(url, data={**form(w, **changes), "csrf_token": csrf_token(client, url)},
                       content_type="multipart/form-data")


def start_now(client: FlaskClient, w: world.World, campaign_id: int) -> None:
    url = f"/stores/{w.store_id}/campaigns/{campaign_id}"
    response = client.post(f"{url}/start", data={"csrf_token": csrf_token(client, url),
                                                 "when": "now"})
    assert response.status_code == 302, response.get_data(as_text=True)


def campaign_id_of(response: Any) -> int:
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))
    return int(re.search(r"/campaigns/(\d+)$", response.headers["Location"]).group(1))


def expected(to: str, header: dict[str, Any], code: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "template", "template": {
                "name": PHOTO_TEMPLATE, "language": {"code": "en"}, "components": [
                    {"type": "header", "parameters": [header]},
                    {"type": "body", "parameters": [{"type": "text", "text": "Ana"},
                                                    {"type": "text", "text": "20%"},
                                                    {"type": "text", "text": code}]}]}}


def graph_bodies(cloud: FakeGraph) -> dict[str, dict[str, Any]]:
    """What the fake Graph accepted, by recipient, without our callback marker."""
    out = {}
    for sent in cloud.sent:
        body = dict(sent.payload)
        assert body.pop("biz_opaque_callback_data").startswith("storechat:")
        out[body["to"]] = body
    return out


def recipients(app: Flask, w: world.World) -> list[str]:
    from plugin.models import Customer
    with app.app_context():
        return [p.lstrip("+") for p in db.session().scalars(
            select(Customer.phone_e164).where(Customer.id.in_(w.reachable)))]


def test_a_header_link_is_sent_with_every_message(
        app: Flask, owner: FlaskClient, photo_world: world.World,
        graph: tuple[FakeGraph, str]) -> None:
    cloud, _ = graph
    campaign_id = campaign_id_of(post(owner, photo_world, header_link=LINK))
    start_now(owner, photo_world, campaign_id)
    code = codes.code_for(campaign_id, None)
    header = {"type": "image", "image": {"link": LINK}}
    assert graph_bodies(cloud) == {to: expected(to, header, code)
                                   for to in recipients(app, photo_world)}
    assert cloud.media == {}  # a link is fetched by Meta: nothing uploaded


def test_an_uploaded_header_goes_once_to_graph_and_by_id_in_every_message(
        app: Flask, owner: FlaskClient, photo_world: world.World,
        graph: tuple[FakeGraph, str]) -> None:
    cloud, _ = graph
    campaign_id = campaign_id_of(post(owner, photo_world,
                                      header_file=(io.BytesIO(PNG), "spring.png")))
    [(media_id, (data, mime, filename))] = cloud.media.items()
    assert (data, mime, filename) == (PNG, "image/png", "spring.png")
    with app.app_context():
        saved = db.session().get_one(Campaign, campaign_id).header_media
    assert saved == {"kind": "image", "id": media_id, "filename": "spring.png"}
    # Editing the campaign without choosing the file again keeps it.
    url = f"/stores/{photo_world.store_id}/campaigns/{campaign_id}/edit"
    edited = owner.post(url, data={**form(photo_world, name="Spring photo 2"),
                                   "csrf_token": csrf_token(owner, url)},
                        content_type="multipart/form-data")
    assert edited.status_code == 302
    start_now(owner, photo_world, campaign_id)
    code = codes.code_for(campaign_id, None)
    header = {"type": "image", "image": {"id": media_id}}
    assert graph_bodies(cloud) == {to: expected(to, header, code)
                                   for to in recipients(app, photo_world)}
    assert len(cloud.media) == 1  # uploaded once, not per recipient


def test_a_media_header_without_a_file_or_with_the_wrong_one_is_refused(
        app: Flask, owner: FlaskClient, photo_world: world.World,
        graph: tuple[FakeGraph, str]) -> None:
    cloud, _ = graph
    missing = post(owner, photo_world)
    assert missing.status_code == 422
    assert ("this template shows an image at the top: give its web address (https://…) or "
            "upload the file") in html.unescape(missing.get_data(as_text=True))
    wrong = post(owner, photo_world, header_file=(io.BytesIO(PDF), "flyer.pdf"))
    assert wrong.status_code == 422
    assert "This file is not a JPEG or PNG image" in html.unescape(
        wrong.get_data(as_text=True))
    plain = post(owner, photo_world, header_link="http://camp.example/spring.jpg")
    assert plain.status_code == 422
    assert "a media link must be an https URL" in html.unescape(plain.get_data(as_text=True))
    with app.app_context():
        assert db.session().scalar(select(func.count(Campaign.id))) == 0
    assert cloud.media == {} and cloud.sent == []


def test_the_templates_without_media_need_no_file(
        app: Flask, owner: FlaskClient, photo_world: world.World) -> None:
    response = post(owner, photo_world, template=f"{world.TEMPLATE}|en",
                    header_file=(io.BytesIO(PNG), "spring.png"))
    assert response.status_code == 422
    assert "this template has no image, video or document header" in html.unescape(
        response.get_data(as_text=True))
    ok = post(owner, photo_world, template=f"{world.TEMPLATE}|en")
    campaign_id_of(ok)
