"""GET /t/<token>: the tracking button of shipping messages, counted on its message
(plugin.pipeline.reactions) and redirected to the carrier, the button of cart recovery
messages, counted and redirected to the cart
(plugin.pipeline.recovery.links), and the button of back-in-stock alerts, counted and
redirected to the product (plugin.pipeline.alerts.links), and the button of campaign
messages, counted and redirected to the campaign's page (plugin.pipeline.campaigns.links).

The token is random, minted once per order (plugin.pipeline.orders keeps it in the order snapshot),
so the URL in a shopper's chat names no store, order or id and cannot be guessed; the
carrier's link may change later (a new shipment) and the button still leads to the latest.
"""
from __future__ import annotations

import re

from flask import Blueprint, Flask, abort, redirect, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Order
from plugin.pipeline import reactions
from plugin.pipeline.alerts.links import resolve_alert_link
from plugin.pipeline.campaigns import links as campaign_links
from plugin.pipeline.orders import TOKEN_KEY
from plugin.pipeline.recovery import links as recovery_links

blueprint = Blueprint("tracking_link", __name__)

# What secrets.token_urlsafe(16) produces; anything else is refused before a query.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def find_order(token: str) -> Order | None:
    """The order whose tracking token this is, or None."""
    if not _TOKEN.match(token):
        return None
    return db.session().scalars(
        select(Order).where(Order.snapshot[TOKEN_KEY].as_string() == token).limit(1)).first()


def destination(order: Order) -> str:
    """Where the order's tracking button leads: the carrier's tracking page, else the
    store's order status page; '' when there is neither (or only a non-http link)."""
    for url in ((order.tracking or {}).get("url"), (order.snapshot or {}).get("status_url")):
        if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
            return url
    return ""


@blueprint.get("/t/<token>")
def follow(token: str) -> ResponseReturnValue:
    """302 to the cart of a recovery step or the product of a stock alert (a GET counts the
    click), or to the order's tracking page; 404 for an unknown token or one that leads nowhere."""
    if not _TOKEN.match(token):
        abort(404)
    counted = request.method == "GET"
    url = recovery_links.follow(token, count=counted)
    if url is None:
        url = resolve_alert_link(token, count=counted)
    if url is None:
        url = campaign_links.follow(token, count=counted)
    if url is None:
        order = find_order(token)
        url = destination(order) if order is not None else ""
        if url and counted and order is not None:
            with db.transaction() as session:  # the message's figure on the Analytics page
                reactions.order_link_clicked(session, order.id, token, db.utcnow())
    if not url:
        abort(404)
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def init_app(app: Flask) -> None:
    """Register the tracking redirect."""
    app.register_blueprint(blueprint)
