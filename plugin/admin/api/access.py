"""Who calls /api/v1, on which store, and whether they may: run before every operation.

In this order, so that each answer gives away no more than the one before it:
1. credentials (401): an API token (`Authorization: Bearer sc_live_…`), else the admin's own
   principal — a Shopify App Bridge ID token, or a signed-in owner's session cookie (whose
   changes must carry the CSRF token) — so the admin's scripts use the same API;
2. the caller's rate limit (429), counted per token, shop or owner account;
3. the token's scope (403): a `read` token may only GET;
4. the store: a token's own, or `?store=<id>` among a signed-in account's stores (404 for
   any other); the caller's role there (403: plugin.auth.roles; a token acts as the owner);
   then every id in the path must belong to it (404), before the body is read;
5. the body of a change: JSON (415), readable and not absurdly deep (400).
Validation of the values (422) follows, in plugin.admin.api.base.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Response, current_app, g, request, session
from flask_wtf.csrf import CSRFError
from limits import RateLimitItemPerMinute
from sqlalchemy import Select, select

from adapters import json_body
from plugin.admin.api.problems import ApiError, FieldError, ProblemCode
from plugin.auth import api_tokens, check_csrf, roles, shopify, tenancy
from plugin.auth.api_tokens import Scope
from plugin.auth.roles import Role
from plugin.auth.tenancy import Principal
from plugin.domain.errors import PayloadError
from plugin.infra import db, ids, ratelimit
from plugin.models import (
    Automation,
    Campaign,
    CatalogSync,
    Conversation,
    Customer,
    DataExport,
    Message,
    Order,
    Owner,
    Segment,
    Template,
)

T = TypeVar("T")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Operations anyone may call: the API's own description and its list of error codes.
PUBLIC_ENDPOINTS = frozenset({"api_v1.openapi", "api_v1.problems"})
# Operations that are about the caller's stores, not one store: no `?store` needed.
ACROSS_STORES = frozenset({"api_v1.list_stores"})
# Path arguments that name a row of the store, and the row's model.
PATH_ROWS: dict[str, Any] = {
    "customer_id": Customer, "order_id": Order, "message_id": Message,
    "automation_id": Automation, "template_id": Template, "export_id": DataExport,
    "sync_id": CatalogSync, "segment_id": Segment, "campaign_id": Campaign,
    "conversation_id": Conversation,
}
# Deeper JSON than this is no body our operations take; refusing it early also keeps the
# validator's own parse far from the interpreter's recursion limit.
MAX_JSON_DEPTH = 32
RATE_NAMESPACE = "api"
_CHALLENGE = ("WWW-Authenticate", 'Bearer realm="StoreChat API"')
_REVOKED_CHALLENGE = ("WWW-Authenticate",
                      'Bearer realm="StoreChat API", error="invalid_token", '
                      'error_description="The token was revoked"')


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: who, what they may do, and the key their calls count on."""

    principal: Principal
    scope: Scope
    rate_key: str


def guard() -> None:
    """The blueprint's before_request: authenticate, limit, authorise, find the store."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    caller = authenticate()
    g.principal = caller.principal
    g.api_caller = caller
    _count(caller)
    if request.method not in SAFE_METHODS and caller.scope is not Scope.WRITE:
        raise ApiError(ProblemCode.FORBIDDEN_SCOPE)
    if request.endpoint not in ACROSS_STORES:
        g.api_store_id = _select_store()
        _check_role(tenancy.role_in(g.api_store_id) or Role.AGENT)
        for name, value in (request.view_args or {}).items():
            if name in PATH_ROWS:
                get_or_404(PATH_ROWS[name], int(value))
    else:
        _check_role(tenancy.top_role())
    if request.method not in SAFE_METHODS:
        _check_body()


def _check_role(role: Role) -> None:
    """403 (forbidden_role) when the caller's role is below what the operation needs."""
    minimum = roles.required(request.endpoint)
    if role < minimum:
        raise ApiError(ProblemCode.FORBIDDEN_ROLE, roles.refusal(role, minimum))


