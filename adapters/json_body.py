"""Reading JSON a stranger sent: anything unreadable is a PayloadError, never a crash.

`json.loads` raises RecursionError, not ValueError, for a body nested deeper than the
interpreter's recursion limit (`[` × 100,000 fits in a webhook's size cap), so every
receiver and every job reads bodies through here.
"""
from __future__ import annotations

import json
from typing import Any

from plugin.domain.errors import PayloadError


def loads(body: bytes | str) -> Any:
    """The JSON value of `body`; PayloadError when it is not JSON, not UTF-8, or too deep."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise PayloadError(f"not JSON: {_first_line(exc)}") from None


def load_object(body: bytes | str, what: str = "the payload") -> dict[str, Any]:
    """The JSON object `body` holds; PayloadError naming `what` when it holds anything else."""
    data = loads(body)
    if not isinstance(data, dict):
        raise PayloadError(f"{what} is not a JSON object")
    return data


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
