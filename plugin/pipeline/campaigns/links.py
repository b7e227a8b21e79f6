"""A campaign message's link: /t/<token> counts the first click on that message and leads
to the campaign's page at the store, with the recipient's discount code applied.

The token names the campaign and the recipient and is signed with the app's secret key
(an HMAC), so it is written with the message before the message has an id, and cannot be
guessed or walked: a token with a wrong signature is simply not a campaign's.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plugin.infra import db
from plugin.models import Campaign, CampaignClick, CampaignCode, Message, Store
from plugin.pipeline import reactions
from plugin.pipeline.recovery.links import destination

PREFIX = "cmp"
# Hex characters of the signature: 80 bits.
SIGNATURE_CHARS = 20


def _signature(campaign_id: int, customer_id: int) -> str:
    key = current_app.config["STORECHAT"].secret_key.encode()
    data = f"campaign-link:{campaign_id}:{customer_id}".encode()
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]


def token(campaign_id: int, customer_id: int) -> str:
    """The link token of one recipient of one campaign."""
    return f"{PREFIX}{campaign_id:x}_{customer_id:x}_{_signature(campaign_id, customer_id)}"


def read(value: str) -> tuple[int, int] | None:
    """(campaign id, customer id) of a genuine token, else None."""
    parts = value.split("_")
    if len(parts) != 3 or not parts[0].startswith(PREFIX):
        return None
    try:
        campaign_id, customer_id = int(parts[0][len(PREFIX):], 16), int(parts[1], 16)
    except ValueError:
        return None
    if not hmac.compare_digest(parts[2], _signature(campaign_id, customer_id)):
        return None
    return campaign_id, customer_id


def recipient_step(customer_id: int) -> str:
    """The outbox step of one recipient's message (the cause names the campaign)."""
    return str(customer_id)


def cause(campaign_id: int) -> str:
    """The outbox cause of every message of a campaign."""
    return f"campaign:{campaign_id}"


def follow(value: str, *, count: bool) -> str | None:
    """Where a campaign link leads (None: not a campaign token; '' when there is nowhere),
    counting the message's first click when `count` (a GET, not a HEAD)."""
    found = read(value)
    if found is None:
        return None
    campaign_id, customer_id = found
    with db.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            return ""
        store = session.get_one(Store, campaign.store_id)
        message_id = session.scalar(select(Message.id).where(
            Message.store_id == campaign.store_id, Message.cause == cause(campaign_id),
            Message.step == recipient_step(customer_id)))
        if message_id is not None and count:
            record_click(session, campaign_id, message_id)
        code = _code(session, campaign_id, customer_id)
        url = campaign.link_url or _front_page(store)
        return destination(store.platform, url, code)


def record_click(session: Session, campaign_id: int, message_id: int) -> bool:
    """Keep the message's first click; True when this was it (a double tap counts once)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (module.insert(CampaignClick)
                 .values(message_id=message_id, campaign_id=campaign_id,
                         clicked_at=db.utcnow())
                 .on_conflict_do_nothing(index_elements=["message_id"])
                 .returning(CampaignClick.message_id))
    first = session.execute(statement).scalar_one_or_none() is not None
    if first:  # the message's figure on the Analytics page, in the same transaction
        reactions.clicked(session, message_id, db.utcnow())
    return first


def _code(session: Session, campaign_id: int, customer_id: int) -> str | None:
    return session.scalar(select(CampaignCode.code).where(
        CampaignCode.campaign_id == campaign_id,
        (CampaignCode.customer_id == customer_id) | CampaignCode.customer_id.is_(None))
        .order_by(CampaignCode.customer_id.is_(None)).limit(1))


def _front_page(store: Store) -> str:
    domain = (store.domain or "").strip()
    if not domain:
        return ""
    return domain if domain.startswith(("http://", "https://")) else f"https://{domain}"
