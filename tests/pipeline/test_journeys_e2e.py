"""Every journey end to end, on Shopify and on WooCommerce: a signed store webhook goes in,
the Graph API request comes out (to the fake Graph on loopback), checked field by field."""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from plugin.domain.starter_templates import definitions
from plugin.infra import db
from plugin.models import Message, Order, Store, Template, WhatsAppAccount
from plugin.pipeline.send import send_message
from plugin.platforms.starters import install_starters
from plugin.platforms.stores import set_credentials
from tests.conftest import make_app
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.worlds.analytics import rolled_up
from webhooks.signatures import hmac_sha256_base64

PUBLIC_URL = "https://chat.example.com"
SHOPIFY_SECRET = "shpss_journeys_secret_0123456789abcdef"
SHOP = "acme.myshopify.com"
WOO_WEBHOOK, WOO_SECRET = "21", "wc-journeys-secret"
NUMBERS = {"shopify": ("111000111", "EAAG-shop"), "woocommerce": ("222000222", "EAAG-woo")}
NBSP = "\u00a0"


class _NoAudit:
    """Stands in for the audit job: the audit trail (a tag or note at the store) has its own
    tests (test_audit.py), and these stores have no admin API to reach."""

    def __init__(self) -> None:
        self.message_ids: list[int] = []

    def __call__(self, message_id: int) -> None:
        self.message_ids.append(message_id)

    def schedule(self, args: tuple[int], delay: float) -> None:
        self.message_ids.append(args[0])


class World:
    """StoreChat with a Shopify and a WooCommerce store, each with its own WhatsApp number
    on the fake Graph API."""

    def __init__(self, app: Flask, graph: FakeGraph) -> None:
        self.app, self.graph = app, graph
        self.client = app.test_client()
        self.ticks = count(1)
        jobs = app.extensions["storechat.jobs"]
        if "audit_message" in jobs:
            jobs["audit_message"] = _NoAudit()
        with app.app_context(), db.transaction() as session:
            shop = Store(platform="shopify", domain=SHOP, name="Acme", locale="en")
            woo = Store(platform="woocommerce", domain="https://woo.example.com", locale="en")
            set_credentials(woo, {"webhooks": {WOO_WEBHOOK: WOO_SECRET},
                                  "connection_secret": "c"})
            session.add_all([shop, woo])
            session.flush()
            self.woo_key = woo.key
            for store in (shop, woo):
                install_starters(session, store)
                number, token = NUMBERS[store.platform]
                session.add(WhatsAppAccount(store_id=store.id, phone_number_id=number,
                                            waba_id="1", access_token=token))
                # The WABA's templates, synced and approved, in every language.
                for d in definitions(PUBLIC_URL):
                    session.add(Template(store_id=store.id, name=d.name, language=d.language,
                                         category=d.category, status="APPROVED",
                                         components=d.create_request()["components"]))

    def _reset_spacing(self) -> None:
        # Simulated time: the 6 s spacing between two messages to one shopper has passed.
        self.app.extensions["storechat.limiter"].storage.reset()

    def shopify(self, topic: str, payload: dict[str, Any], event_id: str | None = None) -> None:
        self._reset_spacing()
        body = json.dumps(payload).encode()
        response = self.client.post("/webhooks/shopify", data=body, headers={
            "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": uuid.uuid4().hex, "X-Shopify-API-Version": "2025-10",
            "X-Shopify-Event-Id": event_id or uuid.uuid4().hex,
            "X-Shopify-Hmac-Sha256": hmac_sha256_base64(SHOPIFY_SECRET.encode(), body),
            "Content-Type": "application/json"})
        assert response.status_code == 200

    def woo(self, topic: str, payload: dict[str, Any], modified: str | None = None) -> None:
        self._reset_spacing()
        stamp = modified or f"2026-11-20T10:{next(self.ticks):02d}:00"
        payload = dict(payload, date_modified_gmt=stamp)
        body = json.dumps(payload).encode()
        response = self.client.post(f"/webhooks/woocommerce/{self.woo_key}", data=body, headers={
            "X-WC-Webhook-Source": "https://woo.example.com/", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": topic.split(".")[1],
            "X-WC-Webhook-Signature": hmac_sha256_base64(WOO_SECRET.encode(), body),
            "X-WC-Webhook-ID": WOO_WEBHOOK, "X-WC-Webhook-Delivery-ID": "1",
            "Content-Type": "application/json"})
        assert response.status_code == 200

    def sent(self, platform: str) -> list[dict[str, Any]]:
        number = NUMBERS[platform][0]
        return [s.payload for s in self.graph.sent if s.phone_number_id == number]

    def messages(self) -> list[Message]:
        with self.app.app_context():
            return list(db.session().scalars(select(Message).order_by(Message.id)))

    def order(self, platform_id: str) -> Order:
        with self.app.app_context():
            return db.session().scalars(select(Order).where(
                Order.platform_id == platform_id)).one()

    def send_due_now(self, step: str) -> Message:
        """Time passes until a delayed message is due; the send job runs."""
        self._reset_spacing()
        with self.app.app_context():
            db.session().execute(update(Message).where(Message.step == step)
                                 .values(not_before=None))
            db.session().commit()
            message_id = db.session().scalars(select(Message.id).where(
                Message.step == step)).one()
            send_message(message_id)
            return db.session().get(Message, message_id)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    graph = FakeGraph(tokens=dict(NUMBERS.values()))
    with LoopbackServer(graph) as server:
        app = make_app(tmp_path / "instance", whatsapp_graph_url=server.url,
                       shopify_api_key="key", shopify_api_secret=SHOPIFY_SECRET,
                       public_url=PUBLIC_URL, allow_http_stores=True)
        yield World(app, graph)
        app.extensions["storechat.engine"].dispose()


