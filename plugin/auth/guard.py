"""The gate in front of every admin blueprint: establish the principal or refuse."""
from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, redirect, request, session, url_for

from plugin.auth import check_csrf, shopify
from plugin.auth.tenancy import Principal
from plugin.infra import db
from plugin.models import Owner

# Names of the blueprints behind the gate: their URLs keep a shop's embedded context.
PROTECTED: set[str] = set()


def protect(blueprint: Blueprint) -> Blueprint:
    """Make every route of `blueprint` require an owner session or a Shopify ID token."""
    blueprint.before_request(require_principal)
    PROTECTED.add(blueprint.name)
    return blueprint


def require_principal() -> Response | None:
    """Set g.principal, or answer: the sign-in redirect, 401, or shopifyapp's response."""
    if shopify.is_embedded_request():
        outcome = shopify.authenticate()
        if isinstance(outcome, Response):
            return outcome
        g.principal = outcome
        return None
    owner_id = session.get("owner_id")
    owner = db.session().get(Owner, owner_id) if owner_id else None
    if owner is None:
        if _wants_json():
            return _unauthorized()
        return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
    g.principal = Principal(kind="owner", owner_id=owner.id, label=owner.email)
    check_csrf()
    return None


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _unauthorized() -> Response:
    response = jsonify(error="Unauthorized", detail="Sign in to StoreChat first.")
    response.status_code = 401
    return response
