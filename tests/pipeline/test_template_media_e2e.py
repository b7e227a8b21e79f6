"""A template with an image header, end to end against the fake Graph API on loopback: the
sample file chosen in the owner's editor (multipart), kept with the template, uploaded to
the Meta app by the Resumable Upload API, and the handle given as the header's example;
approved by Meta's webhook, or rejected and resubmitted from the stored file. Files of the
wrong kind or size are refused next to the field, and without WHATSAPP_APP_ID a real number
is refused before Meta hears anything."""
from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from plugin.infra import db
from plugin.models import Template, WhatsAppAccount
from plugin.platforms.whatsapp import authoring
from tests.conftest import csrf_token, make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.pipeline.test_templates_e2e import (
    APP_SECRET,
    PNID,
    PUBLIC_URL,
    SHOPIFY_SECRET,
    TOKEN,
    WABA,
    Owned,
)

APP_ID = "1029384756"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PROMO = {"name": "lino_nuevo", "language": "es", "category": "MARKETING",
         "style": "POSITIONAL", "header_kind": "image",
         "body": "Hola {{1}}, ya llegó la colección de lino de verano.", "sample_1": "Ana",
         "action": "submit"}


def _owned(tmp_path: Path, **settings: Any) -> Iterator[Owned]:
    graph = FakeGraph(tokens={PNID: TOKEN}, app_id=APP_ID)
    graph.add_waba(WABA, TOKEN, PNID)
    with LoopbackServer(graph) as server:
        app = make_app(tmp_path / "instance", whatsapp_graph_url=server.url,
                       whatsapp_app_secret=APP_SECRET, shopify_api_key="key",
                       shopify_api_secret=SHOPIFY_SECRET, public_url=PUBLIC_URL, **settings)
        yield Owned(app, graph)
        app.extensions["storechat.engine"].dispose()


@pytest.fixture
def owned(tmp_path: Path) -> Iterator[Owned]:
    yield from _owned(tmp_path, whatsapp_app_id=APP_ID)


@pytest.fixture
def no_app_id(tmp_path: Path) -> Iterator[Owned]:
    yield from _owned(tmp_path)


def _post(owned: Owned, path: str, form: dict[str, str], file: bytes | None = None,
          file_name: str = "sample.png") -> Any:
    data: dict[str, Any] = dict(form, csrf_token=csrf_token(
        owned.client, f"/stores/{owned.store_id}/templates/new"))
    if file is not None:
        data["header_file"] = FileStorage(io.BytesIO(file), file_name)
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(data)
    return owned.client.post(path, data=body,
                             content_type=f"multipart/form-data; boundary={boundary}")


def _field_error(response: Any, field: str) -> str:
    page = html.unescape(response.get_data(as_text=True))
    assert f'id="error-{field}"' in page, page[:2000]
    return page.split(f'id="error-{field}"')[1][:400]


def _stored(owned: Owned, name: str) -> tuple[str, bytes | None, str | None]:
    """The row's status and its kept sample file (a deferred column, read in a session)."""
    with owned.app.app_context():
        row = db.session().execute(select(
            Template.status, Template.header_sample, Template.header_sample_type).where(
            Template.name == name)).one()
        return row.status, row.header_sample, row.header_sample_type


def _header(components: list[dict[str, Any]]) -> dict[str, Any]:
    [header] = [c for c in components if c["type"] == "HEADER"]
    return header


