"""Errors of the public API as RFC 9457 problem details (application/problem+json).

Every error under /api/v1, ours or Flask's (unknown path, wrong method, body too large,
database down), is a problem with a stable `code` a client may branch on; `title` and
`detail` are for people and may change. The codes, their statuses and meanings are listed
here once; GET /api/v1/problems serves the same list, and each problem's `type` points at
its entry there.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from flask import Response, current_app
from pydantic import BaseModel, Field

from plugin.domain.errors import RequestRefused

MEDIA_TYPE = "application/problem+json"
# Where a problem's `type` points: the list of codes, at the code's own anchor.
PROBLEMS_PATH = "/api/v1/problems"
OPENAPI_PATH = "/api/v1/openapi.json"


class ProblemCode(str, enum.Enum):
    """The stable codes an API error carries."""

    UNAUTHORIZED = "unauthorized"
    TOKEN_REVOKED = "token_revoked"
    FORBIDDEN = "forbidden"
    FORBIDDEN_SCOPE = "forbidden_scope"
    CSRF_FAILED = "csrf_failed"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    BAD_REQUEST = "bad_request"
    MALFORMED_JSON = "malformed_json"
    STORE_REQUIRED = "store_required"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    VALIDATION_FAILED = "validation_failed"
    RATE_LIMITED = "rate_limited"
    CATALOG_NOT_CONNECTED = "catalog_not_connected"
    INTERNAL_ERROR = "internal_error"
    UNAVAILABLE = "unavailable"
    CAMPAIGN_STATE = "campaign_state"
    WINDOW_CLOSED = "window_closed"
    FORBIDDEN_ROLE = "forbidden_role"


@dataclass(frozen=True, slots=True)
class Meaning:
    """A code's HTTP status, its title, and what a client should make of it."""

    status: int
    title: str
    description: str


C = ProblemCode
MEANINGS: dict[ProblemCode, Meaning] = {
    C.UNAUTHORIZED: Meaning(401, "Unauthorized", "No valid credentials: send "
                            "`Authorization: Bearer <token>` with a token from Settings → "
                            "API tokens."),
    C.TOKEN_REVOKED: Meaning(401, "Token revoked", "The token was revoked by the store's "
                             "owner; make a new one."),
    C.FORBIDDEN: Meaning(403, "Forbidden", "These credentials may not do this."),
    C.FORBIDDEN_SCOPE: Meaning(403, "Read-only token", "The token's scope is `read`: it may "
                               "only GET. Make a read-write token to change things."),
    C.CSRF_FAILED: Meaning(400, "CSRF check failed", "A signed-in browser session must send "
                           "its CSRF token (X-CSRFToken) with every change."),
    C.NOT_FOUND: Meaning(404, "Not found", "No such resource in this store (another "
                         "store's ids are not found either)."),
    C.METHOD_NOT_ALLOWED: Meaning(405, "Method not allowed", "The path exists; the `Allow` "
                                  "header lists its methods."),
    C.BAD_REQUEST: Meaning(400, "Bad request", "The request could not be read."),
    C.MALFORMED_JSON: Meaning(400, "Malformed JSON", "The body is not JSON, or nested too "
                              "deeply."),
    C.STORE_REQUIRED: Meaning(400, "Store required", "A signed-in owner with several "
                              "stores must say which one with `?store=<id>`."),
    C.PAYLOAD_TOO_LARGE: Meaning(413, "Payload too large", "The body is over the size cap."),
    C.UNSUPPORTED_MEDIA_TYPE: Meaning(415, "Unsupported media type", "Send bodies as "
                                      "`Content-Type: application/json`."),
    C.VALIDATION_FAILED: Meaning(422, "Validation failed", "Some values are not usable; "
                                 "`errors` names each field and why."),
    C.RATE_LIMITED: Meaning(429, "Rate limited", "Too many calls with these credentials; "
                            "wait `Retry-After` seconds."),
    C.CATALOG_NOT_CONNECTED: Meaning(409, "No catalog connected", "The store has no Meta "
                                     "catalog yet: connect one in the WhatsApp settings."),
    C.INTERNAL_ERROR: Meaning(500, "Internal error", "Something broke on our side; it was "
                              "logged."),
    C.UNAVAILABLE: Meaning(503, "Service unavailable", "The database is not answering; "
                           "retry after `Retry-After` seconds."),
    C.CAMPAIGN_STATE: Meaning(409, "Not in this campaign state", "The campaign cannot do "
                              "this now (it is sending, paused or finished); `detail` "
                              "says why. Cancel it and make a new one to change it."),
    C.WINDOW_CLOSED: Meaning(409, "Service window closed", "The customer last wrote more "
                             "than 24 hours ago: only an approved template can reach them. "
                             "Send one with `type: template`."),
    C.FORBIDDEN_ROLE: Meaning(403, "Not open to your role", "Your role in this store (agent "
                              "or admin) does not allow this operation; its owner can change "
                              "your role on the Team page."),
}
# The code an HTTP error of each status gets when nothing more specific was said.
BY_STATUS = {401: C.UNAUTHORIZED, 403: C.FORBIDDEN, 404: C.NOT_FOUND,
             405: C.METHOD_NOT_ALLOWED, 413: C.PAYLOAD_TOO_LARGE,
             415: C.UNSUPPORTED_MEDIA_TYPE, 422: C.VALIDATION_FAILED, 429: C.RATE_LIMITED,
             503: C.UNAVAILABLE}


