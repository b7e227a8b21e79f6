"""GET /api/v1/openapi.json, the OpenAPI 3.1 document, and GET /api/v1/problems, the list of
error codes: the two operations anyone may call.

SpecTree generates the document from the operations' decorators and pydantic models (JSON
Schema 2020-12, which OpenAPI 3.1 uses). What it cannot say is added here, the same way for
every operation: problems are `application/problem+json`, a 429 carries `Retry-After`, a
401 `WWW-Authenticate`, and the server is this StoreChat's public URL.
"""
from __future__ import annotations

import copy
from typing import Any

from flask import Response, current_app, json
from pydantic import BaseModel
from spectree import Response as Documented
from spectree import Tag

from plugin.admin.api.base import blueprint, spec
from plugin.admin.api.problems import MEANINGS, MEDIA_TYPE, ProblemCode

TAG = Tag(name="about", description="This API's description and its error codes.")
_PROBLEM_REF = "#/components/schemas/Problem"
_CACHE = "storechat.openapi"
_HEADERS = {
    "429": {"Retry-After": {"description": "Seconds until calls are counted afresh.",
                            "schema": {"type": "integer", "minimum": 1}}},
    "401": {"WWW-Authenticate": {"description": "The Bearer challenge.",
                                 "schema": {"type": "string"}}},
}


class ProblemEntry(BaseModel):
    """One error code: its status, title and what a client should make of it."""

    code: ProblemCode
    status: int
    title: str
    description: str


class ProblemCatalogue(BaseModel):
    """Every error code this API answers with."""

    problems: list[ProblemEntry]


@blueprint.get("/openapi.json")
@spec.validate(resp=Documented("HTTP_200"), tags=[TAG], security={}, operation_id="getOpenApi")
def openapi() -> Response:
    """This document: OpenAPI 3.1"""
    body = current_app.extensions.get(_CACHE)
    if body is None:
        body = current_app.extensions[_CACHE] = json.dumps(document()).encode()
    return Response(body, mimetype="application/json")


@blueprint.get("/problems")
@spec.validate(resp=Documented(HTTP_200=ProblemCatalogue), tags=[TAG], security={},
               operation_id="listProblems")
def problems() -> ProblemCatalogue:
    """Every error code, with its status and meaning

    Each problem's `type` is this URL with the code as its fragment."""
    return ProblemCatalogue(problems=[
        ProblemEntry(code=code, status=m.status, title=m.title, description=m.description)
        for code, m in MEANINGS.items()])


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of /api/v1, for the current app."""
    generated = copy.deepcopy(spec.spec)
    for operations in generated["paths"].values():
        for operation in operations.values():
            if not _takes_input(operation):  # nothing to validate: never a 422
                operation["responses"].pop("422", None)
            for status, response in operation.get("responses", {}).items():
                _as_problem(response)
                if status in _HEADERS:
                    response["headers"] = copy.deepcopy(_HEADERS[status])
    generated["servers"] = [{"url": current_app.config["STORECHAT"].public_url.rstrip("/")}]
    return generated


def _takes_input(operation: dict[str, Any]) -> bool:
    return "requestBody" in operation or any(
        p.get("in") != "path" for p in operation.get("parameters", []))


def _as_problem(response: dict[str, Any]) -> None:
    """Problems are served as application/problem+json: say so."""
    content = response.get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if schema.get("$ref") == _PROBLEM_REF:
        content[MEDIA_TYPE] = content.pop("application/json")