def test_an_image_header_is_uploaded_created_with_its_handle_and_approved(
        owned: Owned) -> None:
    new = f"/stores/{owned.store_id}/templates/new"
    response = _post(owned, new, PROMO, PNG, "summer.png")
    assert response.status_code == 303, response.get_data(as_text=True)
    [(handle, (data, file_type))] = owned.graph.handles.items()
    assert (data, file_type) == (PNG, "image/png")
    assert handle.startswith("4::" + base64.b64encode(b"image/png").decode() + ":")
    at_meta = owned.graph.template(WABA, "lino_nuevo", "es")
    assert _header(at_meta["components"]) == {
        "type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}}
    assert _stored(owned, "lino_nuevo") == ("PENDING", PNG, "image/png")
    owned.meta_says("lino_nuevo", "es", "APPROVED")
    assert owned.template("lino_nuevo", "es").status == "APPROVED"


def test_a_rejected_image_template_is_resubmitted_from_the_stored_file(owned: Owned) -> None:
    new = f"/stores/{owned.store_id}/templates/new"
    assert _post(owned, new, PROMO, JPEG, "photo.jpg").status_code == 303
    owned.meta_says("lino_nuevo", "es", "REJECTED", "INVALID_FORMAT", "Say who is writing.")
    row = owned.template("lino_nuevo", "es")
    edit = f"/stores/{owned.store_id}/templates/{row.id}"
    page = html.unescape(owned.client.get(edit).get_data(as_text=True))
    assert 'enctype="multipart/form-data"' in page and "Kept: a JPEG image sample" in page
    fixed = dict(PROMO, body="Hola {{1}}, soy Linen & Co: ya llegó el lino de verano.")
    response = _post(owned, edit, fixed)  # no file chosen this time
    assert response.status_code == 303, response.get_data(as_text=True)
    [(template_id, change)] = owned.graph.edits
    assert template_id == row.meta_id
    handle = _header(change["components"])["example"]["header_handle"][0]
    assert owned.graph.handles[handle] == (JPEG, "image/jpeg")
    assert len(owned.graph.handles) == 2  # uploaded again, from the stored bytes
    assert owned.template("lino_nuevo", "es").status == "PENDING"


@pytest.mark.parametrize(("kind", "file", "words"), [
    ("document", PNG, "This file is not a PDF"),  # the name says PDF, the bytes say PNG
    ("image", b"%PDF-1.7\n" + b"x" * 100, "This file is not a JPEG or PNG image"),
    ("image", JPEG + b"\x00" * (5 * 1024 * 1024), "WhatsApp takes a sample of at most 5 MB"),
    ("video", b"", "Choose an MP4 video"),
])
def test_a_wrong_file_is_refused_next_to_its_field(owned: Owned, kind: str, file: bytes,
                                                   words: str) -> None:
    response = _post(owned, f"/stores/{owned.store_id}/templates/new",
                     dict(PROMO, header_kind=kind), file or None, "sample.pdf")
    assert response.status_code == 400
    assert words in _field_error(response, "header_file")
    assert owned.graph.handles == {} and owned.graph.wabas[WABA].templates == []
    with owned.app.app_context():
        assert db.session().scalars(select(Template).where(
            Template.name == "lino_nuevo")).all() == []


def test_without_the_app_id_a_real_number_refuses_before_meta(no_app_id: Owned) -> None:
    response = _post(no_app_id, f"/stores/{no_app_id.store_id}/templates/new", PROMO, PNG)
    assert response.status_code == 400
    assert "set WHATSAPP_APP_ID" in _field_error(response, "header_file")
    assert no_app_id.graph.upload_sessions == {} and no_app_id.graph.handles == {}
    assert no_app_id.graph.wabas[WABA].templates == []


def test_the_sandbox_approves_an_image_template_without_uploading(no_app_id: Owned) -> None:
    with no_app_id.app.app_context(), db.transaction() as session:
        session.delete(session.scalars(select(WhatsAppAccount)).one())
    response = _post(no_app_id, f"/stores/{no_app_id.store_id}/templates/new", PROMO, PNG)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert _stored(no_app_id, "lino_nuevo") == ("PENDING", PNG, "image/png")
    with no_app_id.app.app_context():
        authoring.sandbox_review(no_app_id.template("lino_nuevo", "es").id)  # its delayed job
    assert _stored(no_app_id, "lino_nuevo") == ("APPROVED", PNG, "image/png")
    assert no_app_id.graph.upload_sessions == {} and no_app_id.graph.handles == {}
