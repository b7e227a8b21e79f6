"""A template written in the app, end to end, against the fake Graph API on loopback: created
through the owner's HTTP routes, submitted to the WABA, approved by Meta's signed status
webhook, chosen in a journey, and sent for an order, the Graph request checked field by
field. And a rejected template, fixed and resubmitted."""
from __future__ import annotations

import html
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Automation, Order, Owner, Store, Template, WhatsAppAccount
from plugin.platforms.starters import install_starters
from tests.conftest import create_owner, csrf_token, make_app, sign_in
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from webhooks.signatures import hmac_sha256_base64

PNID, WABA, TOKEN = "106540352242922", "102290129340398", "EAAGtemplates0123456789abcdef"
APP_SECRET = "meta-app-secret"
SHOPIFY_SECRET = "shpss_templates_secret_0123456789abcdef"
SHOP = "linen.myshopify.com"
PUBLIC_URL = "https://chat.example.com"
ORDER_ID = 820982911946154508


class Owned:
    """An owner signed in, with a Shopify store whose number is on the fake Graph."""

    def __init__(self, app: Flask, graph: FakeGraph) -> None:
        self.app, self.graph = app, graph
        self.client: FlaskClient = app.test_client()
        create_owner(app, "owner@example.com")
        sign_in(self.client, "owner@example.com")
        with app.app_context(), db.transaction() as session:
            owner_id = session.scalars(select(Owner.id)).one()
            store = Store(platform="shopify", domain=SHOP, name="Linen & Co", locale="es",
                          country="ES", owner_id=owner_id)
            session.add(store)
            session.flush()
            install_starters(session, store)
            session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PNID, waba_id=WABA,
                                        access_token=TOKEN))
            self.store_id = store.id
        self.meta = app.test_client()  # Meta's own deliveries carry no owner session

    def post_form(self, path: str, form: dict[str, str], page: str | None = None) -> Any:
        data = dict(form, csrf_token=csrf_token(self.client, page or path))
        return self.client.post(path, data=data)

    def template(self, name: str, language: str) -> Template:
        with self.app.app_context():
            return db.session().scalars(select(Template).where(
                Template.name == name, Template.language == language)).one()

    def meta_says(self, name: str, language: str, event: str, reason: str = "NONE",
                  why: str = "") -> None:
        """Meta's review result arrives as its signed template status webhook."""
        http = httpx.Client(transport=httpx.WSGITransport(app=self.app),
                            base_url="http://storechat.test")
        status = self.graph.send_template_status("http://storechat.test/webhooks/whatsapp",
                                                 APP_SECRET, WABA, name, language, event,
                                                 reason, why, http=http)
        assert status == 200

    def shopify(self, topic: str, payload: dict[str, Any]) -> None:
        self.app.extensions["storechat.limiter"].storage.reset()  # the 6 s spacing passed
        body = json.dumps(payload).encode()
        response = self.meta.post("/webhooks/shopify", data=body, headers={
            "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": uuid.uuid4().hex, "X-Shopify-API-Version": "2025-10",
            "X-Shopify-Event-Id": uuid.uuid4().hex,
            "X-Shopify-Hmac-Sha256": hmac_sha256_base64(SHOPIFY_SECRET.encode(), body),
            "Content-Type": "application/json"})
        assert response.status_code == 200


@pytest.fixture
def owned(tmp_path: Path) -> Iterator[Owned]:
    graph = FakeGraph(tokens={PNID: TOKEN})
    graph.add_waba(WABA, TOKEN, PNID)
    with LoopbackServer(graph) as server:
        app = make_app(tmp_path / "instance", whatsapp_graph_url=server.url,
                       whatsapp_app_secret=APP_SECRET, shopify_api_key="key",
                       shopify_api_secret=SHOPIFY_SECRET, public_url=PUBLIC_URL)
        audit = app.extensions["storechat.jobs"]
        audit["audit_message"] = lambda *args, **kwargs: None  # no store admin API here
        yield Owned(app, graph)
        app.extensions["storechat.engine"].dispose()


