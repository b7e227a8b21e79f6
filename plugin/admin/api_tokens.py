"""Settings → API tokens: the store's owner makes tokens for the public API, sees each new
token once, sees when each was last used, and revokes them.

`GET /stores/<id>/settings/api-tokens` lists them; `POST` to the same URL makes one (name
and scope) and answers the page with the token shown once: it is never stored, flashed or
put in a redirect, only its hash is kept. `POST …/<token id>/revoke` revokes one at once.
The store's principal (its owner account, or the shop in Shopify's admin) manages them;
another store's ids answer 404 (plugin.auth.tenancy).
"""
from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.auth import api_tokens, tenancy
from plugin.auth.api_tokens import Scope, TokenRefused
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.infra import db
from plugin.models import ApiToken, Store

blueprint = protect(Blueprint("api_tokens", __name__), minimum=Role.OWNER)

SCOPES = {
    Scope.READ: ("Read only", "Read the store, customers and their consent, orders, messages, "
                 "automations and templates."),
    Scope.WRITE: ("Read and write", "Also switch automations on or off, change their delay, "
                  "and record customers' consent answers."),
}


def _tokens(store: Store) -> list[ApiToken]:
    """The store's tokens: live ones first, newest first within each group."""
    rows = db.session().scalars(
        tenancy.scoped(select(ApiToken), ApiToken).where(ApiToken.store_id == store.id)
        .order_by(ApiToken.id.desc()))
    return sorted(rows, key=lambda t: t.revoked_at is not None)


def _render(store: Store, status: int = 200, **context: object) -> ResponseReturnValue:
    response = current_app.make_response((render_template(
        "settings/api_tokens.html", store=store, tokens=_tokens(store), scopes=SCOPES,
        display=api_tokens.display, api_url=current_app.config["STORECHAT"].public_url
        .rstrip("/") + "/api/v1", **context), status))
    # The page may show a new token: no cache may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/stores/<int:store_id>/settings/api-tokens")
def page(store_id: int) -> ResponseReturnValue:
    """The store's API tokens, and the form to make one."""
    return _render(tenancy.get_or_404(Store, store_id))


@blueprint.post("/stores/<int:store_id>/settings/api-tokens")
def create(store_id: int) -> ResponseReturnValue:
    """Make a token and show it, this once; 400 with the reason when it cannot be made."""
    store = tenancy.get_or_404(Store, store_id)
    name = request.form.get("name", "")[:api_tokens.NAME_MAX * 2]
    try:
        scope = Scope(request.form.get("scope", ""))
    except ValueError:
        return _render(store, 400, error="Choose what the token may do.", name=name)
    try:
        with db.transaction() as session:
            row, token = api_tokens.issue(session, store.id, name, scope,
                                          tenancy.current().label)
    except TokenRefused as refused:
        return _render(store, 400, error=str(refused), name=name, scope=scope.value)
    return _render(store, new_token=token, new_row=row)


@blueprint.post("/stores/<int:store_id>/settings/api-tokens/<int:token_id>/revoke")
def revoke(store_id: int, token_id: int) -> ResponseReturnValue:
    """Revoke a token at once; calls with it answer 401 token_revoked from then on."""
    store = tenancy.get_or_404(Store, store_id)
    with db.transaction() as session:
        token = session.scalars(tenancy.scoped(select(ApiToken), ApiToken).where(
            ApiToken.store_id == store.id, ApiToken.id == token_id)).first()
        if token is None:
            abort(404)
        name = token.name
        revoked = api_tokens.revoke(session, token)
    if revoked:
        flash(f"Token “{name}” revoked: calls with it are refused from now on.")
    return redirect(url_for(".page", store_id=store.id), 303)


def init_app(app: Flask) -> None:
    """Register the API tokens settings page."""
    app.register_blueprint(blueprint)
