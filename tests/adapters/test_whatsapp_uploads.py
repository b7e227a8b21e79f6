"""CloudClient.upload_sample: a template header's sample through Meta's Resumable Upload API
(open a session on the app, then send the bytes with the OAuth scheme and file_offset), the
request checked on the wire and against the fake Graph, whose template create takes only a
handle it issued."""
from __future__ import annotations

import base64
import json

import httpx
import pytest

from adapters.whatsapp.client import CloudClient
from adapters.whatsapp.errors import SampleRefused, TemplateRefused
from plugin.domain.errors import AccountError, RetryableError
from tests.fakes.graph import FakeGraph

PNID, WABA, TOKEN = "106540352242922", "102290129340398", "EAAG-upload-token-0123456789"
APP_ID = "1029384756"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
BASE = "https://graph.test"


def _client(handler: httpx.MockTransport | httpx.WSGITransport) -> CloudClient:
    return CloudClient(httpx.Client(transport=handler), BASE, "v23.0")


def test_the_two_requests_are_meta_s_resumable_upload() -> None:
    seen: list[httpx.Request] = []

    def meta(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(200, json={"id": "upload:MTphdHRhY2htZW50Ojk5?sig=ARaB"})
        return httpx.Response(200, json={"h": "4::aW1hZ2UvcG5n:ARZhandle"})

    handle = _client(httpx.MockTransport(meta)).upload_sample(
        APP_ID, TOKEN, PNG, "image/png", "sample.png")
    assert handle == "4::aW1hZ2UvcG5n:ARZhandle"
    opened, sent = seen
    assert (opened.method, opened.url.path) == ("POST", f"/v23.0/{APP_ID}/uploads")
    assert dict(opened.url.params) == {"file_name": "sample.png",
                                       "file_length": str(len(PNG)), "file_type": "image/png"}
    assert opened.headers["Authorization"] == f"Bearer {TOKEN}"
    assert (sent.method, sent.url.path) == ("POST", "/v23.0/upload:MTphdHRhY2htZW50Ojk5")
    assert dict(sent.url.params) == {"sig": "ARaB"}
    assert sent.headers["Authorization"] == f"OAuth {TOKEN}"
    assert sent.headers["file_offset"] == "0"
    assert sent.content == PNG


def test_a_session_id_of_another_shape_is_never_followed() -> None:
    seen: list[httpx.Request] = []

    def meta(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "upload:x/../../me/messages"})

    with pytest.raises(RetryableError):
        _client(httpx.MockTransport(meta)).upload_sample(APP_ID, TOKEN, PNG, "image/png",
                                                         "sample.png")
    assert len(seen) == 1


def test_an_answer_without_a_handle_is_retryable() -> None:
    answers = iter([{"id": "upload:abc"}, {}])
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=next(answers)))
    with pytest.raises(RetryableError, match="no handle"):
        _client(transport).upload_sample(APP_ID, TOKEN, PNG, "image/png", "sample.png")


@pytest.fixture
def fake() -> FakeGraph:
    graph = FakeGraph(app_id=APP_ID)
    graph.add_waba(WABA, TOKEN, PNID)
    return graph


def _image_template(handle: str) -> dict[str, object]:
    return {"name": "summer", "language": "en", "category": "MARKETING",
            "parameter_format": "POSITIONAL", "components": [
                {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}},
                {"type": "BODY", "text": "Summer linen is here."}]}


def test_the_fake_issues_a_handle_its_template_create_accepts(fake: FakeGraph) -> None:
    client = _client(httpx.WSGITransport(app=fake))
    handle = client.upload_sample(APP_ID, TOKEN, PNG, "image/png", "sample.png")
    assert handle.startswith("4::" + base64.b64encode(b"image/png").decode() + ":")
    assert fake.handles[handle] == (PNG, "image/png")
    created = client.create_template(WABA, TOKEN, _image_template(handle))
    assert created["status"] == "PENDING"


@pytest.mark.parametrize("example", ["https://cdn.example/summer.png", "4::bm90:issued"])
def test_the_fake_refuses_a_header_example_it_did_not_issue(fake: FakeGraph,
                                                            example: str) -> None:
    client = _client(httpx.WSGITransport(app=fake))
    with pytest.raises(TemplateRefused, match="not the handle of an uploaded file"):
        client.create_template(WABA, TOKEN, _image_template(example))
    assert fake.wabas[WABA].templates == []


def test_a_video_handle_is_refused_on_an_image_header(fake: FakeGraph) -> None:
    client = _client(httpx.WSGITransport(app=fake))
    handle = client.upload_sample(APP_ID, TOKEN, b"\x00\x00\x00\x18ftypmp42", "video/mp4",
                                  "sample.mp4")
    with pytest.raises(TemplateRefused, match="cannot show a video/mp4 sample"):
        client.create_template(WABA, TOKEN, _image_template(handle))


def test_refusals_are_classified(fake: FakeGraph) -> None:
    client = _client(httpx.WSGITransport(app=fake))
    with pytest.raises(SampleRefused) as refused:
        client.upload_sample("999", TOKEN, PNG, "image/png", "sample.png")  # not our app
    assert refused.value.field == "header_file"
    with pytest.raises(SampleRefused, match="file_type"):
        client.upload_sample(APP_ID, TOKEN, b"GIF89a", "image/gif", "sample.gif")
    with pytest.raises(AccountError):
        client.upload_sample(APP_ID, "EAAG-revoked", PNG, "image/png", "sample.png")
    fake.fail_next(2, 503, "Service temporarily unavailable")
    with pytest.raises(RetryableError):
        client.upload_sample(APP_ID, TOKEN, PNG, "image/png", "sample.png")
    assert fake.handles == {}


def test_the_fake_wants_the_oauth_scheme_and_the_offset(fake: FakeGraph) -> None:
    http = httpx.Client(transport=httpx.WSGITransport(app=fake))
    opened = http.post(f"{BASE}/v23.0/{APP_ID}/uploads", params={
        "file_name": "a.png", "file_length": len(PNG), "file_type": "image/png",
        "access_token": TOKEN}).json()
    url = f"{BASE}/v23.0/{opened['id']}"
    bearer = http.post(url, content=PNG, headers={"Authorization": f"Bearer {TOKEN}",
                                                  "file_offset": "0"})
    assert json.loads(bearer.content)["error"]["code"] == 190
    no_offset = http.post(url, content=PNG, headers={"Authorization": f"OAuth {TOKEN}"})
    assert no_offset.status_code == 400
    short = http.post(url, content=PNG[:10], headers={"Authorization": f"OAuth {TOKEN}",
                                                      "file_offset": "0"})
    assert short.status_code == 400
    assert fake.handles == {}
