"""The fake Graph API's inbound media and read receipts, as Meta behaves:

- `GET /<version>/<media id>` with the receiving number's token answers `{"url",
  "mime_type", "sha256", "file_size", "id", "messaging_product"}`; the URL is good for
  `url_seconds` (Meta: five minutes) and a media id the fake does not hold is error 100;
- `GET /whatsapp_business/attachments/?mid=&ext=&hash=` (the lookaside URL) answers the
  bytes with their type only with the same Bearer token (401 otherwise), and 404 once the
  URL has expired; `downloads` counts the files served;
- `POST /<phone number id>/messages` with `{"status": "read", "message_id"}` is the read
  receipt: `{"success": true}`, kept in `read_receipts`.

A mixin of tests.fakes.graph.FakeGraph (whose `_handle` routes here first).
"""
from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from werkzeug.wrappers import Request, Response

ATTACHMENTS_PATH = "/whatsapp_business/attachments/"
# How long a looked-up URL can be downloaded, as Meta's documentation says.
URL_SECONDS = 300


@dataclass
class InboundFile:
    """A file a shopper sent: what the number's token may download."""

    data: bytes
    mime_type: str
    token: str
    # What the download answers as Content-Type (Meta's, unless a test makes it lie).
    served_as: str = ""


def _answer(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _graph_error(code: int, status: int, message: str) -> Response:
    return _answer({"error": {"message": message, "type": "OAuthException", "code": code,
                              "fbtrace_id": "AbCdEf"}}, status)


class MediaMixin:
    """Inbound media state and routes for FakeGraph."""

    inbound_media: dict[str, InboundFile]
    downloads: Counter[str]
    read_receipts: list[tuple[str, str]]
    url_seconds: int
    _media_links: dict[str, tuple[str, float]]
    _lock: threading.Lock

    def _media_state(self) -> None:
        self.inbound_media = {}
        self.downloads = Counter()
        self.read_receipts = []
        self.url_seconds = URL_SECONDS
        self._media_links = {}

    def add_inbound_media(self, media_id: str, data: bytes, mime_type: str, token: str, *,
                          served_as: str = "") -> None:
        """A shopper's file, reachable by `media_id` with `token` (their number's)."""
        with self._lock:
            self.inbound_media[media_id] = InboundFile(data, mime_type, token,
                                                       served_as or mime_type)

    def _media_route(self, request: Request, base_url: str) -> Response | None:
        """Answer a media lookup or download, or None when the request is neither."""
        if request.path == ATTACHMENTS_PATH and request.method == "GET":
            return self._download(request)
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and len(parts) == 2 and parts[1] in self.inbound_media:
            return self._lookup(request, parts[1], base_url)
        return None

    def _lookup(self, request: Request, media_id: str, base_url: str) -> Response:
        file = self.inbound_media[media_id]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token != file.token:
            return _graph_error(100, 400, f"Unsupported get request. Object with ID "
                                f"'{media_id}' does not exist")
        mid = secrets.token_hex(8)
        with self._lock:
            self._media_links[mid] = (media_id, time.time() + self.url_seconds)
        url = f"{base_url}{ATTACHMENTS_PATH}?mid={mid}&ext={int(time.time())}&hash=ARk"
        return _answer({"url": url, "mime_type": file.mime_type,
                        "sha256": hashlib.sha256(file.data).hexdigest(),
                        "file_size": len(file.data), "id": media_id,
                        "messaging_product": "whatsapp"})

    def _download(self, request: Request) -> Response:
        mid = parse_qs(request.query_string.decode()).get("mid", [""])[0]
        with self._lock:
            link = self._media_links.get(mid)
        if link is None or link[1] < time.time():
            return Response("Not Found", status=404, content_type="text/plain")
        file = self.inbound_media[link[0]]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token != file.token:
            return Response("Unauthorized", status=401, content_type="text/plain")
        with self._lock:
            self.downloads[link[0]] += 1
        return Response(file.data, content_type=file.served_as)

    def _read_receipt(self, phone_number_id: str, payload: dict[str, Any]) -> Response:
        wamid = payload.get("message_id")
        if payload.get("messaging_product") != "whatsapp" or not isinstance(wamid, str):
            return _graph_error(100, 400, "(#100) Invalid parameter")
        with self._lock:
            self.read_receipts.append((phone_number_id, wamid))
        return _answer({"success": True})
