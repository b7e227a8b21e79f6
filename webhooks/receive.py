"""What every receiver does after finding its secret: read, parse, store, answer."""
from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, request
from flask.typing import ResponseReturnValue

from adapters.json_body import loads
from plugin.domain.errors import PayloadError
from plugin.pipeline.inbound import record_event


def raw_body() -> bytes:
    """The request body as sent; a body over the cap, announced or streamed, ends in 413."""
    body = request.get_data(cache=True)
    cap = request.max_content_length
    if cap is not None and len(body) >= cap and request.content_length is None:
        # A chunked body has no Content-Length to refuse up front, and werkzeug stops
        # reading it at the cap without a word: one more byte says it was cut.
        if request.environ["wsgi.input"].read(1):
            abort(413)
    return body


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or 400: malformed (or absurdly nested) input is never
    stored."""
    try:
        data = loads(body)
    except PayloadError:
        abort(400, description="the body is not valid JSON")
    if not isinstance(data, dict):
        abort(400, description="the body must be a JSON object")
    return data


def store_and_answer(*, source: str, dedupe_key: str, topic: str, body: bytes,
                     store_id: int | None, headers: dict[str, str]) -> ResponseReturnValue:
    """Record the delivery and answer 200 (new or duplicate); DB errors become 503 upstream."""
    recorded = record_event(source=source, dedupe_key=dedupe_key, topic=topic, body=body,
                            store_id=store_id, headers=headers)
    # Two fixed answers, serialised once: this runs for every delivery of every store.
    return Response(_DUPLICATE if not recorded.new else _STORED, mimetype="application/json")


_STORED = json.dumps({"ok": True, "duplicate": False}).encode()
_DUPLICATE = json.dumps({"ok": True, "duplicate": True}).encode()
