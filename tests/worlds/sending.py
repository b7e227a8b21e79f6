"""A store ready to send campaigns: its number on the fake Graph API, a marketing and a
utility template, customers with or without an opt-in, and pending outbox rows.

Shared by the send engine's tests (tests/pipeline/test_send_engine*.py), the marketing
limits tests, and the services lane (tests/services/test_send_engine_kill.py).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from adapters.whatsapp import messages as bodies
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Message, Store, Template, WhatsAppAccount
from tests.conftest import make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer

PHONE_NUMBER_ID = "106540352242999"
TOKEN = "EAAG-engine-token"
PROMO = "spring_sale"  # a MARKETING template
UPDATE = "order_update"  # a UTILITY template
CAUSE = "campaign:1"


@dataclass
class Sending:
    """The app, its fake Graph API and the store that sends."""

    app: Flask
    graph: FakeGraph
    store_id: int

    def customer(self, n: int, *, phone: str | None = None, consent: bool | None = True,
                 tags: list[str] | None = None, held_until: datetime | None = None,
                 consent_source: str = "checkout") -> int:
        """A customer (number +3519120000nn unless `phone`) and their marketing consent."""
        with self.app.app_context(), db.transaction() as session:
            customer = Customer(store_id=self.store_id, platform_id=f"c{n}",
                                phone_e164=phone or f"+35191200{n:04d}", tags=tags or [],
                                marketing_held_until=held_until)
            session.add(customer)
            session.flush()
            if consent is not None:
                session.add(ConsentEntry(store_id=self.store_id, customer_id=customer.id,
                                         purpose="marketing", granted=consent,
                                         source=consent_source, created_at=db.utcnow()))
            return customer.id

    def message(self, customer_id: int | None, *, cause: str = CAUSE, step: str = "",
                template: str | None = PROMO, to: str | None = None, **columns: Any) -> int:
        """A pending message of `cause` to the customer (one per recipient and cause, as
        a campaign writes them: the step names the customer unless given)."""
        step = step or f"customer:{customer_id}"
        with self.app.app_context(), db.transaction() as session:
            customer = session.get(Customer, customer_id) if customer_id else None
            number = to or (customer.phone_e164 if customer else "+351912009999") or ""
            payload = (bodies.template(number.lstrip("+"), template, "en", body=["Ana"])
                       if template else bodies.text(number.lstrip("+"), "Hello"))
            row = Message(store_id=self.store_id, customer_id=customer_id, cause=cause,
                          step=step, to=number, template=template, payload=payload,
                          state="pending", attempts=0, created_at=db.utcnow(),
                          enqueued_at=db.utcnow(), **columns)
            session.add(row)
            session.flush()
            return row.id

    def rows(self) -> list[Message]:
        """Every message, oldest first."""
        with self.app.app_context():
            session = db.session()
            found = list(session.scalars(select(Message).order_by(Message.id)))
            session.expunge_all()
            return found

    def row(self, message_id: int) -> Message:
        """One message as it is now."""
        return next(m for m in self.rows() if m.id == message_id)

    def set(self, model: type[Any], row_id: int, **values: Any) -> None:
        """Change columns of one row."""
        with self.app.app_context(), db.transaction() as session:
            row = session.get(model, row_id)
            for name, value in values.items():
                setattr(row, name, value)


@contextmanager
def sending_world(tmp_path: Path, *, timezone: str | None = None,
                  throughput: int = 1_000_000, database_url: str | None = None,
                  **overrides: Any) -> Iterator[Sending]:
    """A migrated app whose Graph API is a fresh fake, and one store with a number (its
    throughput far above reach unless told), the two templates, no customers yet."""
    fake = FakeGraph(tokens={PHONE_NUMBER_ID: TOKEN})
    with LoopbackServer(fake) as server:
        if database_url:
            overrides["database_url"] = database_url
        app = make_app(tmp_path / "instance", whatsapp_graph_url=server.url, **overrides)
        with app.app_context(), db.transaction() as session:
            store = Store(platform="woocommerce", domain="shop.example", name="Shop",
                          timezone=timezone)
            session.add(store)
            session.flush()
            session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PHONE_NUMBER_ID,
                                        waba_id="1", access_token=TOKEN,
                                        throughput_mps=throughput))
            session.add_all([Template(store_id=store.id, name=PROMO, language="en",
                                      category="MARKETING"),
                             Template(store_id=store.id, name=UPDATE, language="en",
                                      category="UTILITY")])
            store_id = store.id
        try:
            yield Sending(app, fake, store_id)
        finally:
            app.extensions["storechat.engine"].dispose()