SHIPPED = {
    "name": "pedido_enviado", "language": "es", "category": "UTILITY", "style": "NAMED",
    "header_kind": "none",
    "body": "Hola {{first_name}}, tu pedido {{order_number}} ya va en camino con "
            "{{carrier}}. ¡Gracias por tu compra!",
    "sample_first_name": "Lucía", "sample_order_number": "#1001", "sample_carrier": "Correos",
    "footer": "Linen & Co",
    "button_1_kind": "url", "button_1_text": "Seguir mi pedido",
    "button_1_url": PUBLIC_URL + "/t/{{1}}", "button_1_url_sample": "q8Zr3kLmN2",
    "action": "submit",
}


def _order(**changes: Any) -> dict[str, Any]:
    order = {"id": ORDER_ID, "order_number": 1001, "name": "#1001", "currency": "EUR",
             "total_price": "59.90", "financial_status": "paid", "fulfillment_status": None,
             "payment_gateway_names": ["shopify_payments"], "customer_locale": "es",
             "customer": {"id": 7, "first_name": "Lucía", "last_name": "Gómez",
                          "phone": "+34 612 345 678"},
             "line_items": [{"title": "Camisa de lino", "quantity": 1, "price": "59.90"}],
             "order_status_url": "https://linen.myshopify.com/1/orders/abc"}
    order.update(changes)
    return order


def test_a_template_written_here_is_approved_chosen_in_a_journey_and_sent(owned: Owned) -> None:
    store = owned.store_id
    # 1. Written and submitted through the owner's pages.
    response = owned.post_form(f"/stores/{store}/templates/new", SHIPPED)
    assert response.status_code == 303, response.get_data(as_text=True)
    at_meta = owned.graph.template(WABA, "pedido_enviado", "es")
    assert at_meta["status"] == "PENDING" and at_meta["category"] == "UTILITY"
    [body] = [c for c in at_meta["components"] if c["type"] == "BODY"]
    assert body["example"] == {"body_text_named_params": [
        {"param_name": "first_name", "example": "Lucía"},
        {"param_name": "order_number", "example": "#1001"},
        {"param_name": "carrier", "example": "Correos"}]}
    row = owned.template("pedido_enviado", "es")
    assert (row.status, row.meta_id, row.source, row.parameter_format) == (
        "PENDING", at_meta["id"], "app", "NAMED")
    listing = html.unescape(owned.client.get(f"/stores/{store}/templates").get_data(True))
    assert "pedido_enviado" in listing and "In review" in listing

    # 2. Meta approves it: the signed webhook moves the row.
    owned.meta_says("pedido_enviado", "es", "APPROVED")
    assert owned.template("pedido_enviado", "es").status == "APPROVED"

    # 3. Chosen in the shipping journey's editor (only approved, Spanish templates offered).
    editor = f"/stores/{store}/automations/order_shipped"
    page = owned.client.get(editor).get_data(as_text=True)
    assert 'value="pedido_enviado"' in page
    saved = owned.post_form(editor, {
        "template": "pedido_enviado", "language": "es", "var_1": "first_name",
        "var_2": "order_number", "var_3": "carrier", "delay": "0", "delay_unit": "minutes",
        "enabled": "1"})
    assert saved.status_code == 303, saved.get_data(as_text=True)
    with owned.app.app_context():
        journey = db.session().scalars(select(Automation).where(
            Automation.journey == "order_shipped")).one()
        assert (journey.template, journey.language, journey.variables) == (
            "pedido_enviado", "es", ["first_name", "order_number", "carrier"])

    # 4. The order ships: the journey sends the new template.
    owned.shopify("orders/create", _order())
    owned.shopify("fulfillments/create", {
        "id": 4400, "order_id": ORDER_ID, "name": "#1001.1", "status": "success",
        "shipment_status": None, "tracking_company": "Correos", "tracking_number": "PQ123ES",
        "tracking_url": "https://correos.es/track?n=PQ123ES", "line_items": []})
    [sent] = [s for s in owned.graph.sent if s.payload.get("type") == "template"
              and s.payload["template"]["name"] == "pedido_enviado"]
    with owned.app.app_context():
        token = db.session().scalars(select(Order)).one().snapshot["tracking_token"]
    assert sent.phone_number_id == PNID
    payload = sent.payload
    assert (payload["messaging_product"], payload["to"], payload["type"]) == (
        "whatsapp", "34612345678", "template")
    assert payload["template"]["language"] == {"code": "es"}
    assert payload["template"]["components"] == [
        {"type": "body", "parameters": [
            {"type": "text", "text": "Lucía", "parameter_name": "first_name"},
            {"type": "text", "text": "#1001", "parameter_name": "order_number"},
            {"type": "text", "text": "Correos", "parameter_name": "carrier"}]},
        {"type": "button", "sub_type": "url", "index": "0",
         "parameters": [{"type": "text", "text": token}]},
    ]
    assert payload["biz_opaque_callback_data"].startswith("storechat:")