def _template(payload: dict[str, Any]) -> tuple[str, str, list[str], list[dict[str, Any]]]:
    """(name, language code, body parameter texts, button components) of a sent template."""
    template = payload["template"]
    components = template["components"]
    body = [p["text"] for c in components if c["type"] == "body" for p in c["parameters"]]
    return (template["name"], template["language"]["code"], body,
            [c for c in components if c["type"] == "button"])


def _url_button(token: str) -> dict[str, Any]:
    return {"type": "button", "sub_type": "url", "index": "0",
            "parameters": [{"type": "text", "text": token}]}


# Shopify -------------------------------------------------------------------------------------

SHOPIFY_ORDER_ID = 820982911946154508


def _shopify_order(**changes: Any) -> dict[str, Any]:
    order = {
        "id": SHOPIFY_ORDER_ID, "order_number": 1001, "name": "#1001", "currency": "EUR",
        "total_price": "1299.50", "financial_status": "paid", "fulfillment_status": None,
        "payment_gateway_names": ["shopify_payments"], "customer_locale": "es",
        "customer": {"id": 115310627314723954, "first_name": "Lucía", "last_name": "Gómez",
                     "phone": "+34 612 345 678"},
        "line_items": [{"title": "Taza azul", "quantity": 2, "price": "400.00"},
                       {"title": "Té verde", "quantity": 1, "price": "99.50"},
                       {"title": "Tetera", "quantity": 1, "price": "400.00"}],
        "order_status_url": "https://acme.myshopify.com/1/orders/abc/authenticate?key=k",
    }
    order.update(changes)
    return order


def _fulfillment(shipment_status: str | None, **changes: Any) -> dict[str, Any]:
    body = {"id": 4400, "order_id": SHOPIFY_ORDER_ID, "name": "#1001.1", "status": "success",
            "shipment_status": shipment_status, "tracking_company": "Correos",
            "tracking_number": "PQ123ES", "tracking_url": "https://correos.es/track?n=PQ123ES",
            "line_items": []}
    body.update(changes)
    return body


