"""The button of a cart recovery message: /t/<token> counts the click on its step and leads
to the platform's own recovery link, with the step's discount code applied.

Each sent step has its own random `link_token` (secrets.token_urlsafe, minted by the send
job), found through the column's unique index: the URL names no store, cart or id and cannot
be guessed or walked. Only a GET counts as a click: link previews and prefetchers send HEAD.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.infra import db
from plugin.models import Checkout, RecoveryStep, Store
from plugin.pipeline import reactions

# Shopify's shareable discount link: the storefront applies the code (a cookie) and then
# redirects to the path given, here the checkout's recovery path. The storefront's own host
# is taken from the recovery URL, so the cookie lands on the domain the checkout lives on.
SHOPIFY_DISCOUNT_PATH = "/discount/"
# The query parameter the WordPress companion plugin reads on a restore link to apply a code.
WOO_COUPON_PARAM = "coupon"


def find_step(session: Session, token: str) -> RecoveryStep | None:
    """The sent recovery step whose link token this is, or None."""
    return session.scalars(select(RecoveryStep).where(RecoveryStep.link_token == token)
                           .limit(1)).first()


def record_click(session: Session, step_id: int, now: datetime) -> bool:
    """Keep the time of the step's first click; True when this was it. One conditional
    UPDATE, so two taps at once (or a double tap) count once."""
    result = session.execute(update(RecoveryStep)
                             .where(RecoveryStep.id == step_id, RecoveryStep.clicked_at.is_(None))
                             .values(clicked_at=now)
                             .execution_options(synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult


def destination(platform: str, recovery_url: str | None, discount_code: str | None) -> str:
    """Where a step's button leads: the checkout's recovery URL, through the platform's way
    of applying the step's discount code when it carried one; '' when the recovery URL is
    missing or not http(s)."""
    url = (recovery_url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("https", "http") or not parts.netloc:
        return ""
    code = (discount_code or "").strip()
    if not code:
        return url
    if platform == "shopify":
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        return urlunsplit((parts.scheme, parts.netloc,
                           SHOPIFY_DISCOUNT_PATH + quote(code, safe=""),
                           urlencode({"redirect": target}), ""))
    # Appended to the query as it is: the restore link's own signed parameters stay byte
    # for byte what the companion plugin wrote.
    coupon = urlencode({WOO_COUPON_PARAM: code})
    query = f"{parts.query}&{coupon}" if parts.query else coupon
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def follow(token: str, *, count: bool) -> str | None:
    """The destination of a recovery link (None: not a recovery token; '' when the checkout
    has no usable recovery URL), counting the click when `count` (a GET, not a HEAD)."""
    with db.transaction() as session:
        step = find_step(session, token)
        if step is None:
            return None
        row = session.execute(
            select(Store.platform, Checkout.recovery_url)
            .join(Checkout, Checkout.store_id == Store.id)
            .where(Checkout.id == step.checkout_id)).first()
        if row is None:
            return ""
        if count:
            now = db.utcnow()
            record_click(session, step.id, now)
            if step.message_id is not None:  # the message's own figure, once per message
                reactions.clicked(session, step.message_id, now)
        # A completed checkout still leads there: the platform shows the shopper that the
        # order is placed, which answers them better than a 404 would.
        return destination(row.platform, row.recovery_url, step.discount_code)