class FieldError(BaseModel):
    """One value that was not usable."""

    field: str = Field(description="The field, dotted for nested values, e.g. `limit`.")
    location: str = Field(description="Where it was: `query`, `body` or `path`.")
    message: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details with a stable `code`."""

    type: str = Field(description="A URI naming the problem type: its entry in "
                      "GET /api/v1/problems.")
    title: str
    status: int
    detail: str
    code: ProblemCode = Field(description="Stable: branch on this, not on the title.")
    errors: list[FieldError] | None = Field(
        default=None, description="For validation_failed: each field at fault.")


class ApiError(RequestRefused):
    """A call to the public API that is answered with a problem (see MEANINGS)."""

    def __init__(self, code: ProblemCode, detail: str = "",
                 errors: list[FieldError] | None = None,
                 headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(detail or MEANINGS[code].description)
        self.code = code
        self.detail = detail or MEANINGS[code].description
        self.errors = errors
        self.headers = headers or []


def render(code: ProblemCode, detail: str = "", errors: list[FieldError] | None = None,
           headers: list[tuple[str, str]] | None = None, status: int | None = None) -> Response:
    """The problem+json response for `code` (with its own status unless told another)."""
    meaning = MEANINGS[code]
    public_url = current_app.config["STORECHAT"].public_url.rstrip("/")
    problem = Problem(type=f"{public_url}{PROBLEMS_PATH}#{code.value}", title=meaning.title,
                      status=status or meaning.status, detail=detail or meaning.description,
                      code=code, errors=errors)
    response = Response(problem.model_dump_json(exclude_none=True), status=problem.status,
                        mimetype=MEDIA_TYPE)
    for name, value in headers or []:
        response.headers[name] = value
    return response


def from_error(error: ApiError) -> Response:
    """The response for an ApiError raised anywhere under /api/v1."""
    return render(error.code, error.detail, error.errors, error.headers)


def from_http(status: int, title: str, detail: str, headers: list[tuple[str, str]]) -> Response:
    """The response for an HTTP error Flask raised under /api/v1 (a responses renderer)."""
    code = BY_STATUS.get(status) or (C.INTERNAL_ERROR if status >= 500 else C.BAD_REQUEST)
    if code is C.NOT_FOUND:  # no route matched: every not-found of ours is an ApiError
        detail = f"No such path in this API: see {OPENAPI_PATH}."
    elif code is not C.BAD_REQUEST:  # Werkzeug's words for the rest are generic
        detail = ""
    return render(code, detail, headers=headers, status=status)

