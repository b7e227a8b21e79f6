"""Attribution worlds: touches reaching StoreChat the way they do in production (Meta's
signed read reports and ad referrals, the tracked link's click), and the figures read back:
the attribution rows, the revenue rollups, the ad rollups and the holdout members."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, date, datetime, timedelta
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


def attributed_order(app: Any, store_id: int, n: int, *, cause: str, step: str,
                     total: str, currency: str = "EUR", name: str = "Lucía",
                     touch: str = "read") -> int:
    """A shopper gets message `n` (cause, step) an hour ago, reads or clicks it (a campaign
    link click needs a campaign: `touch` "clicked" takes "campaign:<id>" causes), and places
    order `n` now, through the order pipeline; the message's id."""
    from decimal import Decimal

    from plugin.domain.events import CustomerRef, EventKind, OrderEvent
    from plugin.models import CampaignClick, Customer, Message, Store
    from plugin.pipeline import orders

    now = db.utcnow().replace(microsecond=0)
    phone = f"+35191{n:07d}"
    with app.app_context(), db.transaction() as session:
        customer = Customer(store_id=store_id, platform_id=f"wa:{n}", phone_e164=phone,
                            first_name=name, tags=[])
        session.add(customer)
        session.flush()
        sent = now - timedelta(hours=1)
        message = Message(store_id=store_id, customer_id=customer.id, cause=cause, step=step,
                          to=phone, template="spring_sale", payload={}, state="read",
                          created_at=sent, sent_at=sent,
                          read_at=sent + timedelta(minutes=5) if touch == "read" else None)
        session.add(message)
        session.flush()
        if touch == "clicked":
            session.add(CampaignClick(message_id=message.id, campaign_id=int(cause[9:]),
                                      clicked_at=sent + timedelta(minutes=10)))
        orders.apply_order_event(session, session.get_one(Store, store_id), OrderEvent(
            kind=EventKind.ORDER_PLACED, order_id=f"att-{n}", number=f"{2000 + n}",
            status="processing", currency=currency, total=Decimal(total),
            customer=CustomerRef(platform_id=f"shop:{n}", phone=phone, first_name=name),
            placed_at=now.isoformat() + "+00:00"))
        return message.id
