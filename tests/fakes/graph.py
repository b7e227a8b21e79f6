"""A fake WhatsApp Cloud API (Graph API) that records what it is sent.

It answers like Meta does: `POST /<version>/<phone-number-id>/messages` with a Bearer token
returns `{"messaging_product", "contacts", "messages": [{"id": "wamid…"}]}`; a bad token is
error 190 (HTTP 401); failures can be queued to test retries and error classification.
"""
from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response


@dataclass
class Sent:
    """One message the fake accepted."""

    phone_number_id: str
    payload: dict[str, Any]
    wamid: str


@dataclass
class FakeGraph:
    """The fake's state; `app` is its WSGI application."""

    tokens: dict[str, str] = field(default_factory=dict)  # phone_number_id -> token
    sent: list[Sent] = field(default_factory=list)
    _failures: list[tuple[int, int, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, code: int, http_status: int = 400, message: str = "fake failure") -> None:
        """Make the next send fail with this Graph error code and HTTP status."""
        with self._lock:
            self._failures.append((code, http_status, message))

    def callback_ids(self) -> list[str]:
        """biz_opaque_callback_data of every accepted send, duplicates included."""
        with self._lock:
            return [s.payload.get("biz_opaque_callback_data", "") for s in self.sent]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if request.method != "POST" or len(parts) != 3 or parts[2] != "messages":
            return _error(100, 400, "Unsupported request")
        phone_number_id = parts[1]
        expected = self.tokens.get(phone_number_id)
        if expected is None or request.headers.get("Authorization") != f"Bearer {expected}":
            return _error(190, 401, "Invalid OAuth access token")
        try:
            payload = json.loads(request.get_data())
        except ValueError:
            return _error(100, 400, "Invalid JSON")
        if payload.get("messaging_product") != "whatsapp" or not payload.get("to"):
            return _error(100, 400, "Invalid parameter")
        with self._lock:
            if self._failures:
                code, status, message = self._failures.pop(0)
                return _error(code, status, message)
            wamid = f"wamid.FAKE{next(self._ids):08d}"
            self.sent.append(Sent(phone_number_id, payload, wamid))
        to = str(payload["to"])
        return _json({"messaging_product": "whatsapp",
                      "contacts": [{"input": to, "wa_id": to}],
                      "messages": [{"id": wamid}]})


def _json(data: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _error(code: int, status: int, message: str) -> Response:
    return _json({"error": {"message": message, "type": "OAuthException", "code": code,
                            "fbtrace_id": "FAKE"}}, status)
