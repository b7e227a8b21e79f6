"""The gate in front of every admin blueprint: establish the principal, then check their role
in the store the URL names (plugin.auth.roles), or refuse."""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, jsonify, redirect, request, session, url_for

from plugin.auth import check_csrf, roles, shopify, tenancy
from plugin.auth.roles import Role
from plugin.auth.tenancy import Principal
from plugin.infra import db
from plugin.models import Owner

# Names of the blueprints behind the gate: their URLs keep a shop's embedded context.
PROTECTED: set[str] = set()


def protect(blueprint: Blueprint, minimum: Role | None = None) -> Blueprint:
    """Make every route of `blueprint` require a signed-in account or a Shopify ID token,
    with at least `minimum` in the store (undeclared: plugin.auth.roles.DEFAULT)."""
    blueprint.before_request(require_principal)
    PROTECTED.add(blueprint.name)
    if minimum is not None:
        roles.declare_blueprint(blueprint.name, minimum)
    return blueprint


def require_principal() -> Response | None:
    """Set g.principal, or answer: the sign-in redirect, 401, or shopifyapp's response."""
    if shopify.is_embedded_request():
        outcome = shopify.authenticate()
        if isinstance(outcome, Response):
            return outcome
        g.principal = outcome
        authorize()
        return None
    owner_id = session.get("owner_id")
    owner = db.session().get(Owner, owner_id) if owner_id else None
    if owner is None:
        if _wants_json():
            return _unauthorized()
        return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
    g.principal = Principal(kind="owner", owner_id=owner.id, label=owner.email)
    check_csrf()
    authorize()
    return None


def authorize() -> None:
    """Refuse a caller whose role is below what this endpoint needs: 404 for a store that
    is not theirs (as if it did not exist), 403 saying why for one that is."""
    minimum = roles.required(request.endpoint)
    store_id = (request.view_args or {}).get("store_id")
    if isinstance(store_id, int):
        role = tenancy.role_in(store_id)
        if role is None:
            abort(404)
    else:
        role = tenancy.top_role()
    if role < minimum:
        abort(403, description=roles.refusal(role, minimum))


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _unauthorized() -> Response:
    response = jsonify(error="Unauthorized", detail="Sign in to StoreChat first.")
    response.status_code = 401
    return response
