"""Back-in-stock alerts end to end: StoreChat on loopback between a fake store (Shopify or
WooCommerce, signing its webhooks), the fake Graph API (sending, and Meta's signed inbound
messages), and shoppers who subscribe on the storefront and confirm on WhatsApp."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import AlertSubscription, ConsentEntry, Message, Store, Template
from tests.fakes.graph import FakeGraph
from tests.pipeline.catalog.e2e_world import PNID, CatalogWorld

APP_SECRET = "meta-app-secret-for-alerts"
CONSENT_TEXT = "Send me a WhatsApp message when this is back in stock. Reply STOP to stop."
# The starter template as Meta holds it once approved (positional {{1}}..{{3}}).
BODY = ("Good news, {{1}}: the item you were waiting for is back in stock, {{2}}.\n\n"
        "Get yours before it sells out again: {{3}}\n\nSee you soon!")


def shopper(n: int) -> str:
    """The n-th shopper's number (Portugal: not a +1 number, which marketing never reaches)."""
    return f"+3519100000{n:02d}"


class AlertsWorld(CatalogWorld):
    """A store with a number on the fake Graph and the approved back_in_stock template."""

    def __init__(self, app: Flask, graph: FakeGraph, store_id: int) -> None:
        super().__init__(app, graph, store_id)
        self._wamids = itertools.count(1)
        with app.app_context(), db.transaction() as session:
            store = session.get(Store, store_id)
            store.timezone = None  # no quiet hours in these tests: the clock is real
            self.key = store.key
            session.add(Template(store_id=store_id, name="back_in_stock", language="en",
                                 category="MARKETING", status="APPROVED",
                                 parameter_format="POSITIONAL",
                                 components=[{"type": "HEADER", "format": "IMAGE"},
                                             {"type": "BODY", "text": BODY}]))

    # --- shoppers ------------------------------------------------------------------------

    def subscribe(self, phone: str, variant_id: str, ip: str = "203.0.113.7",
                  **fields: str) -> Any:
        """The shopper fills in the storefront's form (from address `ip`)."""
        return self.app.test_client().post(
            f"/widget/{self.key}/notify", environ_base={"REMOTE_ADDR": ip},
            data={"phone": phone, "consent": "1", "variant": variant_id,
                  "text": CONSENT_TEXT, "page": "/products/shirt", **fields})

    def writes(self, phone: str, text: str) -> None:
        """Meta delivers the shopper's WhatsApp message, signed, to our webhook."""
        wa_id = phone.lstrip("+")
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": "15550000000", "phone_number_id": PNID},
                 "contacts": [{"profile": {"name": "Ana"}, "wa_id": wa_id}],
                 "messages": [{"from": wa_id, "timestamp": str(int(time.time())),
                               "id": f"wamid.IN{next(self._wamids)}", "type": "text",
                               "text": {"body": text}}]}
        body = json.dumps({"object": "whatsapp_business_account", "entry": [
            {"id": "WABA", "changes": [{"field": "messages", "value": value}]}]}).encode()
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        response = self.app.test_client().post("/webhooks/whatsapp", data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": signature})
        assert response.status_code == 200
        # Our answer to it went out; the 6 s spacing per shopper passes before what follows.
        self.app.extensions["storechat.limiter"].storage.reset()

    def subscribe_and_confirm(self, phones: list[str], variant_id: str) -> None:
        """Each shopper subscribes (from their own address), then confirms on WhatsApp."""
        for n, phone in enumerate(phones):
            response = self.subscribe(phone, variant_id, ip=f"198.51.100.{n + 1}")
            assert response.status_code == 201, response.get_json()
            self.writes(phone, response.get_json()["text"])

    # --- looking -------------------------------------------------------------------------

    def alerted(self) -> list[str]:
        """The numbers the fake Graph received a back_in_stock template for, in send order."""
        return ["+" + s.payload["to"] for s in self.graph.sent
                if s.payload.get("type") == "template"
                and s.payload["template"]["name"] == "back_in_stock"]

    def alert_bodies(self) -> list[dict[str, Any]]:
        """The back_in_stock templates the fake Graph received."""
        return [s.payload for s in self.graph.sent if s.payload.get("type") == "template"]

    def subscriptions(self) -> list[AlertSubscription]:
        """The store's subscriptions, oldest first, detached."""
        with self.app.app_context(), db.transaction() as session:
            rows = list(session.scalars(select(AlertSubscription).where(
                AlertSubscription.store_id == self.store_id)
                .order_by(AlertSubscription.created_at, AlertSubscription.id)))
            session.expunge_all()
        return rows

    def states(self) -> dict[int, str]:
        """Each subscription's state by customer id."""
        return {s.customer_id: s.state for s in self.subscriptions()}

    def alert_messages(self) -> list[Message]:
        """The store's alert messages in the outbox, detached."""
        with self.app.app_context(), db.transaction() as session:
            rows = list(session.scalars(select(Message).where(
                Message.store_id == self.store_id, Message.cause.startswith("stock_alert:"))
                .order_by(Message.id)))
            session.expunge_all()
        return rows

    def consents(self) -> list[tuple[str, str, str]]:
        """(purpose, source, text) of the store's consent entries, oldest first."""
        with self.app.app_context(), db.transaction() as session:
            return [(c.purpose, c.source, c.text_shown) for c in session.scalars(
                select(ConsentEntry).where(ConsentEntry.store_id == self.store_id)
                .order_by(ConsentEntry.id))]
