"""The /api/v1 blueprint and the one SpecTree that validates its requests and describes them.

Each operation is a view on `blueprint` decorated with `spec.validate(...)`: its pydantic
models validate the query and body before the view runs, serialise what it returns, and
are what the OpenAPI document (plugin.admin.api.document) is generated from, so the
document cannot drift from the code. A failed validation never reaches the view: the
`before` hook raises a validation_failed problem naming each field.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint
from flask import Response as FlaskResponse
from pydantic import ValidationError
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from plugin.admin.api import access, problems
from plugin.admin.api.problems import ApiError, FieldError, Problem, ProblemCode

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
VERSION = "1.0.0"
# API answers hold store data (names, phone numbers): never kept by a shared cache.
CACHE_CONTROL = "private, no-store"

blueprint = Blueprint("api_v1", __name__, url_prefix=PREFIX)
blueprint.before_request(access.guard)
blueprint.register_error_handler(ApiError, problems.from_error)


@blueprint.after_request
def _no_store(response: FlaskResponse) -> FlaskResponse:
    response.headers.setdefault("Cache-Control", CACHE_CONTROL)
    return response


DESCRIPTION = """StoreChat's public API: one store's customers (with their consent history),
orders, messages, automations, templates, catalog, and cart recovery with the carts it works
on.

Authenticate with `Authorization: Bearer <token>`, a token the store's owner makes in
Settings → API tokens. A token belongs to one store; a `read` token may only GET, a `write`
token may also change things. Ids of another store answer 404. Each token may make a limited
number of calls per minute (429 with `Retry-After` beyond).

Errors are `application/problem+json` with a stable `code` (GET /api/v1/problems lists them).
Lists are newest first: pass the `next_cursor` of a page as `cursor` to get the next one."""


def _naming(model: Any) -> str:
    """Component names are the model class names (each is unique in this API)."""
    return str(model.__name__)


def _on_request(_req: Any, _resp: Any, error: Exception | None, _instance: Any,
                _adapter: Any) -> None:
    """Turn a request validation error into a validation_failed problem."""
    if isinstance(error, ValidationError):
        where = "query" if error.title.endswith("Query") else "body"
        raise ApiError(ProblemCode.VALIDATION_FAILED, errors=[
            FieldError(field=".".join(str(p) for p in e["loc"]) or "(body)", location=where,
                       message=e["msg"]) for e in error.errors(include_url=False)])


def _on_response(_req: Any, _resp: Any, error: Exception | None, _instance: Any,
                 _adapter: Any) -> None:
    """A response that does not match its documented model is our bug: log, answer 500."""
    if error is not None:
        log.error("api response does not match its model: %s", error)
        raise ApiError(ProblemCode.INTERNAL_ERROR)


spec = SpecTree(
    "flask",
    mode="strict",  # only the operations decorated here, never the rest of the app
    title="StoreChat API",
    version=VERSION,
    description=DESCRIPTION,
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(
        type=SecureType.HTTP, scheme="bearer", bearer_format="sc_live_…",
        description="A store's API token from Settings → API tokens."))],
    security={"bearer": []},
    validation_error_status=422,
    validation_error_model=Problem,
    naming_strategy=_naming,
    nested_naming_strategy=lambda _parent, child: child,
    before=_on_request,
    after=_on_response,
)

# Problems every authenticated operation may answer.
_COMMON = {"HTTP_401": Problem, "HTTP_429": Problem}


def documented(ok: Any, *, status: int = 200, write: bool = False, store: bool = True,
               extra: dict[str, Any] | None = None) -> Response:
    """The documented responses of an operation: `ok` at `status`, plus its problems: 401
    and 429 always; 400 (no store chosen) and 404 (not one of the caller's stores, or an id
    not in it) for an operation about one store; 403 and 415 for a write. The validator
    adds 422."""
    models: dict[str, Any] = {f"HTTP_{status}": ok, **_COMMON, **(extra or {})}
    if store:
        models["HTTP_400"] = Problem
        models["HTTP_404"] = Problem
    if write:
        models["HTTP_400"] = Problem
        models["HTTP_403"] = Problem
        models["HTTP_415"] = Problem
    return Response(**models)