FIX_ME = {"name": "aviso_entrega", "language": "es", "category": "UTILITY",
          "style": "POSITIONAL", "header_kind": "none",
          "body": "Hola {{1}}, tu pedido {{2}} llega hoy.", "sample_1": "Ana",
          "sample_2": "#1001", "action": "submit"}


def test_a_rejected_template_is_fixed_and_resubmitted(owned: Owned) -> None:
    store = owned.store_id
    assert owned.post_form(f"/stores/{store}/templates/new", FIX_ME).status_code == 303
    owned.meta_says("aviso_entrega", "es", "REJECTED", "INVALID_FORMAT",
                    "The body does not say who is writing.")
    row = owned.template("aviso_entrega", "es")
    assert row.status == "REJECTED"
    assert row.reason == "INVALID_FORMAT: The body does not say who is writing."
    listing = html.unescape(owned.client.get(f"/stores/{store}/templates").get_data(True))
    assert "The body does not say who is writing." in listing and "Fix and resubmit" in listing
    edit = f"/stores/{store}/templates/{row.id}"
    page = html.unescape(owned.client.get(edit).get_data(as_text=True))
    assert "WhatsApp rejected this template" in page and "readonly" in page

    fixed = dict(FIX_ME, body="Hola {{1}}, soy Linen & Co: tu pedido {{2}} llega hoy.",
                 name="renamed_attempt")  # the name stays: Meta keys it by name+language
    response = owned.post_form(edit, fixed)
    assert response.status_code == 303, response.get_data(as_text=True)
    [(template_id, change)] = owned.graph.edits
    assert template_id == row.meta_id
    assert change["components"][0]["text"] == fixed["body"]
    row = owned.template("aviso_entrega", "es")
    assert (row.status, row.reason, row.meta_id) == ("PENDING", None, template_id)
    assert owned.graph.template(WABA, "aviso_entrega", "es")["status"] == "PENDING"
    owned.meta_says("aviso_entrega", "es", "APPROVED")
    assert owned.template("aviso_entrega", "es").status == "APPROVED"


def test_what_meta_refuses_is_shown_on_its_field_and_nothing_is_saved(owned: Owned) -> None:
    owned.graph.add_template(WABA, "pedido_enviado", "es")  # written in WhatsApp Manager
    response = owned.post_form(f"/stores/{owned.store_id}/templates/new", SHIPPED)
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert 'id="error-name"' in page
    assert "Content in this language already exists" in page.split('id="error-name"')[1][:300]
    with owned.app.app_context():
        assert db.session().scalars(select(Template)).all() == []


def test_a_refused_token_saves_nothing_and_says_so(owned: Owned) -> None:
    with owned.app.app_context(), db.transaction() as session:
        account = session.scalars(select(WhatsAppAccount)).one()
        account.access_token = "EAAGrevoked000000000000000000"
    response = owned.post_form(f"/stores/{owned.store_id}/templates/new", SHIPPED)
    assert response.status_code == 400
    assert "refused the access token" in html.unescape(response.get_data(as_text=True))
    with owned.app.app_context():
        assert db.session().scalars(select(Template)).all() == []