def test_shopify_order_journey_end_to_end(world: World) -> None:
    world.shopify("orders/create", _shopify_order())
    world.shopify("fulfillments/create", _fulfillment(None))
    world.shopify("fulfillments/update", _fulfillment("out_for_delivery"))
    world.shopify("fulfillments/update", _fulfillment("delivered"))
    world.shopify("refunds/create", {"id": 9, "order_id": SHOPIFY_ORDER_ID, "transactions": [
        {"kind": "refund", "status": "success", "amount": "99.50", "currency": "EUR"}]})
    world.shopify("orders/cancelled", _shopify_order(cancelled_at="2026-11-22T10:00:00Z"))

    sent = world.sent("shopify")
    token = world.order(str(SHOPIFY_ORDER_ID)).snapshot["tracking_token"]
    assert [_template(p) for p in sent] == [
        ("order_confirmation", "es",
         ["Lucía", "#1001", "2× Taza azul, 1× Té verde y 1 más", f"1299,50{NBSP}€"], []),
        ("order_shipped", "es", ["Lucía", "#1001", "Correos", "PQ123ES"], [_url_button(token)]),
        ("out_for_delivery", "es", ["Lucía", "#1001"], [_url_button(token)]),
        ("order_delivered", "es", ["Lucía", "#1001"], []),
        ("order_refunded", "es", ["Lucía", f"99,50{NBSP}€", "#1001"], []),
        ("order_cancelled", "es", ["Lucía", "#1001"], []),
    ]
    messages = world.messages()
    assert [p["to"] for p in sent] == ["34612345678"] * 6
    assert [p["biz_opaque_callback_data"] for p in sent] == [
        f"storechat:{m.id}" for m in messages]
    assert {m.state for m in messages} == {"sent"}
    # The tracking button opens the carrier's page through an opaque token.
    response = world.client.get(f"/t/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://correos.es/track?n=PQ123ES"
    # Counted once, on the last message that carried the button (out for delivery).
    world.client.get(f"/t/{token}")
    with world.app.app_context():
        clicked = {flow: n for (_day, flow, figure, _d), n in
                   rolled_up(db.session(), world.order(str(SHOPIFY_ORDER_ID)).store_id).items()
                   if figure == "clicked"}
    assert clicked == {"journey:out_for_delivery": 1}
    assert world.client.get("/t/" + "x" * 22).status_code == 404
    assert str(SHOPIFY_ORDER_ID) not in token


def test_shopify_duplicates_and_late_events_send_nothing_more(world: World) -> None:
    world.shopify("orders/create", _shopify_order(), event_id="e1")
    world.shopify("orders/create", _shopify_order(), event_id="e2")  # redelivered, new id
    world.shopify("orders/updated", _shopify_order(note="gift wrap"))  # not a status change
    # Delivered arrives before shipped: delivered only.
    world.shopify("fulfillments/update", _fulfillment("delivered"))
    world.shopify("fulfillments/create", _fulfillment(None))
    world.shopify("fulfillments/update", _fulfillment("out_for_delivery"))
    world.shopify("orders/updated", _shopify_order(fulfillment_status="fulfilled", fulfillments=[
        _fulfillment("delivered")]))
    world.shopify("orders/fulfilled", _shopify_order(fulfillment_status="fulfilled"))
    assert [p["template"]["name"] for p in world.sent("shopify")] == [
        "order_confirmation", "order_delivered"]


def test_shopify_cod_confirmation_asks_with_quick_replies(world: World) -> None:
    world.shopify("orders/create", _shopify_order(
        financial_status="pending", payment_gateway_names=["Cash on Delivery (COD)"],
        customer_locale="en-US"))
    [payload] = world.sent("shopify")
    name, language, body, buttons = _template(payload)
    assert (name, language, body) == ("cod_confirmation", "en", ["Lucía", "#1001", "€1,299.50"])
    assert buttons == [
        {"type": "button", "sub_type": "quick_reply", "index": "0",
         "parameters": [{"type": "payload",
                         "payload": f"storechat:cod:confirm:{SHOPIFY_ORDER_ID}"}]},
        {"type": "button", "sub_type": "quick_reply", "index": "1",
         "parameters": [{"type": "payload",
                         "payload": f"storechat:cod:cancel:{SHOPIFY_ORDER_ID}"}]}]
    assert world.order(str(SHOPIFY_ORDER_ID)).cod_state == "asked"


def test_shopify_delivery_failed(world: World) -> None:
    world.shopify("orders/create", _shopify_order(customer_locale="hi"))
    world.shopify("fulfillments/update", _fulfillment("failure"))
    token = world.order(str(SHOPIFY_ORDER_ID)).snapshot["tracking_token"]
    assert _template(world.sent("shopify")[-1]) == (
        "delivery_failed", "hi", ["Lucía", "#1001", "Correos"], [_url_button(token)])


def test_shopify_payment_reminder_waits_and_sends_only_if_still_unpaid(world: World) -> None:
    world.shopify("orders/create", _shopify_order(
        financial_status="pending", payment_gateway_names=["Bank Deposit"]))
    assert [p["template"]["name"] for p in world.sent("shopify")] == ["order_confirmation"]
    reminder = world.send_due_now("payment_reminder")
    assert reminder.state == "sent"
    assert _template(world.sent("shopify")[-1]) == (
        "payment_reminder", "es",
        ["Lucía", "#1001", f"1299,50{NBSP}€",
         "https://acme.myshopify.com/1/orders/abc/authenticate?key=k"], [])


def test_shopify_payment_reminder_is_skipped_once_paid(world: World) -> None:
    world.shopify("orders/create", _shopify_order(
        financial_status="pending", payment_gateway_names=["Bank Deposit"]))
    world.shopify("orders/paid", _shopify_order(financial_status="paid"))
    reminder = world.send_due_now("payment_reminder")
    assert reminder.state == "skipped"
    assert "no longer awaits payment" in reminder.reason
    assert len(world.sent("shopify")) == 1


# WooCommerce ---------------------------------------------------------------------------------

def _woo_order(status: str, order_id: int = 727, **changes: Any) -> dict[str, Any]:
    order = {
        "id": order_id, "number": str(order_id), "status": status, "currency": "BRL",
        "total": "89.90", "payment_method": "pagseguro", "customer_id": 5,
        "date_paid": None if status in ("pending", "on-hold") else "2026-11-20T10:00:00",
        "payment_url": f"https://woo.example.com/checkout/order-pay/{order_id}/?key=wc_k",
        "billing": {"first_name": "João", "phone": "11 91234-5678", "country": "BR"},
        "line_items": [{"name": "Camiseta", "quantity": 1, "price": 89.9}],
        "meta_data": [{"id": 1, "key": "_storechat_locale", "value": "pt_BR"}],
    }
    order.update(changes)
    return order


def _with_meta(order: dict[str, Any], **meta: Any) -> dict[str, Any]:
    entries = order["meta_data"] + [{"id": 10 + n, "key": k, "value": v}
                                    for n, (k, v) in enumerate(meta.items())]
    return dict(order, meta_data=entries)


SHIPMENT = [{"tracking_provider": "correios", "custom_tracking_provider": "Correios",
             "tracking_number": "BR123456789BR",
             "custom_tracking_link": "https://rastreamento.correios.com.br/?o=BR123456789BR"}]


def test_woocommerce_order_journey_end_to_end(world: World) -> None:
    shipped = _with_meta(_woo_order("completed"), _wc_shipment_tracking_items=SHIPMENT)
    world.woo("order.created", _woo_order("processing"))
    world.woo("order.updated", shipped)
    world.woo("order.updated", _with_meta(shipped, shipment_status=[
        {"status": "in_transit"}, {"status": "out_for_delivery"}]))
    world.woo("order.updated", _with_meta(shipped, shipment_status=[{"status": "failure"}]))
    world.woo("order.updated", dict(_with_meta(shipped, shipment_status=[
        {"status": "failure"}]), status="delivered"))
    world.woo("order.updated", _woo_order("refunded"))
    world.woo("order.updated", _woo_order("cancelled", order_id=728))  # first seen cancelled

    token = world.order("727").snapshot["tracking_token"]
    money = f"R${NBSP}89,90"
    assert [_template(p) for p in world.sent("woocommerce")] == [
        ("order_confirmation", "pt_BR", ["João", "#727", "1× Camiseta", money], []),
        ("order_shipped", "pt_BR", ["João", "#727", "Correios", "BR123456789BR"],
         [_url_button(token)]),
        ("out_for_delivery", "pt_BR", ["João", "#727"], [_url_button(token)]),
        ("delivery_failed", "pt_BR", ["João", "#727", "Correios"], [_url_button(token)]),
        ("order_delivered", "pt_BR", ["João", "#727"], []),
        ("order_refunded", "pt_BR", ["João", money, "#727"], []),
        ("order_cancelled", "pt_BR", ["João", "#728"], []),
    ]
    assert {p["to"] for p in world.sent("woocommerce")} == {"5511912345678"}
    response = world.client.get(f"/t/{token}")
    assert response.headers["Location"] == "https://rastreamento.correios.com.br/?o=BR123456789BR"


def test_woocommerce_merged_duplicate_and_caught_up_updates(world: World) -> None:
    created = _woo_order("processing")
    world.woo("order.created", created, modified="2026-11-20T10:00:00")
    world.woo("order.updated", created, modified="2026-11-20T10:00:00")  # the same state
    world.woo("order.updated", created, modified="2026-11-20T10:05:00")  # a note was added
    # Shipped and delivered merged into one update: delivered only.
    world.woo("order.updated", _with_meta(
        _woo_order("completed"), _wc_shipment_tracking_items=SHIPMENT,
        shipment_status=[{"status": "delivered"}]))
    world.woo("order.updated", _with_meta(_woo_order("completed"),
                                          _wc_shipment_tracking_items=SHIPMENT))
    # A missed order.created, caught up by a later update: confirmed once.
    world.woo("order.updated", _woo_order("processing", order_id=800))
    world.woo("order.updated", _woo_order("processing", order_id=800))
    assert [(p["template"]["name"], p["template"]["components"][0]["parameters"][1]["text"])
            for p in world.sent("woocommerce")] == [
        ("order_confirmation", "#727"), ("order_delivered", "#727"),
        ("order_confirmation", "#800")]


def test_woocommerce_cod_on_hold_is_asked_to_confirm(world: World) -> None:
    world.woo("order.created", _woo_order("on-hold", payment_method="cod", meta_data=[
        {"id": 1, "key": "wpml_language", "value": "id"}]))
    [payload] = world.sent("woocommerce")
    name, language, body, buttons = _template(payload)
    assert (name, language, body) == ("cod_confirmation", "id", ["João", "#727", "R$89,90"])
    assert [b["parameters"][0]["payload"] for b in buttons] == [
        "storechat:cod:confirm:727", "storechat:cod:cancel:727"]
    assert world.order("727").cod_state == "asked"


def test_woocommerce_payment_reminder(world: World) -> None:
    world.woo("order.created", _woo_order("pending", meta_data=[]))
    reminder = world.send_due_now("payment_reminder")
    assert reminder.state == "sent"
    assert _template(world.sent("woocommerce")[-1]) == (
        "payment_reminder", "en",
        ["João", "#727", "R$89.90", "https://woo.example.com/checkout/order-pay/727/?key=wc_k"],
        [])
    world.woo("order.created", _woo_order("pending", order_id=900))
    world.woo("order.updated", _woo_order("processing", order_id=900))
    with world.app.app_context():
        db.session().execute(update(Message).where(Message.step == "payment_reminder",
                                                   Message.state == "sent")
                             .values(step="payment_reminder_done"))
        db.session().commit()
    skipped = world.send_due_now("payment_reminder")
    assert skipped.state == "skipped"
