"""Two owners with a store each, holding one of everything the API serves, and tokens."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from plugin.admin.api.access import PATH_ROWS
from plugin.auth import api_tokens
from plugin.auth.api_tokens import Scope
from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import (
    ApiToken,
    Campaign,
    CatalogItem,
    CatalogSync,
    Conversation,
    Customer,
    DataExport,
    ItemState,
    Segment,
    SyncState,
    WhatsAppAccount,
)
from plugin.pipeline.inbound import record_event
from tests.conftest import create_owner

# Strings that appear only in store B's data.
B_NUMBER = "7777777"
B_NAME = "Bartholomew"


def place_order(store_id: int, order_id: str, number: str, name: str) -> None:
    """An order delivery from the demo platform, processed inline (order, customer, message)."""
    customer = dict(demo_store.DEMO_CUSTOMER, first_name=name)
    body = {"id": order_id, "number": number, "status": "placed", "currency": "EUR",
            "total": "9.99", "customer": customer,
            "line_items": [{"title": "Linen shirt", "quantity": 1, "price": "9.99"}]}
    record_event(source="demo", dedupe_key=f"{store_id}:{order_id}", topic="orders/create",
                 body=json.dumps(body).encode(), store_id=store_id)


class ApiWorld:
    """Owners A and B with a demo store each (an order, a message, an export), and tokens:
    A's read, write and revoked ones, and B's write token."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        owner_a = create_owner(app, "a@example.com")
        owner_b = create_owner(app, "b@example.com")
        with app.app_context():
            with db.transaction() as session:
                self.store_a = demo_store.get_or_create(session, owner_a).id
                self.store_b = demo_store.get_or_create(session, owner_b).id
            place_order(self.store_a, "a-1", "1001", "Alice")
            place_order(self.store_b, "b-1", B_NUMBER, B_NAME)
            with db.transaction() as session:
                for store_id, name in ((self.store_a, "Alice"), (self.store_b, B_NAME)):
                    session.add(DataExport(store_id=store_id, request_id=f"req-{store_id}",
                                           customer_platform_id=f"cust-{name}",
                                           content={"customers": [{"first_name": name}]}))
                    # A connected catalog with a failed item and a finished sync.
                    session.add(WhatsAppAccount(store_id=store_id, phone_number_id=f"pn-{name}",
                                                catalog_id=f"cat-{name}",
                                                catalog_name=f"{name} catalog"))
                    session.add(CatalogItem(store_id=store_id, variant_id="v2", product_id="p2",
                                            retailer_id=f"rid-{name}", title=f"{name} shirt",
                                            state=ItemState.FAILED, reason="Image missing."))
                    session.add(CatalogSync(store_id=store_id, state=SyncState.DONE,
                                            products=1, variants=1))
                    segment = Segment(store_id=store_id, name=f"{name} regulars",
                                      definition={"match": "all", "orders_min": 1})
                    session.add(segment)
                    session.flush()
                    # A draft campaign to the regulars (the demo's back_in_stock template).
                    session.add(Campaign(store_id=store_id, name=f"{name} sale",
                                         template="back_in_stock", language="en",
                                         segment_id=segment.id))
                self.write_a = self._issue(session, self.store_a, Scope.WRITE)
                self.read_a = self._issue(session, self.store_a, Scope.READ)
                self.revoked_a = self._issue(session, self.store_a, Scope.WRITE)
                self.write_b = self._issue(session, self.store_b, Scope.WRITE)
                revoked = session.scalars(select(ApiToken).where(
                    ApiToken.lookup == self.revoked_a[8:20])).one()
                api_tokens.revoke(session, revoked)
            with db.transaction() as session:
                for store_id in (self.store_a, self.store_b):
                    self._catalog(session, store_id)
            self.ids_a = self._ids(self.store_a)
            self.ids_b = self._ids(self.store_b)

    @staticmethod
    def _issue(session: Any, store_id: int, scope: Scope) -> str:
        _row, token = api_tokens.issue(session, store_id, f"{scope.value} token", scope,
                                       "test")
        return token

    @staticmethod
    def _catalog(session: Any, store_id: int) -> None:
        """The catalog's one synced item, and a shopper who wrote an hour ago (her 24-hour
        window is open, and a consent given now is newer), so a product message can go."""
        session.add(CatalogItem(store_id=store_id, variant_id="v1", product_id="p1",
                                retailer_id="shirt-1", title="Linen shirt",
                                data={"title": "Linen shirt"}, content_hash="h",
                                sent_hash="h", state=ItemState.SYNCED))
        for customer in session.scalars(select(Customer).where(Customer.store_id == store_id)):
            customer.last_inbound_at = db.utcnow() - timedelta(hours=1)
            # Her conversation in the team inbox.
            session.add(Conversation(store_id=store_id, customer_id=customer.id, tags=[]))

    @staticmethod
    def _ids(store_id: int) -> dict[str, int]:
        """For each path argument, the id of the store's first such row (and the store's)."""
        session = db.session()
        ids = {name: session.scalars(select(model.id).where(model.store_id == store_id)
                                     .order_by(model.id)).first()
               for name, model in PATH_ROWS.items()}
        return {**ids, "store_id": store_id}

    def markers(self) -> list[str]:
        """Strings that appear only in store B's data."""
        return [B_NUMBER, B_NAME, "b@example.com", f"req-{self.store_b}"]


def call(client: FlaskClient, method: str, url: str, token: str | None = None,
         body: Any = None) -> TestResponse:
    """One API call, with the token as a Bearer header and `body` as JSON."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is None:
        return client.open(url, method=method, headers=headers)
    return client.open(url, method=method, headers=headers, json=body)
