"""The team inbox's world: a store with a WhatsApp number on the fake Graph (media and read
receipts included), its owner signed in, and Meta's signed webhook to deliver the recorded
pywa payloads (../shared/fixtures/whatsapp/pywa/updates) or hand-made messages."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.infra import db
from plugin.models import Owner, Store, WhatsAppAccount
from tests.conftest import create_owner, make_app, shared_fixture, sign_in
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer

APP_SECRET = "meta-app-secret-for-the-inbox"
# The number the recorded pywa payloads were sent to, and the shopper who sent them.
PHONE_NUMBER_ID = "1122334455667"
SHOPPER = "972987654321"
TOKEN = "EAAG-inbox-token"
OWNER_EMAIL = "owner@example.com"


@dataclass
class InboxWorld:
    """The app, the fake Graph, the store and its owner's signed-in client."""

    app: Flask
    graph: FakeGraph
    store_id: int
    owner_id: int
    client: FlaskClient

    def post_webhook(self, body: bytes) -> int:
        """POST a body to /webhooks/whatsapp signed as Meta signs it; the HTTP status."""
        signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return self.app.test_client().post("/webhooks/whatsapp", data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": signature}).status_code

    def deliver_fixture(self, file: str, name: str) -> dict[str, Any]:
        """Deliver one recorded example; returns its message (or status) item."""
        examples = json.loads(shared_fixture("whatsapp", "pywa", "updates", file).read_text())
        body = examples[name]
        assert self.post_webhook(json.dumps(body).encode()) == 200
        value = body["entry"][0]["changes"][0]["value"]
        return (value.get("messages") or value.get("statuses"))[0]

    def deliver(self, message: dict[str, Any], *, sender: str = SHOPPER,
                name: str = "Ana") -> None:
        """Meta delivers one message the shopper sends now."""
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": "15550000000",
                              "phone_number_id": PHONE_NUMBER_ID},
                 "contacts": [{"profile": {"name": name}, "wa_id": sender}],
                 "messages": [{"from": sender, "timestamp": str(int(time.time())),
                               **message}]}
        body = json.dumps({"object": "whatsapp_business_account", "entry": [
            {"id": "WABA", "changes": [{"field": "messages", "value": value}]}]}).encode()
        assert self.post_webhook(body) == 200

    def writes(self, text: str, wamid: str, **kwargs: Any) -> None:
        """The shopper sends a text now."""
        self.deliver({"id": wamid, "type": "text", "text": {"body": text}}, **kwargs)


@pytest.fixture
def inbox_world(tmp_path: Path) -> Iterator[InboxWorld]:
    """A store with its number on the fake Graph and its owner signed in."""
    graph = FakeGraph(tokens={PHONE_NUMBER_ID: TOKEN})
    with LoopbackServer(graph) as server:
        app = make_app(tmp_path / "instance", whatsapp_graph_url=server.url,
                       whatsapp_app_secret=APP_SECRET)
        owner_id = create_owner(app, OWNER_EMAIL)
        with app.app_context(), db.transaction() as session:
            store = Store(platform="woocommerce", domain="linen.example", name="Linen & Co",
                          country="PT", owner_id=owner_id)
            session.add(store)
            session.flush()
            session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PHONE_NUMBER_ID,
                                        waba_id="WABA", access_token=TOKEN))
            store_id = store.id
            assert session.get(Owner, owner_id) is not None
        client = app.test_client()
        assert sign_in(client, OWNER_EMAIL).status_code == 302
        yield InboxWorld(app, graph, store_id, owner_id, client)
        app.extensions["storechat.engine"].dispose()


# The catalog Meta knows the inbox store's products by (connected to its number).
CATALOG_ID = "CAT-LINEN"


def connect_catalog(world: InboxWorld, rows: list[Any]) -> None:
    """Connect a catalog to the store's number and write its catalog rows."""
    from sqlalchemy import select

    with world.app.app_context(), db.transaction() as session:
        account = session.scalars(select(WhatsAppAccount).where(
            WhatsAppAccount.store_id == world.store_id)).one()
        account.catalog_id = CATALOG_ID
        session.add_all(rows)
