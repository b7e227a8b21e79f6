"""Row ids as URLs and query strings carry them: bounded to what the database can hold.

An id beyond the id columns' range is no row of ours, but handed to the database it raises
(PostgreSQL: "integer out of range", SQLite past 64 bits: OverflowError) and the caller
got a 500. Every `<int:…>` route argument therefore
matches only ids up to MAX_ROW_ID (a larger one is no such page: 404), and query values
that name a row are read with `parse_row_id`.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

# The largest id any table can hold: id columns are INTEGER, 32-bit signed on PostgreSQL.
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """Werkzeug's `int` converter, refusing values no row id can have."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_ROW_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_row_id(raw: str | None) -> int | None:
    """`raw` as a row id when it is ASCII digits naming one (0 < id <= MAX_ROW_ID), else None.
    str.isdigit alone accepts '²' or '١', which int() then refuses or misreads."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > len(str(MAX_ROW_ID)):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ROW_ID else None


def init_app(app: Flask) -> None:
    """Make `<int:…>` route arguments row ids; call before any route is added."""
    app.url_map.converters["int"] = RowIdConverter
