"""`GET /shopify/install` and `GET /shopify/callback`: the authorization-code install, for
an owner signed in to StoreChat (development stores, installs outside the App Store).

Both routes sit behind the admin guard: the `state` nonce lives in the owner's server-side
session, so only the browser that started an install can finish it. Shopify's redirect
back is a top-level GET, which carries our SameSite=Lax session cookie.
"""
from __future__ import annotations

import logging
import secrets
import time

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.infra import db
from plugin.models import Store
from plugin.platforms.shopify import client, oauth, shops, tokens

log = logging.getLogger(__name__)

blueprint = protect(Blueprint("shopify", __name__), minimum=Role.OWNER)

SESSION_KEY = "shopify_install"
# An install must be finished within this long of starting it.
STATE_MAX_AGE_SECONDS = 15 * 60


@blueprint.get("/shopify/install")
def install() -> ResponseReturnValue:
    """Check the shop domain, remember a one-time state, send the owner to Shopify."""
    tenancy.owner_id_or_403()
    settings = current_app.config["STORECHAT"]
    if not (settings.shopify_api_key and settings.shopify_api_secret):
        return _refuse(404, "Shopify is not configured on this StoreChat "
                            "(set SHOPIFY_API_KEY and SHOPIFY_API_SECRET).")
    shop = oauth.normalise_shop(request.args.get("shop", ""))
    if shop is None:
        return _refuse(400, "Enter your shop's address, like your-store.myshopify.com.")
    state = secrets.token_urlsafe(32)
    session[SESSION_KEY] = {"state": state, "shop": shop, "at": int(time.time())}
    redirect_uri = settings.public_url.rstrip("/") + url_for("shopify.callback")
    return redirect(oauth.authorize_url(settings.shopify_admin_url, settings.shopify_api_key,
                                        settings.shopify_api_version, shop,
                                        settings.shopify_scopes, redirect_uri, state))


@blueprint.get("/shopify/callback")
def callback() -> ResponseReturnValue:
    """Check state, shop, HMAC and age; exchange the code; connect the store to the owner."""
    owner_id = tenancy.owner_id_or_403()
    settings = current_app.config["STORECHAT"]
    pending = session.pop(SESSION_KEY, None)  # single use, whatever happens next
    params = {key: (request.args.getlist(key) if key.endswith("[]") else value)
              for key, value in request.args.items()}
    problem = _check(pending, params, [settings.shopify_api_secret,
                                       settings.shopify_old_api_secret])
    if problem:
        log.warning("shopify: install callback refused: %s", problem)
        return _refuse(403, problem)
    shop = str(params["shop"])
    with db.transaction() as tx:
        existing = tokens.find_store(tx, shop)
        if existing is not None and existing.owner_id not in (None, owner_id):
            return _refuse(409, "This shop is connected to another StoreChat account.")
    try:
        grant = oauth.exchange_code(client.http(), settings.shopify_admin_url, shop,
                                    settings.shopify_api_key, settings.shopify_api_secret,
                                    str(params.get("code", "")))
    except oauth.InstallError as error:
        return _refuse(502, str(error))
    store_id = shops.connect(shop, grant, owner_id=owner_id)
    shops.refresh_shop_info(store_id, shop)
    shops.publish_widget_keys(store_id, shop)
    store = db.session().get(Store, store_id, populate_existing=True)
    flash(f"{store.name if store else shop} is connected.", "success")
    return redirect(url_for("admin.index"))


def _check(pending: object, params: dict[str, object], secrets_: list[str]) -> str | None:
    """Why the callback must be refused, or None."""
    if not isinstance(pending, dict) or not pending.get("state"):
        return "This install was not started from this browser, or was already used."
    if time.time() - int(pending.get("at", 0)) > STATE_MAX_AGE_SECONDS:
        return "This install took too long; please start again."
    if not oauth.same(str(params.get("state", "")), str(pending["state"])):
        return "The install's state does not match; please start again."
    shop = oauth.normalise_shop(str(params.get("shop", "")))
    if shop is None or shop != params.get("shop") or shop != pending.get("shop"):
        return "The shop in Shopify's answer is not the one you asked for."
    if not oauth.hmac_valid(params, secrets_):
        return "Shopify's signature on this answer is not valid."
    if not oauth.fresh(params):
        return "Shopify's answer is too old; please start again."
    if not params.get("code"):
        return "Shopify's answer has no authorization code."
    return None


def _refuse(status: int, reason: str) -> Response:
    body = render_template("shopify/install_failed.html", reason=reason, status=status)
    return Response(body, status=status, mimetype="text/html")
