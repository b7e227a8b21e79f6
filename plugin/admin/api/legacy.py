"""The JSON API before /api/v1, kept as aliases: each old URL answers 308 Permanent Redirect
to its /api/v1 equivalent (same method, same credentials), with `Deprecation` and a
`Link: rel="successor-version"` header. The body then has /api/v1's shape (`data`,
`next_cursor`) instead of the old keys (`stores`, `orders`, …).

The old URLs named the store in the path; /api/v1 names it with `?store=<id>` for a signed-in
owner (a token's store is implied). The admin's own guard still answers first, so a caller
without credentials, or asking for another owner's store, learns nothing from a redirect.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, request
from flask.typing import ResponseReturnValue

from plugin.admin.api.base import PREFIX
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.models import DataExport, Store

blueprint = protect(Blueprint("api", __name__, url_prefix="/api"), minimum=Role.AGENT)


def _to(path: str, store_id: int | None = None) -> Response:
    """308 to `path` under /api/v1, keeping the query (limit) and naming the store."""
    query = {k: v for k, v in request.args.items() if k != "store"}
    if store_id is not None:
        query["store"] = str(store_id)
    target = f"{PREFIX}{path}" + (f"?{urlencode(query)}" if query else "")
    response = redirect(target, 308)
    response.headers["Deprecation"] = "true"
    response.headers["Link"] = f'<{PREFIX}{path}>; rel="successor-version"'
    return response


@blueprint.get("/stores")
def stores() -> ResponseReturnValue:
    """Alias of GET /api/v1/stores."""
    return _to("/stores")


@blueprint.get("/stores/<int:store_id>/orders")
def orders(store_id: int) -> ResponseReturnValue:
    """Alias of GET /api/v1/orders?store=<id>."""
    return _to("/orders", tenancy.get_or_404(Store, store_id).id)


@blueprint.get("/stores/<int:store_id>/messages")
def messages(store_id: int) -> ResponseReturnValue:
    """Alias of GET /api/v1/messages?store=<id>."""
    return _to("/messages", tenancy.get_or_404(Store, store_id).id)


@blueprint.get("/stores/<int:store_id>/exports")
def exports(store_id: int) -> ResponseReturnValue:
    """Alias of GET /api/v1/exports?store=<id>."""
    return _to("/exports", tenancy.get_or_404(Store, store_id).id)


@blueprint.get("/exports/<int:export_id>")
def export(export_id: int) -> ResponseReturnValue:
    """Alias of GET /api/v1/exports/<id>?store=<its store>."""
    row = tenancy.get_or_404(DataExport, export_id)
    return _to(f"/exports/{row.id}", row.store_id)
