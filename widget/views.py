"""The storefront's URLs: the script, its per-store config, click beacons and the opt-in.

Nothing here reads or sets a cookie: storefront requests carry none of ours, and every
answer is safe to share across origins (CORS `*`).
"""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request
from limits import RateLimitItemPerMinute
from sqlalchemy import select

from adapters.json_body import loads
from plugin.domain.errors import PayloadError
from plugin.infra import db, ratelimit
from plugin.models import Store, WhatsAppAccount, WidgetSettings
from plugin.platforms import stores
from widget import assets, counters, optin, settings

blueprint = Blueprint("widget", __name__)

LOADER_MAX_AGE = 300  # seconds; a deploy reaches every storefront within this long
SCRIPT_MAX_AGE = 365 * 24 * 3600
CONFIG_MAX_AGE = 60  # an owner's change shows within a minute
BEACON_MAX_BYTES = 2048
# Per visitor address and store. Clicks are rare; a flood is refused, not counted.
BEACONS_PER_MINUTE = 30
OPTINS_PER_MINUTE = 3
KEY_MAX_LENGTH = 32


def _public(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _javascript(asset: assets.Asset, cache_control: str) -> Response:
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(asset.gzipped if gzip_ok else asset.body,
                        mimetype="text/javascript")
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Cache-Control"] = cache_control
    response.vary.add("Accept-Encoding")
    response.set_etag(asset.version + ("-gz" if gzip_ok else ""))
    return _public(response.make_conditional(request))


@blueprint.get("/widget.js")
def loader() -> Response:
    """The stable loader a storefront includes: `<script src=".../widget.js" data-store="KEY"
    defer>`."""
    return _javascript(assets.loader(),
                       f"public, max-age={LOADER_MAX_AGE}, stale-while-revalidate=86400")


@blueprint.get("/widget.<version>.js")
def script(version: str) -> Response:
    """The widget itself under its content hash; an old hash gets today's script, briefly."""
    current = assets.script()
    if version == current.version:
        return _javascript(current, f"public, max-age={SCRIPT_MAX_AGE}, immutable")
    return _javascript(current, f"public, max-age={LOADER_MAX_AGE}")


def _not_found() -> Response:
    response = jsonify(error="Not Found", detail="No widget for this store key.")
    response.status_code = 404
    return _public(response)


def _store(key: str) -> Store | None:
    return stores.by_key(key) if len(key) <= KEY_MAX_LENGTH else None


def _accounts(store: Store) -> list[WhatsAppAccount]:
    return list(db.session().scalars(select(WhatsAppAccount).where(
        WhatsAppAccount.store_id == store.id).order_by(WhatsAppAccount.id)))


def _config(store: Store, page_lang: str | None = None) -> dict[str, Any]:
    row = db.session().scalars(select(WidgetSettings).where(
        WidgetSettings.store_id == store.id)).first()
    return settings.public_config(store, row, _accounts(store), page_lang)


@blueprint.get("/widget/<key>/config.json")
def config(key: str) -> Response:
    """The store's public widget config, in the page's language.

    An unknown or disconnected key gets the same 200 "off" document, with the same headers,
    as a store whose widget is turned off: a 404 would be logged as an error in the
    shopper's console on every page view, and the two answers must not tell anyone which
    keys exist."""
    store = _store(key)
    document = _config(store, request.args.get("lang", "")[:8]) if store is not None \
        else settings.OFF
    response = Response(json.dumps(document, ensure_ascii=False,
                                   separators=(",", ":")), mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={CONFIG_MAX_AGE}"
    response.add_etag()
    return _public(response.make_conditional(request))


def _limited(name: str, per_minute: int, key: str) -> bool:
    """Count one request from this address for this store; True when over the limit."""
    item = RateLimitItemPerMinute(per_minute)
    return not ratelimit.limiter().hit(item, name, key, request.remote_addr or "-")


def _empty(status: int) -> Response:
    return _public(Response(status=status, mimetype="text/plain"))


@blueprint.post("/widget/<key>/events")
def events(key: str) -> Response:
    """A click beacon: {"t": "click"|"open", "p": page path, "s": product id or SKU}.
    Counted, never stored per visitor; 204 whatever the outcome (an unknown key too, counted
    nowhere, so the answer tells no one which keys exist), 429 when flooding."""
    if _limited("widget-beacon", BEACONS_PER_MINUTE, key):
        return _empty(429)
    if (request.content_length or 0) > BEACON_MAX_BYTES:
        return _empty(413)
    try:
        data = loads(request.get_data(cache=False)[:BEACON_MAX_BYTES] or b"null")
    except PayloadError:
        return _empty(400)
    if not isinstance(data, dict) or data.get("t") not in counters.KINDS:
        return _empty(400)
    path = counters.clean_path(data.get("p"))
    if path is None:
        return _empty(400)
    store = _store(key)
    if store is None:
        return _empty(204)
    counters.count(store, data["t"], path, counters.clean_product(data.get("s")))
    return _empty(204)


@blueprint.post("/widget/<key>/optin")
def optin_form(key: str) -> Response:
    """The panel's opt-in form: 201 with a consent-log entry and the number to confirm on
    (`wa`, digits for a wa.me link); 400 naming each wrong field (`fields`: field → code);
    429 when flooding; 404 when the store offers no opt-in."""
    if _limited("widget-optin", OPTINS_PER_MINUTE, key):
        return _empty(429)
    store = _store(key)
    config = _config(store) if store is not None else {}
    offer = config.get("optin")
    if store is None or not offer:
        return _not_found()
    try:
        optin.record(store, offer, request)
    except optin.OptInRefused as refused:
        response = jsonify(error="Bad Request", detail=str(refused), fields=refused.fields)
        response.status_code = 400
        return _public(response)
    response = jsonify(ok=True, wa=settings.confirm_number(store, _accounts(store), config))
    response.status_code = 201
    return _public(response)
