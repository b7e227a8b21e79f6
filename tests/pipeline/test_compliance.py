"""Privacy requests and uninstalls: what is erased is gone from every table."""
from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import inspect, select, text

from plugin.domain.events import ComplianceEvent, EventKind, StoreEvent
from plugin.infra import db
from plugin.models import DataExport, Message, Store
from plugin.pipeline.compliance import apply_compliance_event
from plugin.pipeline.inbound import record_event
from plugin.pipeline.store_events import apply_store_event
from tests.conftest import create_owner, sign_in

PHONE, NAME, EMAIL = "+351912345678", "Philippa", "philippa@example.com"
OTHER_PHONE, OTHER_NAME = "+351934567890", "Quentin"


def _order(store_id: int, order_id: str, name: str, phone: str, email: str) -> None:
    body = {"id": order_id, "number": order_id[-4:], "status": "placed", "currency": "EUR",
            "total": "12.00", "customer": {"id": f"cust-{name}", "first_name": name,
                                           "last_name": "Example", "phone": phone,
                                           "email": email}}
    record_event(source="demo", dedupe_key=f"{store_id}:{order_id}", topic="orders/create",
                 body=json.dumps(body).encode(), store_id=store_id)


def _store(app: Flask, owner_id: int | None = None) -> int:
    with app.app_context():
        with db.transaction() as session:
            from plugin.demo.store import get_or_create

            store_id = get_or_create(session, owner_id).id
        _order(store_id, "order-0001", NAME, PHONE, EMAIL)
        _order(store_id, "order-0002", NAME, PHONE, EMAIL)
        _order(store_id, "order-0003", OTHER_NAME, OTHER_PHONE, "q@example.com")
    return store_id


def _dump(app: Flask) -> str:
    """Every row of every table, as text."""
    with app.app_context(), db.engine().connect() as connection:
        tables = inspect(connection).get_table_names()
        return "\n".join(
            repr(row) for table in tables
            for row in connection.execute(text(f'SELECT * FROM "{table}"')))


def _apply(app: Flask, store_id: int, event: ComplianceEvent) -> None:
    with app.app_context(), db.transaction() as session:
        apply_compliance_event(session, session.get(Store, store_id), event)


def test_customer_redact_leaves_no_trace(app: Flask) -> None:
    store_id = _store(app)
    before = _dump(app)
    assert PHONE in before and NAME in before and EMAIL in before
    _apply(app, store_id, ComplianceEvent(kind=EventKind.CUSTOMER_REDACT,
                                          customer_platform_id=f"cust-{NAME}", phone=PHONE,
                                          email=EMAIL, order_ids=("order-0001",)))
    after = _dump(app)
    for trace in (PHONE, PHONE.lstrip("+"), NAME, EMAIL):
        assert trace not in after, trace
    # Another customer of the same store is untouched.
    assert OTHER_PHONE in after and OTHER_NAME in after
    with app.app_context():
        assert [m.to for m in db.session().scalars(select(Message))] == [OTHER_PHONE]


def test_shop_redact_removes_the_store(app: Flask) -> None:
    store_id = _store(app)
    _apply(app, store_id, ComplianceEvent(kind=EventKind.SHOP_REDACT))
    after = _dump(app)
    for trace in (PHONE, NAME, OTHER_PHONE, OTHER_NAME):
        assert trace not in after
    with app.app_context():
        assert db.session().get(Store, store_id) is None


def test_a_data_request_makes_an_export_for_the_owner(app: Flask) -> None:
    owner_id = create_owner(app, "owner@example.com")
    store_id = _store(app, owner_id)
    _apply(app, store_id, ComplianceEvent(kind=EventKind.CUSTOMER_DATA_REQUEST,
                                          customer_platform_id=f"cust-{NAME}",
                                          request_id="req-9"))
    with app.app_context():
        export = db.session().scalars(select(DataExport)).one()
    content = export.content
    assert [c["phone"] for c in content["customers"]] == [PHONE]
    assert len(content["messages"]) == 2 and len(content["orders"]) == 2
    assert content["consent"] == []
    client = app.test_client()
    sign_in(client, "owner@example.com")
    listed = client.get(f"/api/v1/exports?store={store_id}").json["data"]
    assert [e["request_id"] for e in listed] == ["req-9"]
    fetched = client.get(f"/api/v1/exports/{export.id}?store={store_id}").json
    assert fetched["content"]["customers"][0]["first_name"] == NAME


def test_uninstall_stops_every_pending_send(app: Flask) -> None:
    store_id = _store(app)
    with app.app_context():
        db.session().execute(text("UPDATE messages SET state = 'pending'"))
        db.session().commit()
        with db.transaction() as session:
            apply_store_event(session, session.get(Store, store_id),
                              StoreEvent(kind=EventKind.APP_UNINSTALLED))
        store = db.session().get(Store, store_id)
        assert store.status == "uninstalled" and store.credentials == "{}"
        states = {m.state for m in db.session().scalars(select(Message))}
        assert states == {"skipped"}


def test_shop_update_takes_the_new_settings(app: Flask) -> None:
    store_id = _store(app)
    with app.app_context():
        with db.transaction() as session:
            apply_store_event(session, session.get(Store, store_id), StoreEvent(
                kind=EventKind.SHOP_UPDATED, name="New name", currency="USD", country="US",
                timezone="America/New_York", locale="en-US"))
        store = db.session().get(Store, store_id)
        assert (store.name, store.currency, store.country, store.timezone) == (
            "New name", "USD", "US", "America/New_York")
