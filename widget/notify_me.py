"""POST /widget/<store key>/notify: the "Notify me on WhatsApp" form of a sold-out product.

The shopper gives a number and ticks consent for one variant (`kind` back_in_stock, the
default, or price_drop: "Tell me if the price drops"); the subscription is recorded
pending (plugin.pipeline.alerts.subscriptions) and the answer names the store's WhatsApp
number and a prefilled message. Sending that message confirms the subscription and opens
the shopper's window, as the widget's own opt-in is confirmed: no template is spent on it.

Public and CORS `*` like the widget's other endpoints; limited per address and per number,
so the same number subscribing a hundred times is refused long before it could matter (and
is stored once anyway). A refusal names each wrong field with the widget's codes.
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from limits import RateLimitItemPerHour, RateLimitItemPerMinute
from sqlalchemy import select

from plugin.domain.phones import to_e164
from plugin.infra import db, ratelimit
from plugin.models import AlertKind, WhatsAppAccount
from plugin.pipeline.alerts import subscriptions
from plugin.platforms import stores
from widget import optin, settings
from widget.counters import clean_path

blueprint = Blueprint("notify_me", __name__)

# Per visitor address and store: a shopper subscribes to a few products, not dozens.
SUBSCRIBES_PER_MINUTE = 5
# Per number and store: nobody needs more, and a flood on one number is someone else's.
SUBSCRIBES_PER_PHONE_PER_HOUR = 10
KEY_MAX_LENGTH = 32
VARIANT_MAX_LENGTH = 64
TEXT_MAX_LENGTH = 500
# What the form's consent box says when the page sends no text of its own.
DEFAULT_TEXT = ("Send me a WhatsApp message when this product is back in stock. "
                "I can reply STOP at any time.")
# The same for a price-drop subscription ("Tell me if the price drops").
DEFAULT_PRICE_TEXT = ("Send me a WhatsApp message when the price of this product drops. "
                      "I can reply STOP at any time.")
# The message the shopper sends to confirm (prefilled in the wa.me link), per kind.
CONFIRM_MESSAGE = "Notify me when {product} is back in stock"
CONFIRM_PRICE_MESSAGE = "Tell me if the price of {product} drops"
# The form's `kind`: back in stock unless it asks for price drops.
KINDS = {"back_in_stock": AlertKind.BACK_IN_STOCK, "price_drop": AlertKind.PRICE_DROP}


def _public(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _answer(status: int, **body: object) -> Response:
    response = jsonify(**body)
    response.status_code = status
    return _public(response)


def _over(item: RateLimitItemPerMinute | RateLimitItemPerHour, *keys: str) -> bool:
    return not ratelimit.limiter().hit(item, "notify-me", *keys)


@blueprint.post("/widget/<key>/notify")
def subscribe(key: str) -> Response:
    """201 {ok, wa, text} with a pending subscription; 400 naming wrong fields (`fields`);
    404 for an unknown store key; 429 when flooding."""
    if _over(RateLimitItemPerMinute(SUBSCRIBES_PER_MINUTE), key, request.remote_addr or "-"):
        return _answer(429, error="Too Many Requests")
    store = stores.by_key(key) if len(key) <= KEY_MAX_LENGTH else None
    if store is None:
        return _answer(404, error="Not Found", detail="No store for this key.")
    form = request.form
    if form.get(optin.HONEYPOT_FIELD, ""):
        return _answer(201, ok=True, wa="", text="")  # a bot: told nothing
    typed = form.get("phone", "")
    wrong = optin.problems(typed, form.get("consent"), store.country)
    variant_id = form.get("variant", "").strip()[:VARIANT_MAX_LENGTH + 1]
    if not variant_id or len(variant_id) > VARIANT_MAX_LENGTH:
        wrong["variant"] = "variant_missing"
    kind = KINDS.get(form.get("kind", "back_in_stock")[:20])
    if kind is None:
        wrong["kind"] = "kind_unknown"
    phone = to_e164(typed[:optin.PHONE_MAX_LENGTH], store.country)
    if wrong or phone is None or kind is None:
        return _answer(400, error="Bad Request", fields=wrong or {"phone": "phone_invalid"})
    if _over(RateLimitItemPerHour(SUBSCRIBES_PER_PHONE_PER_HOUR), key, phone):
        return _answer(429, error="Too Many Requests")
    price = kind is AlertKind.PRICE_DROP
    text = form.get("text", "").strip()[:TEXT_MAX_LENGTH] or (
        DEFAULT_PRICE_TEXT if price else DEFAULT_TEXT)
    try:
        with db.transaction() as session:
            row = subscriptions.subscribe(session, store, phone, variant_id, text=text,
                                          ip=request.remote_addr,
                                          page=clean_path(form.get("page")), kind=kind)
            item = subscriptions.find_variant(session, store, row.variant_id)
            product = item.title if item is not None else ""
    except subscriptions.UnknownVariant:
        return _answer(400, error="Bad Request", fields={"variant": "variant_unknown"})
    accounts = list(db.session().scalars(select(WhatsAppAccount).where(
        WhatsAppAccount.store_id == store.id).order_by(WhatsAppAccount.id)))
    return _answer(201, ok=True, wa=settings.confirm_number(store, accounts, {}),
                   text=(CONFIRM_PRICE_MESSAGE if price else CONFIRM_MESSAGE).format(
                       product=product or "this product"))
