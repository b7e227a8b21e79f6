"""What every operation's query shares: the store selector, and the paging of lists.

Lists are newest first (by id, which only grows). A page holds at most `limit` items and a
`next_cursor` when more follow; the next page is asked for with `cursor=<next_cursor>`.
Cursors are opaque strings to clients, so their shape may change without a new version.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select

from plugin.admin.api import access
from plugin.infra import db
from plugin.infra.ids import MAX_ROW_ID

DEFAULT_LIMIT = 50
# The most items one page holds: a page is one query and one JSON body in memory.
MAX_LIMIT = 200

STORE_HELP = ("Only for a signed-in owner's browser session: which of their stores. A "
              "token always means its own store; any other id answers 404.")


class StoreQuery(BaseModel):
    """The query every operation accepts."""

    model_config = ConfigDict(extra="ignore")

    store: int | None = Field(default=None, description=STORE_HELP)


class ListQuery(StoreQuery):
    """Paging: how many items, and where the previous page ended."""

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT,
                       description="Items per page.")
    cursor: str | None = Field(default=None, pattern=r"^[0-9]{1,18}$",
                               description="The `next_cursor` of the previous page.")


class Strict(BaseModel):
    """A request body: values of exactly the documented types, and no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


def page(query: Select[Any], model: Any, paging: ListQuery,
         columns: bool = False) -> tuple[list[Any], str | None]:
    """One page of the store's rows of `model` matching `query`, newest first, and the
    cursor of the next page (None on the last). With `columns`, `query` selects columns
    (one of them `id`) and each item is a Row: cheaper than whole objects on hot lists."""
    statement = access.scoped(query, model)
    before = after_cursor(paging)
    if before is not None:
        statement = statement.where(model.id < before)
    result = db.session().execute(statement.order_by(model.id.desc()).limit(paging.limit + 1))
    rows = list(result if columns else result.scalars())
    if len(rows) > paging.limit:
        return rows[:paging.limit], str(rows[paging.limit - 1].id)
    return rows, None


def after_cursor(paging: ListQuery) -> int | None:
    """The id a page must stay below, or None for no bound: a cursor beyond every id
    bounds nothing (and handed to PostgreSQL it would not fit the id column: a 500)."""
    if paging.cursor is None or int(paging.cursor) > MAX_ROW_ID:
        return None
    return int(paging.cursor)


def utc(moment: datetime | None) -> datetime | None:
    """A stored naive-UTC time as an aware one, so it is written with its `Z`."""
    return moment.replace(tzinfo=UTC) if moment is not None else None
