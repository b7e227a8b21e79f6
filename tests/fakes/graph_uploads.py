"""The fake Graph API's Resumable Upload API, as Meta runs it for template header samples:

- `POST /<app id>/uploads?file_name=&file_length=&file_type=` with a known access token
  (Bearer header or `access_token`) opens a session: `{"id": "upload:<id>?sig=<sig>"}`;
- `POST /upload:<id>?sig=<sig>` with `Authorization: OAuth <token>`, `file_offset: 0` and
  the file's bytes as the body answers `{"h": "4::<base64 type>:<random>"}`, the handle a
  template's media header gives as `example.header_handle`.

A mixin of tests.fakes.graph.FakeGraph; `check_handles` is what its template create and edit
use to refuse a media header whose example is not a handle this fake issued (a URL, say).
"""
from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.graph_rules import Invalid

# The sample types Meta takes for a template header, by the header's format.
SAMPLE_TYPES = {"IMAGE": ("image/jpeg", "image/png"), "VIDEO": ("video/mp4",),
                "DOCUMENT": ("application/pdf",)}
INVALID_PARAMETER = 100


@dataclass
class UploadSession:
    """An open upload session: what the app said it would send, and the token it used."""

    file_name: str
    file_length: int
    file_type: str
    token: str


class UploadsMixin:
    """Upload sessions on the fake's app, and the handles of the files they received."""

    app_id: str
    upload_sessions: dict[str, UploadSession]
    handles: dict[str, tuple[bytes, str]]  # handle -> (bytes, file type)
    _lock: threading.Lock
    _ids: Any
    _known_tokens: Any  # FakeGraph's: every token it knows

    def _open_upload(self, request: Request, app_id: str) -> Response:
        token = (request.headers.get("Authorization", "").removeprefix("Bearer ")
                 or request.args.get("access_token", ""))
        if token not in self._known_tokens():
            return _fail(190, 401, "Invalid OAuth access token - Cannot parse access token")
        if app_id != self.app_id:
            return _fail(100, 400, f"Unsupported post request. Object with ID '{app_id}' "
                                   "does not exist")
        file_type = request.args.get("file_type", "")
        length = request.args.get("file_length", "")
        if file_type not in {t for types in SAMPLE_TYPES.values() for t in types}:
            return _fail(100, 400, "(#100) Invalid file_type")
        if not length.isdigit() or int(length) <= 0:
            return _fail(100, 400, "(#100) file_length must be a positive integer")
        with self._lock:
            number = next(self._ids)
            session_id = "upload:" + base64.b64encode(f"attachment:{number}".encode()).decode(
            ).rstrip("=")
            self.upload_sessions[session_id] = UploadSession(
                request.args.get("file_name", ""), int(length), file_type, token)
        return _answer({"id": f"{session_id}?sig=ARfake{number}"})

    def _receive_upload(self, request: Request, session_id: str) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "OAuth" or token not in self._known_tokens():
            return _fail(190, 401, "Invalid OAuth access token - Cannot parse access token")
        with self._lock:
            session = self.upload_sessions.get(session_id)
        if session is None or not request.args.get("sig", "").startswith("ARfake"):
            return _fail(100, 400, "Invalid upload session")
        if request.headers.get("file_offset") != "0":
            return _fail(100, 400, "(#100) file_offset must be 0 for a new upload")
        data = request.get_data()
        if len(data) != session.file_length:
            return _fail(100, 400, f"(#100) got {len(data)} bytes, expected "
                                   f"{session.file_length}")
        handle = (f"4::{base64.b64encode(session.file_type.encode()).decode()}:"
                  f"{secrets.token_urlsafe(24)}")
        with self._lock:
            self.handles[handle] = (data, session.file_type)
            del self.upload_sessions[session_id]
        return _answer({"h": handle})

    def check_handles(self, components: Any) -> None:
        """Refuse (Invalid) a media header whose example is not a handle issued here for a
        file of the header's kind."""
        for component in components if isinstance(components, list) else []:
            if not isinstance(component, dict) or component.get("type") != "HEADER":
                continue
            wanted = SAMPLE_TYPES.get(str(component.get("format")))
            if wanted is None:
                continue
            example = component.get("example")
            handles = example.get("header_handle") if isinstance(example, dict) else None
            handle = handles[0] if isinstance(handles, list) and handles else None
            with self._lock:
                found = self.handles.get(handle) if isinstance(handle, str) else None
            if found is None:
                raise Invalid(INVALID_PARAMETER, "example.header_handle is not the handle of "
                                                 "an uploaded file")
            if found[1] not in wanted:
                raise Invalid(INVALID_PARAMETER, f"a {component['format']} header cannot "
                                                 f"show a {found[1]} sample")


def _answer(data: dict[str, Any]) -> Response:
    from tests.fakes.graph_templates import _json
    return _json(data)


def _fail(code: int, status: int, message: str) -> Response:
    from tests.fakes.graph import _error
    return _error(code, status, message)
