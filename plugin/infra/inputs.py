"""Request input no database column can hold: a NUL character is refused with a 400.

PostgreSQL text cannot contain NUL (psycopg raises DataError), so a `%00` typed into any
form or query value, or a `\\u0000` in a JSON body, reached the database and answered 500
on PostgreSQL while SQLite stored it. No field of ours has a use for it, so it is refused
at the door for every route but the webhook receivers, which keep raw bodies as bytes and
must answer the platforms as they always do.
"""
from __future__ import annotations

import re

from flask import Flask, abort, request

# Paths whose bodies are stored as received (signed bytes), never read into text columns.
RAW_BODY_PREFIXES = ("/webhooks/",)
# A NUL written as a JSON escape (any case of its hex digits).
_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)
NUL_DETAIL = "The request holds a NUL character, which no field accepts."


def has_nul() -> bool:
    """True when the query, the form or the body of this request carries a NUL."""
    if any("\x00" in key or "\x00" in value
           for key, value in request.args.items(multi=True)):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if request.mimetype == "multipart/form-data":
        # A file's bytes are its own (an image holds NULs); the fields and names are ours.
        return any("\x00" in key or "\x00" in value
                   for key, value in request.form.items(multi=True)) or any(
            "\x00" in (upload.filename or "") for upload in request.files.values())
    raw = request.get_data(cache=True)  # over the size cap: 413 as before
    if b"\x00" in raw or _JSON_NUL.search(raw):
        return True
    return any("\x00" in key or "\x00" in value
               for key, value in request.form.items(multi=True))


def init_app(app: Flask) -> None:
    """Refuse NUL characters in every request but the webhooks' (see the module)."""

    @app.before_request
    def refuse_nul() -> None:
        if request.path.startswith(RAW_BODY_PREFIXES):
            return
        if has_nul():
            abort(400, description=NUL_DETAIL)
