"""Consent captured by the platforms reaches the consent log: the companion plugin's
checkout box (cart events and order meta) and Shopify's SMS marketing consent topic."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Store
from plugin.pipeline.inbound import record_event
from plugin.pipeline.process import process_event
from tests.conftest import shared_fixture

DATA = Path(__file__).resolve().parents[1] / "data" / "woocommerce"
BOX = "Quero receber novidades e ofertas por WhatsApp."


def _store(app: Flask, platform: str) -> int:
    with app.app_context(), db.transaction() as session:
        store = Store(platform=platform, domain=f"{platform}.example", name="Linen & Co",
                      country="PT")
        session.add(store)
        session.flush()
        return store.id


def _deliver(app: Flask, store_id: int, source: str, topic: str, body: bytes,
             key: str) -> None:
    with app.app_context():
        recorded = record_event(source=source, dedupe_key=key, topic=topic, body=body,
                                store_id=store_id)
        assert recorded.new and recorded.event_id is not None
        process_event(recorded.event_id)


def _log(app: Flask) -> list[tuple[str | None, str, bool, str, str]]:
    with app.app_context():
        session = db.session()
        return [(session.get(Customer, e.customer_id).phone_e164, e.purpose, e.granted,
                 e.source, e.text_shown)
                for e in session.scalars(select(ConsentEntry).order_by(ConsentEntry.id))]


def test_the_checkout_box_of_a_cart_event_is_logged_once(app: Flask) -> None:
    store_id = _store(app, "woocommerce")
    cart = (DATA / "cart_updated.json").read_bytes()
    _deliver(app, store_id, "woocommerce", "cart.updated", cart, "cart-1")
    # The plugin sends the cart again as the shopper types: the same state is no change.
    _deliver(app, store_id, "woocommerce", "checkout.updated", cart, "cart-2")
    assert _log(app) == [("+351912345678", "marketing", True, "woocommerce_cart", BOX)]
    with app.app_context():
        entry = db.session().scalars(select(ConsentEntry)).one()
        assert entry.created_at is not None and entry.store_id == store_id
    # Unticked later: an opt-out, logged with the same wording.
    refused = json.loads(cart)
    refused["consent"]["marketing"] = False
    _deliver(app, store_id, "woocommerce", "cart.updated", json.dumps(refused).encode(),
             "cart-3")
    assert _log(app)[-1] == ("+351912345678", "marketing", False, "woocommerce_cart", BOX)


def _order_with_consent(answer: str) -> dict[str, Any]:
    # The real WooCommerce order (REST v3), with the meta our companion plugin adds.
    [order] = json.loads(shared_fixture("woocommerce", "airbyte", "orders.json").read_bytes())
    order["billing"]["phone"] = "+351 912 345 678"
    order["meta_data"] = [{"id": 1, "key": "_storechat_marketing_consent", "value": answer},
                          {"id": 2, "key": "_storechat_consent_text", "value": BOX}]
    return order


def test_the_checkout_box_stored_on_a_new_order_is_logged(app: Flask) -> None:
    store_id = _store(app, "woocommerce")
    order = _order_with_consent("yes")
    _deliver(app, store_id, "woocommerce", "order.created", json.dumps(order).encode(), "o-1")
    assert _log(app) == [("+351912345678", "marketing", True, "woocommerce_checkout", BOX)]
    # Later order updates repeat checkout-time meta: they must not undo a STOP since.
    with app.app_context(), db.transaction() as session:
        customer = session.scalars(select(Customer)).one()
        session.add(ConsentEntry(store_id=store_id, customer_id=customer.id,
                                 purpose="marketing", granted=False, source="whatsapp_stop",
                                 text_shown="STOP"))
    order["status"] = "completed"
    _deliver(app, store_id, "woocommerce", "order.updated", json.dumps(order).encode(), "o-2")
    assert [e[2] for e in _log(app)] == [True, False]


def test_shopifys_sms_consent_topic_is_logged_apart_from_whatsapp(app: Flask) -> None:
    store_id = _store(app, "shopify")
    recorded = shared_fixture("shopify", "trigger-dev", "CustomersMarketingConsentUpdate.json")
    _deliver(app, store_id, "shopify", "customers_marketing_consent/update",
             recorded.read_bytes(), "s-1")
    with app.app_context():
        [entry] = db.session().scalars(select(ConsentEntry)).all()
        customer = db.session().get(Customer, entry.customer_id)
        assert customer.platform_id == "706405506930370000"
        assert (entry.purpose, entry.granted, entry.source) == (
            "sms_marketing", False, "shopify_sms")
    body = {"id": 7221945827331, "phone": "+351912345678", "sms_marketing_consent": {
        "state": "subscribed", "opt_in_level": "single_opt_in",
        "consent_updated_at": "2025-10-01T10:00:00Z", "consent_collected_from": "SHOPIFY"}}
    _deliver(app, store_id, "shopify", "customers_marketing_consent/update",
             json.dumps(body).encode(), "s-2")
    with app.app_context():
        entry = db.session().scalars(select(ConsentEntry).order_by(ConsentEntry.id.desc())
                                     ).first()
        assert (entry.purpose, entry.granted, entry.source) == (
            "sms_marketing", True, "shopify_sms")
        assert entry.text_shown == "SMS marketing consent in Shopify (single opt in)"
        assert entry.created_at == datetime(2025, 10, 1, 10, 0, 0)
        assert db.session().get(Customer, entry.customer_id).phone_e164 == "+351912345678"
