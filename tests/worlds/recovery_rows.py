"""Shared set-up for what happens around a cart recovery send (clicks, stops, attribution):
StoreChat with a Shopify store (with a WhatsApp number) and a WooCommerce store, fed by
signed webhooks, and recovery steps marked sent the way the send job leaves them (a SENT
step naming its outbox message, with its link token and discount code)."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.models import (
    Checkout,
    Message,
    RecoveryStep,
    StepState,
    Store,
    WhatsAppAccount,
)
from plugin.pipeline.recovery import steps as recovery_steps
from plugin.platforms.stores import set_credentials
from tests.conftest import make_app
from tests.pipeline.test_checkouts import _cart, _checkout, _order
from webhooks.signatures import hmac_sha256_base64

SHOPIFY_SECRET = "shpss_recovery_secret_0123456789abcdef"
META_SECRET = "meta-app-secret-for-recovery"
PHONE_NUMBER_ID = "106540352242944"
SHOP = "acme.myshopify.com"
SHOPPER_WA = "34612345678"  # the phone of the recorded checkout (_checkout), as WhatsApp says it
WOO_WEBHOOK, WOO_SECRET, WOO_CONNECTION = "41", "wc-recovery-secret", "wc-recovery-connection"

# The payload builders of the checkout tests, under names that say what they build.
shopify_checkout = _checkout
shopify_order = _order
woo_cart = _cart


class RecoveryWorld:
    """The app, its two stores, and the ways data reaches them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self.ticks = count(1)
        with app.app_context(), db.transaction() as session:
            shop = Store(platform="shopify", domain=SHOP, name="Acme")
            woo = Store(platform="woocommerce", domain="https://woo.example.com", country="PT")
            set_credentials(woo, {"webhooks": {WOO_WEBHOOK: WOO_SECRET},
                                  "connection_secret": WOO_CONNECTION})
            session.add_all([shop, woo])
            session.flush()
            # Both stores chase carts: only a store with the sequence on gets timers.
            recovery_steps.set_enabled(session, shop, True)
            recovery_steps.set_enabled(session, woo, True)
            session.add(WhatsAppAccount(store_id=shop.id, phone_number_id=PHONE_NUMBER_ID,
                                        waba_id="WABA", access_token="EAAG-token"))
            self.shop_id, self.woo_id, self.woo_key = shop.id, woo.id, woo.key

    # Webhooks in ---------------------------------------------------------------------------

    def shopify(self, topic: str, payload: dict[str, Any], event_id: str | None = None) -> int:
        """Shopify delivers `topic`, signed; the status StoreChat answered."""
        body = json.dumps(payload).encode()
        return self.client.post("/webhooks/shopify", data=body, headers={
            "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": uuid.uuid4().hex, "X-Shopify-API-Version": "2025-10",
            "X-Shopify-Event-Id": event_id or uuid.uuid4().hex,
            "X-Shopify-Hmac-Sha256": hmac_sha256_base64(SHOPIFY_SECRET.encode(), body),
            "Content-Type": "application/json"}).status_code

    def woo_cart(self, payload: dict[str, Any]) -> None:
        """The companion plugin reports a cart, signed with the connection secret."""
        body = json.dumps(payload).encode()
        assert self.client.post(f"/webhooks/woocommerce/{self.woo_key}", data=body, headers={
            "X-StoreChat-Topic": "cart.updated", "Content-Type": "application/json",
            "X-StoreChat-Hmac-Sha256": hmac_sha256_base64(WOO_CONNECTION.encode(), body),
        }).status_code == 200

    def woo_order(self, payload: dict[str, Any]) -> None:
        """WooCommerce delivers order.created, signed with the webhook's secret."""
        payload = dict(payload, date_modified_gmt=f"2026-11-20T10:{next(self.ticks):02d}:00")
        body = json.dumps(payload).encode()
        assert self.client.post(f"/webhooks/woocommerce/{self.woo_key}", data=body, headers={
            "X-WC-Webhook-Source": "https://woo.example.com/",
            "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": "created",
            "X-WC-Webhook-Signature": hmac_sha256_base64(WOO_SECRET.encode(), body),
            "X-WC-Webhook-ID": WOO_WEBHOOK, "X-WC-Webhook-Delivery-ID": "1",
            "Content-Type": "application/json"}).status_code == 200

    def shopper_writes(self, text: str, wa_id: str = SHOPPER_WA) -> None:
        """Meta delivers the shopper's text message to the Shopify store's number, signed."""
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": "15550000000",
                              "phone_number_id": PHONE_NUMBER_ID},
                 "contacts": [{"profile": {"name": "Lucía"}, "wa_id": wa_id}],
                 "messages": [{"from": wa_id, "timestamp": str(int(time.time())),
                               "id": f"wamid.IN{uuid.uuid4().hex}", "type": "text",
                               "text": {"body": text}}]}
        body = json.dumps({"object": "whatsapp_business_account",
                           "entry": [{"id": "WABA", "changes": [{"field": "messages",
                                                                 "value": value}]}]}).encode()
        signature = "sha256=" + hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert self.client.post("/webhooks/whatsapp", data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": signature,
        }).status_code == 200

    # Rows ----------------------------------------------------------------------------------

    def checkouts(self) -> list[Checkout]:
        """Every checkout, oldest first, detached."""
        with self.app.app_context():
            session = db.session()
            rows = list(session.scalars(select(Checkout).order_by(Checkout.id)))
            session.expunge_all()
            return rows

    def steps(self, checkout_id: int) -> list[RecoveryStep]:
        """The checkout's recovery steps by cycle and step, detached."""
        with self.app.app_context():
            session = db.session()
            rows = list(session.scalars(select(RecoveryStep).where(
                RecoveryStep.checkout_id == checkout_id)
                .order_by(RecoveryStep.cycle, RecoveryStep.step)))
            session.expunge_all()
            return rows

    def mark_sent(self, checkout_id: int, step: int, sent_at: datetime, *,
                  discount_code: str | None = None,
                  message_state: MessageState = MessageState.SENT) -> str:
        """Leave step `step` of the checkout's latest cycle as the send job does: SENT, with
        its outbox message (in `message_state`, sent at `sent_at` when it went out), a link
        token and the discount code. Returns the link token."""
        token = secrets.token_urlsafe(16)
        with self.app.app_context(), db.transaction() as session:
            row = session.scalars(select(RecoveryStep).where(
                RecoveryStep.checkout_id == checkout_id, RecoveryStep.step == step)
                .order_by(RecoveryStep.cycle.desc())).first()
            assert row is not None, "the checkout has no such step"
            checkout = session.get(Checkout, checkout_id)
            assert checkout is not None
            went_out = message_state in (MessageState.SENT, MessageState.DELIVERED,
                                         MessageState.READ)
            message = Message(store_id=checkout.store_id, customer_id=checkout.customer_id,
                              cause=f"checkout:{checkout_id}:{row.cycle}",
                              step=f"cart_recovery_{step}", to=checkout.phone_e164 or "",
                              template=f"cart_recovery_{step}", payload={},
                              state=message_state.value, attempts=1, created_at=sent_at,
                              sent_at=sent_at if went_out else None,
                              wamid=f"wamid.OUT{uuid.uuid4().hex}" if went_out else None)
            session.add(message)
            session.flush()
            row.state = StepState.SENT.value
            row.message_id, row.sent_at, row.link_token = message.id, sent_at, token
            row.discount_code = discount_code
        return token

    def set_attribution_days(self, days: int) -> None:
        """The owner's attribution window of the Shopify store."""
        with self.app.app_context(), db.transaction() as session:
            store = session.get(Store, self.shop_id)
            assert store is not None
            store.recovery_attribution_days = days

    def messages(self) -> list[Message]:
        """Every outbox row, detached."""
        with self.app.app_context():
            session = db.session()
            rows = list(session.scalars(select(Message).order_by(Message.id)))
            session.expunge_all()
            return rows


def running_world(tmp_path: Path) -> Iterator[RecoveryWorld]:
    """A RecoveryWorld on a fresh SQLite database, jobs inline (for a test module's fixture:
    `yield from running_world(tmp_path)`)."""
    app = make_app(tmp_path / "instance", shopify_api_key="key",
                   shopify_api_secret=SHOPIFY_SECRET, whatsapp_app_secret=META_SECRET,
                   allow_http_stores=True)
    yield RecoveryWorld(app)
    app.extensions["storechat.engine"].dispose()
