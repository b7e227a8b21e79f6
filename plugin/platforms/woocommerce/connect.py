"""The WC-Auth key exchange and its fallbacks, for a signed-in owner.

`GET /woocommerce/connect?store_url=…` sends the owner to the store's
/wc-auth/v1/authorize with a one-time token as `user_id`. WordPress then POSTs the new keys
to `/woocommerce/callback` server-to-server (no session: the token is the only proof) and
deletes them unless we answer 200, so the callback stores them and answers at once; a job
verifies them and provisions the webhooks. `/woocommerce/return` is where the owner's
browser lands. `/woocommerce/keys` takes keys pasted by hand when WC-Auth cannot be used.
"""
from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from adapters.json_body import loads
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.domain.errors import PayloadError
from plugin.infra import db, queue
from plugin.models import Store, StoreStatus
from plugin.platforms.stores import credentials
from plugin.platforms.woocommerce import lifecycle, sites, tokens, urls

log = logging.getLogger(__name__)

blueprint = protect(Blueprint("woocommerce", __name__), minimum=Role.OWNER)
# WordPress calls the callback server-to-server: no owner session, no CSRF cookie. Named
# like the webhook receivers: public, authenticated by its own means (the one-time token).
callbacks = Blueprint("webhooks_woocommerce_auth", __name__)

APP_NAME = "StoreChat"
SCOPE = "read_write"


@blueprint.get("/woocommerce/connect")
def connect() -> ResponseReturnValue:
    """Check the store URL, issue a one-time token, send the owner to WC-Auth."""
    owner_id = tenancy.owner_id_or_403()
    try:
        store_url = _normalise(request.args.get("store_url", ""))
    except urls.StoreUrlError as error:
        return _page("woocommerce/failed.html", 400, reason=str(error))
    with db.transaction() as tx:
        existing = sites.find(tx, store_url)
        if existing is not None and existing.owner_id not in (None, owner_id):
            return _page("woocommerce/failed.html", 409,
                         reason="This store is connected to another StoreChat account.")
        token = tokens.issue(tx, owner_id, store_url)
    base = current_app.config["STORECHAT"].public_url.rstrip("/")
    query = urlencode({"app_name": APP_NAME, "scope": SCOPE, "user_id": token,
                       "return_url": base + url_for("woocommerce.returned"),
                       "callback_url": base + url_for("webhooks_woocommerce_auth.callback")})
    return redirect(f"{store_url}/wc-auth/v1/authorize?{query}")


@callbacks.post("/woocommerce/callback")
def callback() -> ResponseReturnValue:
    """Store the keys WordPress sends for a valid one-time token; 200 at once, then a job."""
    # Read by hand, not with get_json: a deeply nested body must be a 400, not a crash.
    try:
        data = loads(request.get_data(cache=False)) if request.is_json else None
    except PayloadError:
        data = None
    if not isinstance(data, dict):
        return _answer(400, "expected a JSON object")
    user_id = data.get("user_id")
    keys = {name: data.get(name) for name in ("consumer_key", "consumer_secret")}
    if not isinstance(user_id, (str, int)) or isinstance(user_id, bool) or not all(
            isinstance(v, str) and v for v in keys.values()):
        return _answer(400, "user_id, consumer_key and consumer_secret are required")
    with db.transaction() as tx:
        pending = tokens.redeem(tx, str(user_id))
    if pending is None:
        log.warning("woocommerce: callback with an unknown, used or expired token refused")
        return _answer(403, "unknown or used user_id")
    try:
        store_id = sites.save_keys(pending.owner_id, pending.store_url, {
            **keys, "key_id": data.get("key_id"),
            "key_permissions": data.get("key_permissions")})
    except sites.StoreConnectError as error:
        return _answer(409, str(error))
    queue.enqueue(queue.Job.WOOCOMMERCE_SETUP, store_id)
    return _answer(200, "ok")


