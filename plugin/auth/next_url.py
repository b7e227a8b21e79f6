"""Where to go after signing in: only a path of this site, judged as the browser will see it.

The check runs on the value werkzeug will put in the Location header (`iri_to_uri`, whose
`urlsplit` drops tabs and newlines), not on the raw string: `/<TAB>/evil.example` passes
a raw-string check and leaves as `//evil.example`.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.urls import iri_to_uri


def same_site_path(target: str | None) -> str | None:
    """`target` as the Location werkzeug would send, if that is a path of this site; else None.

    Refused: control characters and backslashes anywhere (browsers drop the first and read
    the second as `/`), a scheme, a host, and anything not starting with exactly one `/`.
    """
    if not target or any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in target):
        return None
    if not target.startswith("/") or target.startswith("//"):  # browsers read `///x` as `//x`
        return None
    try:
        location = iri_to_uri(target)
        parts = urlsplit(location)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not location.startswith("/") \
            or location.startswith("//"):
        return None
    return location
