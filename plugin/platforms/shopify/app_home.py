"""`GET /shopify/app`: the embedded App Home. Shopify's admin loads it in an iframe with
an ID token; the first load installs the shop through token exchange.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, render_template
from shopify_app import ShopifyApp

from plugin.auth import shopify
from plugin.auth.tenancy import Principal
from plugin.infra import db
from plugin.infra.responses import APP_BRIDGE_SOURCE, admin_csp
from plugin.models import Store
from plugin.platforms.shopify import client, shops, tokens
from plugin.platforms.stores import credentials

log = logging.getLogger(__name__)

blueprint = Blueprint("shopify_home", __name__)

APP_BRIDGE_URL = f"{APP_BRIDGE_SOURCE}app-bridge.js"


@blueprint.get("/shopify/app")
def app_home() -> Response:
    """Verify the ID token, install on first load, and render the embedded shell."""
    verifier: ShopifyApp | None = current_app.extensions.get("storechat.shopify")
    if verifier is None:
        return Response("Shopify is not configured on this StoreChat.", status=401)
    result = verifier.verify_app_home_req(shopify.request_input(),
                                          shopify.PATCH_ID_TOKEN_PATH)
    if not result.ok or result.id_token is None:
        return shopify.to_response(result)
    domain = f"{result.shop}.myshopify.com"
    if not client.is_shop_domain(domain):
        return Response("Not a Shopify shop domain.", status=400)
    store = tokens.find_store(db.session(), domain)
    reconnected = False
    if store is None or not store.active or not credentials(store).get("access_token"):
        exchanged = tokens.exchange(result.id_token, result.invalid_token_response)
        if not exchanged.ok or exchanged.access_token is None:
            log.warning("shopify: token exchange for %s failed: %s", domain, exchanged.log.code)
            return shopify.to_response(exchanged)
        store_id = shops.connect(domain, exchanged.access_token)
        shops.refresh_shop_info(store_id, domain)
        shops.publish_widget_keys(store_id, domain)
        reconnected = store is not None
        store = db.session().get(Store, store_id, populate_existing=True)
    assert store is not None
    g.principal = Principal(kind="shop", shop_store_id=store.id, label=domain)
    body = render_template("shopify/app.html", store=store, api_key=verifier.config["client_id"],
                           app_bridge_url=APP_BRIDGE_URL, reconnected=reconnected)
    response = Response(body, mimetype="text/html")
    # shopifyapp's headers for a verified document (frame-ancestors, preload Link), with
    # the frame-ancestors folded into our full policy.
    for name, value in result.response.headers.items():
        if name.lower() != "content-security-policy":
            response.headers[name] = value
    response.headers["Content-Security-Policy"] = admin_csp()
    return response