@blueprint.get("/woocommerce/return")
def returned() -> ResponseReturnValue:
    """Where WordPress sends the owner back: say plainly whether the store is connected."""
    owner_id = tenancy.owner_id_or_403()
    pending = tokens.peek(db.session(), request.args.get("user_id", ""))
    store = None
    if pending is not None and pending.owner_id == owner_id:
        store = sites.find(db.session(), pending.store_url)
    if request.args.get("success") != "1":
        return _page("woocommerce/declined.html", 200,
                     store_url=pending.store_url if pending else "")
    if store is None or store.owner_id != owner_id:
        return _page("woocommerce/failed.html", 400,
                     reason="WordPress says it approved StoreChat, but the keys did not reach "
                            "StoreChat. Please try connecting again.")
    if sites.problem(store) and store.status != StoreStatus.ACTIVE.value:
        return _page("woocommerce/failed.html", 400,
                     reason="WordPress approved StoreChat, but StoreChat will not call this "
                            f"store: {sites.problem(store)}")
    return _page("woocommerce/connected.html", 200, store=store,
                 connection_key=_connection_key(store))


@blueprint.route("/woocommerce/keys", methods=["GET", "POST"])
def manual_keys() -> ResponseReturnValue:
    """The fallback: keys made in WooCommerce › Settings › Advanced › REST API, pasted here."""
    owner_id = tenancy.owner_id_or_403()
    if request.method == "GET":
        return _page("woocommerce/keys.html", 200, form={})
    form = {k: request.form.get(k, "").strip()
            for k in ("store_url", "consumer_key", "consumer_secret")}
    try:
        store_url = _normalise(form["store_url"])
        if not (form["consumer_key"].startswith("ck_")
                and form["consumer_secret"].startswith("cs_")):
            raise urls.StoreUrlError("Paste the Consumer key (ck_…) and Consumer secret (cs_…).")
        store_id = sites.save_keys(owner_id, store_url, form)
    except (urls.StoreUrlError, sites.StoreConnectError) as error:
        return _page("woocommerce/keys.html", 400, form=form, error=str(error))
    queue.enqueue(queue.Job.WOOCOMMERCE_SETUP, store_id)
    flash("The keys are saved; StoreChat is checking them and creating the webhooks.", "success")
    return redirect(url_for("woocommerce.store", store_id=store_id))


@blueprint.get("/woocommerce/stores/<int:store_id>")
def store(store_id: int) -> ResponseReturnValue:
    """A connected store: its status and the connection key for the companion plugin."""
    row = tenancy.get_or_404(Store, store_id)
    if row.platform != sites.PLATFORM:
        return _page("woocommerce/failed.html", 404, reason="Not a WooCommerce store.")
    return _page("woocommerce/connected.html", 200, store=row, problem=sites.problem(row),
                 connection_key=_connection_key(row))


@blueprint.post("/woocommerce/stores/<int:store_id>/disconnect")
def disconnect(store_id: int) -> ResponseReturnValue:
    """Delete StoreChat's webhooks at the store and stop using its keys."""
    row = tenancy.get_or_404(Store, store_id)
    if row.platform != sites.PLATFORM:
        return _page("woocommerce/failed.html", 404, reason="Not a WooCommerce store.")
    lifecycle.disconnect(store_id)
    flash("The store is disconnected. You can also revoke StoreChat's key in WooCommerce › "
          "Settings › Advanced › REST API.", "success")
    return redirect(url_for("admin.index"))


def _normalise(raw: str) -> str:
    return urls.normalise_store_url(
        raw, allow_private=current_app.config["STORECHAT"].allow_http_stores)


def _connection_key(store: Store) -> str:
    try:
        from plugin.platforms.woocommerce.connection_key import make_connection_key
    except ImportError:  # the companion plugin's key format is not in this build
        return ""
    secret = str(credentials(store).get("connection_secret", ""))
    try:
        return make_connection_key(current_app.config["STORECHAT"].public_url, store.key, secret)
    except ValueError:
        return ""


def _answer(status: int, message: str) -> Response:
    return Response(json.dumps({"status": message}), status=status, mimetype="application/json")


def _page(template: str, status: int, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")