def authenticate() -> Caller:
    """The caller behind this request's credentials; ApiError (401 or 403) otherwise."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and api_tokens.looks_like_token(credentials):
        return _token_caller(credentials)
    if shopify.is_embedded_request():
        return _shop_caller()
    owner_id = session.get("owner_id")
    owner = db.session().get(Owner, owner_id) if owner_id else None
    if owner is None:
        raise ApiError(ProblemCode.UNAUTHORIZED, headers=[_CHALLENGE])
    try:
        check_csrf()
    except CSRFError:
        raise ApiError(ProblemCode.CSRF_FAILED) from None
    return Caller(Principal(kind="owner", owner_id=owner.id, label=owner.email),
                  Scope.WRITE, f"owner:{owner.id}")


def _token_caller(presented: str) -> Caller:
    verified = api_tokens.verify(db.session(), presented)
    if verified.refusal == "revoked":
        raise ApiError(ProblemCode.TOKEN_REVOKED, headers=[_REVOKED_CHALLENGE])
    token = verified.token
    if token is None:
        raise ApiError(ProblemCode.UNAUTHORIZED, "This token is not valid.",
                       headers=[_CHALLENGE])
    api_tokens.note_use(db.session(), token)
    principal = Principal(kind="token", shop_store_id=token.store_id, label=token.name)
    return Caller(principal, Scope(token.scope), f"token:{token.id}")


def _shop_caller() -> Caller:
    outcome = shopify.authenticate()
    if isinstance(outcome, Response):
        # shopifyapp's answer, as a problem: App Bridge retries on its header.
        retry = [(k, v) for k, v in outcome.headers.items()
                 if k.lower() == "x-shopify-retry-invalid-session-request"]
        if outcome.status_code == 403:
            raise ApiError(ProblemCode.FORBIDDEN, "This shop has not installed StoreChat.")
        raise ApiError(ProblemCode.UNAUTHORIZED, "The Shopify session token is missing, "
                       "expired or not valid.", headers=retry)
    return Caller(outcome, Scope.WRITE, f"shop:{outcome.shop_store_id}")


def _count(caller: Caller) -> None:
    """Count the call against the caller's limit; 429 with Retry-After beyond it."""
    per_minute = current_app.config["STORECHAT"].api_rate_limit_per_minute
    item = RateLimitItemPerMinute(per_minute)
    limiter = ratelimit.limiter()
    if limiter.hit(item, RATE_NAMESPACE, caller.rate_key):
        return
    reset_at, _remaining = limiter.get_window_stats(item, RATE_NAMESPACE, caller.rate_key)
    wait = max(1, math.ceil(reset_at - time.time()))
    raise ApiError(ProblemCode.RATE_LIMITED,
                   f"At most {per_minute} calls a minute; try again in {wait} s.",
                   headers=[("Retry-After", str(wait))])


def _select_store() -> int:
    """The one store this call is about (see the module's step 4)."""
    raw = request.args.get("store")
    wanted = ids.parse_row_id(raw)
    if raw is not None and wanted is None and not (raw.isascii() and raw.isdigit()):
        # ASCII digits only: str.isdigit also takes '²', which int() refuses (a 500).
        raise ApiError(ProblemCode.VALIDATION_FAILED, errors=[FieldError(
            field="store", location="query", message="Input should be a valid integer")])
    allowed = tenancy.store_ids()
    if raw is not None:
        if wanted is None or wanted not in allowed:
            raise ApiError(ProblemCode.NOT_FOUND, f"No store {raw} among yours.")
        return wanted
    if len(allowed) == 1:
        return allowed[0]
    if not allowed:
        raise ApiError(ProblemCode.NOT_FOUND, "You have no store yet.")
    raise ApiError(ProblemCode.STORE_REQUIRED)


# Operations that take a file (multipart/form-data) instead of JSON; their modules add them.
MULTIPART_ENDPOINTS: set[str] = set()


def _check_body() -> None:
    """A change's body must be JSON, readable, and not nested absurdly deep (or, for an
    operation that takes a file, a multipart form: read size-capped by the operation)."""
    if request.mimetype == "multipart/form-data" and request.endpoint in MULTIPART_ENDPOINTS:
        return
    if request.mimetype != "application/json":
        raise ApiError(ProblemCode.UNSUPPORTED_MEDIA_TYPE)
    raw = request.get_data(cache=True)  # over the size cap: 413, answered as a problem
    if not raw.strip():
        return
    try:
        value = json_body.loads(raw)
    except PayloadError:
        raise ApiError(ProblemCode.MALFORMED_JSON) from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise ApiError(ProblemCode.MALFORMED_JSON, "The body is nested too deeply.")


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a JSON value (a scalar is 0)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def store_id() -> int:
    """The id of the store this call is about."""
    return int(g.api_store_id)


def caller() -> Caller:
    """This call's authenticated caller."""
    return g.api_caller  # type: ignore[no-any-return]


def scoped(query: Select[Any], model: Any) -> Select[Any]:
    """The query limited to this call's store (and, as everywhere, the caller's stores)."""
    return tenancy.scoped(query, model).where(model.store_id == store_id())


def get_or_404(model: type[T], row_id: int) -> T:
    """A row of this call's store by id (fetched once per call); 404 for anything else."""
    found: dict[tuple[str, int], Any] = g.setdefault("api_rows", {})
    key = (model.__name__, row_id)
    if key not in found:
        row = db.session().scalars(
            scoped(select(model), model).where(model.id == row_id)).first()  # type: ignore[attr-defined]
        if row is None:
            raise ApiError(ProblemCode.NOT_FOUND,
                           f"No {model.__name__.lower()} {row_id} in this store.")
        found[key] = row
    return found[key]  # type: ignore[no-any-return]
