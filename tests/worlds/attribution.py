"""Attribution worlds: touches reaching StoreChat the way they do in production (Meta's
signed read reports and ad referrals, the tracked link's click), and the figures read back:
the attribution rows, the revenue rollups, the ad rollups and the holdout members."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from plugin.infra import db
from plugin.models import AdRollup, LiftMember, OrderAttribution, RevenueRollup
from tests.worlds.recovery_rows import META_SECRET, PHONE_NUMBER_ID, SHOPPER_WA, RecoveryWorld


def meta(world: RecoveryWorld, value: dict[str, Any]) -> None:
    """Meta delivers one change of the Shopify store's number, signed."""
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550000000",
                          "phone_number_id": PHONE_NUMBER_ID}, **value}
    body = json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "WABA", "changes": [{"field": "messages",
                                                             "value": value}]}]}).encode()
    signature = "sha256=" + hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert world.client.post("/webhooks/whatsapp", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature,
    }).status_code == 200


def read_report(world: RecoveryWorld, wamid: str, message_id: int, at: datetime) -> None:
    """Meta reports the message read at `at` (naive UTC)."""
    meta(world, {"statuses": [{"id": wamid, "status": "read", "recipient_id": SHOPPER_WA,
                               "timestamp": str(int(at.replace(tzinfo=UTC).timestamp())),
                               "biz_opaque_callback_data": f"storechat:{message_id}"}]})


def from_ad(world: RecoveryWorld, source_id: str, headline: str, at: datetime,
            wa_id: str = SHOPPER_WA) -> None:
    """The shopper's first message, sent from a click-to-WhatsApp ad."""
    meta(world, {"contacts": [{"profile": {"name": "Lucía"}, "wa_id": wa_id}],
                 "messages": [{"from": wa_id, "id": f"wamid.IN{uuid.uuid4().hex}",
                               "timestamp": str(int(at.replace(tzinfo=UTC).timestamp())),
                               "type": "text", "text": {"body": "Is this in stock?"},
                               "referral": {"source_url": "https://fb.me/ad",
                                            "source_id": source_id, "source_type": "ad",
                                            "headline": headline, "body": "Linen",
                                            "media_type": "image"}}]})


def attributions(world: RecoveryWorld) -> list[OrderAttribution]:
    """Every attribution row, detached, oldest first."""
    with world.app.app_context():
        session = db.session()
        rows = list(session.scalars(select(OrderAttribution).order_by(OrderAttribution.id)))
        session.expunge_all()
        return rows


def revenue(app: Any, store_id: int) -> dict[tuple[date, str, str], tuple[int, int]]:
    """The revenue rollups of a store: (day, flow, currency) → (orders, thousandths), rows
    whose figures went back to zero left out."""
    with app.app_context():
        return {(r.day, r.flow, r.currency): (r.orders, r.amount_millis)
                for r in db.session().scalars(select(RevenueRollup).where(
                    RevenueRollup.store_id == store_id))
                if r.orders or r.amount_millis}


def ads(world: RecoveryWorld) -> dict[tuple[str, str], tuple[int, int, int]]:
    """The ad rollups: (source id, currency) → (conversations, orders, thousandths)."""
    with world.app.app_context():
        found: dict[tuple[str, str], tuple[int, int, int]] = {}
        for r in db.session().scalars(select(AdRollup)):
            c, o, a = found.get((r.source_id, r.currency), (0, 0, 0))
            found[(r.source_id, r.currency)] = (c + r.conversations, o + r.orders,
                                                a + r.amount_millis)
        return found


def members(app: Any) -> list[LiftMember]:
    """Every holdout experiment member, detached."""
    with app.app_context():
        session = db.session()
        rows = list(session.scalars(select(LiftMember).order_by(LiftMember.id)))
        session.expunge_all()
        return rows
