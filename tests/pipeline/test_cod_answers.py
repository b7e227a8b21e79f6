"""The COD round trip through the fakes: a signed Confirm/Cancel tap comes in from Meta, the
order is tagged, noted, confirmed or cancelled at the fake store, and a thank-you goes out to
the fake Graph API. Orders waiting for an answer are made directly in the database (the COD
journey that asks is not what these tests are about)."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from plugin.infra import db
from plugin.models import Automation, Customer, Message, Order, Store, WhatsAppAccount
from tests.conftest import make_app, shared_fixture
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.fakes.shopify import FakeShopify
from tests.worlds import shopify as shopify_world
from tests.worlds.shopify import SHOP, id_token
from tests.worlds.woocommerce import PUBLIC_URL, connect

APP_SECRET = "meta-app-secret"
NUMBER = "106540352242922"
TOKEN = "EAAG-test-token"
SHOPPER = "31612345678"  # Ana's wa_id; the fake WooCommerce's billing phone is 06 12345678 (NL)
STRANGER = "34600111222"


# --- the world -------------------------------------------------------------------------

@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    """The fake Cloud API on loopback; yields (fake, base URL)."""
    cloud = FakeGraph(tokens={NUMBER: TOKEN})
    with LoopbackServer(cloud) as server:
        yield cloud, server.url


def whatsapp_settings(graph_url: str) -> dict[str, Any]:
    """Settings that let Meta's webhooks in and send through the fake Graph API."""
    return {"whatsapp_app_secret": APP_SECRET, "whatsapp_verify_token": "verify-me",
            "whatsapp_graph_url": graph_url}


def connect_number(app: Flask, store_id: int) -> None:
    """Give the store its WhatsApp number (with a token: sends go to the fake Graph API)."""
    with app.app_context(), db.transaction() as session:
        session.add(WhatsAppAccount(store_id=store_id, phone_number_id=NUMBER, waba_id="WABA1",
                                    access_token=TOKEN))


def set_on_cancel(app: Flask, store_id: int, choice: str) -> None:
    """The owner's choice for cancelled COD orders, on the cod_confirmation automation."""
    with app.app_context(), db.transaction() as session:
        row = session.scalars(select(Automation).where(
            Automation.store_id == store_id, Automation.journey == "cod_confirmation")).first()
        if row is None:  # stores may or may not start with the starter automations
            row = Automation(store_id=store_id, journey="cod_confirmation",
                             trigger="order_placed", template="cod_confirmation",
                             language="en", variables=[], conditions={})
            session.add(row)
        row.conditions = {**row.conditions, "on_cancel": choice}


def ask(app: Flask, store_id: int, order_id: str) -> None:
    """The COD confirmation went out: the order waits for an answer."""
    with app.app_context(), db.transaction() as session:
        session.execute(update(Order).where(Order.store_id == store_id,
                                            Order.platform_id == order_id)
                        .values(cod_state="asked"))


def button_body(payload: str, wa_id: str = SHOPPER, wamid: str | None = None,
                interactive: bool = False) -> bytes:
    """Meta's recorded quick-reply (or reply-button) delivery, re-addressed to our number."""
    recorded = json.loads(shared_fixture("whatsapp", "pywa", "updates",
                                         "callback_button.json").read_text())
    data = recorded["button" if interactive else "quick_reply"]
    value = data["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = NUMBER
    value["contacts"][0].update(wa_id=wa_id, user_id=f"US.{wa_id}")
    message = value["messages"][0]
    message.update({"from": wa_id, "id": wamid or f"wamid.{uuid.uuid4().hex}",
                    "timestamp": str(int(time.time()))})
    if interactive:
        message["interactive"]["button_reply"] = {"id": payload, "title": "Confirm"}
    else:
        message["button"] = {"payload": payload, "text": "Confirm"}
    return json.dumps(data).encode()


def tap(app: Flask, payload: str, **options: Any) -> bytes:
    """POST a signed button tap to /webhooks/whatsapp, as Meta does; returns the body."""
    body = options.pop("body", None) or button_body(payload, **options)
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = app.test_client().post("/webhooks/whatsapp", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})
    assert response.status_code == 200, response.get_data(as_text=True)
    return body


def run_scheduled(app: Flask) -> int:
    """Run the jobs the queue put off (retries with backoff) as if their time had come."""
    huey = app.extensions["storechat.huey"]
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=2)
    ran = 0
    for _ in range(20):
        tasks = huey.read_schedule(later)
        if not tasks:
            return ran
        for task in tasks:
            huey.execute(task, timestamp=later)
            ran += 1
    raise AssertionError("the queue kept rescheduling")


def cod_state(app: Flask, store_id: int, order_id: str) -> str | None:
    with app.app_context():
        return db.session().scalars(select(Order.cod_state).where(
            Order.store_id == store_id, Order.platform_id == order_id)).one()


def replies(app: Flask) -> list[Message]:
    """The COD thank-you rows in the outbox."""
    with app.app_context():
        return list(db.session().scalars(select(Message).where(
            Message.step.in_(("cod_confirmed_reply", "cod_cancelled_reply")))
            .order_by(Message.id)))


def texts(cloud: FakeGraph) -> list[tuple[str, str]]:
    """(to, body) of every free-form text the fake Graph API accepted."""
    return [(s.payload["to"], s.payload["text"]["body"]) for s in cloud.sent
            if s.payload.get("type") == "text"]


# --- Shopify ---------------------------------------------------------------------------

@dataclass
class ShopWorld:
    app: Flask
    shopify: FakeShopify
    cloud: FakeGraph
    store_id: int
    order_id: str  # the REST id StoreChat knows the order by


@pytest.fixture
def shop(tmp_path: Path, fake: tuple[FakeShopify, str],
         graph: tuple[FakeGraph, str]) -> Iterator[ShopWorld]:
    """An installed Shopify store with a number, and a COD order #1001 waiting for Ana."""
    shopify, shopify_url = fake
    app = make_app(tmp_path / "instance", shopify_api_key=shopify_world.API_KEY,
                   shopify_api_secret=shopify_world.API_SECRET,
                   shopify_old_api_secret=shopify_world.OLD_SECRET,
                   shopify_admin_url=f"{shopify_url}/{{shop}}", public_url=PUBLIC_URL,
                   **whatsapp_settings(graph[1]))
    assert app.test_client().get(f"/shopify/app?shop={SHOP}&id_token={id_token()}"
                                 ).status_code == 200
    remote = shopify.add_order(SHOP, 1001, phone=f"+{SHOPPER}")
    order_id = remote.id.rsplit("/", 1)[1]
    with app.app_context(), db.transaction() as session:
        store = session.scalars(select(Store).where(Store.domain == SHOP)).one()
        store.locale = "nl"
        ana = Customer(store_id=store.id, platform_id="207119551", phone_e164=f"+{SHOPPER}",
                       first_name="Ana", locale="es-ES", tags=[])
        session.add(ana)
        session.flush()
        session.add(Order(store_id=store.id, platform_id=order_id, number="1001",
                          customer_id=ana.id, status="placed", currency="EUR", total="54.80",
                          payment_gateway="Cash on Delivery (COD)", snapshot={},
                          cod_state="asked"))
        store_id = store.id
    connect_number(app, store_id)
    yield ShopWorld(app, shopify, graph[0], store_id, order_id)
    app.extensions["storechat.engine"].dispose()
    app.extensions["storechat.shopify_http"].close()


def shop_order(world: ShopWorld) -> Any:
    [order] = world.shopify.orders[SHOP]
    return order


def test_shopify_confirm_tags_the_order_and_thanks_the_shopper(shop: ShopWorld) -> None:
    tap(shop.app, f"storechat:cod:confirm:{shop.order_id}")
    assert cod_state(shop.app, shop.store_id, shop.order_id) == "confirmed"
    order = shop_order(shop)
    assert "storechat-cod-confirmed" in order.tags
    assert order.cancelled_at is None
    # Ana's locale is es-ES: the thank-you is in Spanish, free-form, to her number.
    [(to, body)] = texts(shop.cloud)
    assert to == SHOPPER
    assert body.startswith("¡Gracias! Tu pedido #1001 está confirmado.")
    [reply] = replies(shop.app)
    assert (reply.state, reply.cause, reply.template) == ("sent", f"order:{shop.order_id}", None)
    assert reply.payload["recipient_type"] == "individual"
    # The audit trail noted the sent thank-you on the order too.
    assert "storechat-cod-confirmed-reply" in order.tags and reply.audited_at is not None
    with shop.app.app_context():
        assert db.session().scalars(select(Order.cod_applied_at)).one() is not None


def test_an_interactive_reply_button_works_as_well(shop: ShopWorld) -> None:
    tap(shop.app, f"storechat:cod:confirm:{shop.order_id}", interactive=True)
    assert cod_state(shop.app, shop.store_id, shop.order_id) == "confirmed"
    assert "storechat-cod-confirmed" in shop_order(shop).tags


def test_shopify_cancel_only_tags_by_default(shop: ShopWorld) -> None:
    tap(shop.app, f"storechat:cod:cancel:{shop.order_id}")
    order = shop_order(shop)
    assert cod_state(shop.app, shop.store_id, shop.order_id) == "cancelled"
    assert "storechat-cod-cancelled" in order.tags
    assert order.cancelled_at is None
    assert [name for name, _ in shop.shopify.mutations].count("orderCancel") == 0
    [(_, body)] = texts(shop.cloud)
    assert "#1001" in body and "cancelado" in body


def test_shopify_cancel_cancels_when_the_owner_chose_so(shop: ShopWorld) -> None:
    set_on_cancel(shop.app, shop.store_id, "cancel")
    tap(shop.app, f"storechat:cod:cancel:{shop.order_id}")
    order = shop_order(shop)
    assert order.cancelled_at is not None and order.cancel_reason == "CUSTOMER"
    assert "storechat-cod-cancelled" in order.tags
    [variables] = [v for name, v in shop.shopify.mutations if name == "orderCancel"]
    assert variables["orderId"] == f"gid://shopify/Order/{shop.order_id}"
    assert variables["refundMethod"] == {"originalPaymentMethodsRefund": False}
    assert (variables["restock"], variables["notifyCustomer"]) == (True, False)
    assert "WhatsApp" in variables["staffNote"]
    assert len(texts(shop.cloud)) == 1


def test_a_repeated_tap_and_a_redelivery_do_nothing_more(shop: ShopWorld) -> None:
    set_on_cancel(shop.app, shop.store_id, "cancel")
    body = tap(shop.app, f"storechat:cod:confirm:{shop.order_id}")
    calls = shop.shopify.graphql_calls
    tap(shop.app, "", body=body)  # Meta redelivers the same notification
    tap(shop.app, f"storechat:cod:confirm:{shop.order_id}")  # Ana taps again
    tap(shop.app, f"storechat:cod:cancel:{shop.order_id}")  # and changes her mind: too late
    assert cod_state(shop.app, shop.store_id, shop.order_id) == "confirmed"
    assert shop.shopify.graphql_calls == calls
    assert shop_order(shop).cancelled_at is None
    assert len(texts(shop.cloud)) == 1 and len(replies(shop.app)) == 1


def test_a_tap_from_another_number_does_nothing(shop: ShopWorld) -> None:
    calls = shop.shopify.graphql_calls
    tap(shop.app, f"storechat:cod:cancel:{shop.order_id}", wa_id=STRANGER)
    assert cod_state(shop.app, shop.store_id, shop.order_id) == "asked"
    assert shop.shopify.graphql_calls == calls
    assert texts(shop.cloud) == [] and replies(shop.app) == []
    # Ana can still answer.
    tap(shop.app, f"storechat:cod:confirm:{shop.order_id}")
    assert cod_state(shop.app, shop.store_id, shop.order_id) == "confirmed"


def test_a_tap_for_an_order_never_asked_or_unknown_does_nothing(shop: ShopWorld) -> None:
    with shop.app.app_context(), db.transaction() as session:
        session.execute(update(Order).values(cod_state=None))
    tap(shop.app, f"storechat:cod:confirm:{shop.order_id}")
    tap(shop.app, "storechat:cod:confirm:999999")
    assert cod_state(shop.app, shop.store_id, shop.order_id) is None
    assert texts(shop.cloud) == [] and shop_order(shop).tags == []


def test_a_shopify_5xx_is_retried_and_ends_done(shop: ShopWorld) -> None:
    shop.shopify.fail_next(503)
    tap(shop.app, f"storechat:cod:confirm:{shop.order_id}")
    assert "storechat-cod-confirmed" in shop_order(shop).tags
    assert len(texts(shop.cloud)) == 1


def test_an_answer_whose_job_was_lost_reaches_the_store_through_the_sweeper(
        shop: ShopWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from plugin.infra import queue
    from plugin.pipeline import cod_answers, sweep

    real_enqueue = queue.enqueue
    lost: list[int] = []

    def losing(job: str, row_id: int, delay: float = 0) -> bool:
        if job == "cod_answer":  # the worker died with it, or the queue was down
            lost.append(row_id)
            return True
        return real_enqueue(job, row_id, delay)

    monkeypatch.setattr(queue, "enqueue", losing)
    tap(shop.app, f"storechat:cod:confirm:{shop.order_id}")
    assert lost and shop_order(shop).tags == ["storechat-cod-confirmed-reply"]
    monkeypatch.setattr(queue, "enqueue", real_enqueue)

    with shop.app.app_context():
        # Within the grace period the job may still be on its way: nothing is re-sent.
        assert cod_answers.enqueue_unapplied(db.utcnow(), db.utcnow() - timedelta(minutes=2)) == 0
        with db.transaction() as session:
            session.execute(update(Order).values(
                updated_at=db.utcnow() - timedelta(minutes=10)))
        sweep.sweep()
        applied = db.session().scalars(select(Order.cod_applied_at)).one()
        # Carried over once; a later sweep finds nothing left to do.
        assert cod_answers.enqueue_unapplied(db.utcnow(), db.utcnow()) == 0
    assert "storechat-cod-confirmed" in shop_order(shop).tags
    assert applied is not None


def test_a_shopify_that_keeps_throttling_is_retried_by_the_queue(shop: ShopWorld) -> None:
    # Enough to exhaust the client's own retries, for the audit of the reply and for the
    # answer: both jobs are put off by the queue, and both end done.
    for _ in range(8):
        shop.shopify.fail_next(429, retry_after="0")
    tap(shop.app, f"storechat:cod:confirm:{shop.order_id}")
    assert cod_state(shop.app, shop.store_id, shop.order_id) == "confirmed"  # never lost
    assert shop_order(shop).tags == []
    assert len(texts(shop.cloud)) == 1  # the shopper is thanked all the same
    assert run_scheduled(shop.app) == 2
    assert shop_order(shop).tags == ["storechat-cod-confirmed", "storechat-cod-confirmed-reply"]
    [reply] = replies(shop.app)
    assert reply.audited_at is not None


# --- WooCommerce -----------------------------------------------------------------------

@pytest.fixture
def woo_app(tmp_path: Path, graph: tuple[FakeGraph, str]) -> Iterator[Flask]:
    """StoreChat for WooCommerce (http loopback stores allowed) that also hears Meta."""
    app = make_app(tmp_path / "instance", allow_http_stores=True, public_url=PUBLIC_URL,
                   **whatsapp_settings(graph[1]))
    yield app
    app.extensions["storechat.engine"].dispose()


@dataclass
class WooWorld:
    app: Flask
    site: Any
    cloud: FakeGraph
    store_id: int
    order_id: str

    def notes(self) -> list[dict[str, Any]]:
        return self.site.notes.get(int(self.order_id), [])

    def private_notes(self, marker: str) -> list[str]:
        return [n["note"] for n in self.notes() if marker in n["note"]
                and n["customer_note"] is False]


@pytest.fixture
def woo(woo_app: Flask, site: Any, owner_client: Any,
        graph: tuple[FakeGraph, str]) -> WooWorld:
    """A connected WooCommerce store with a number, and a COD order on hold for Ana."""
    assert connect(owner_client, site).status_code in (200, 302)
    remote = site.add_order(status="on-hold")  # order.created reaches StoreChat
    with woo_app.app_context():
        store_id = db.session().scalars(select(Store.id).where(
            Store.platform == "woocommerce")).one()
    order_id = str(remote["id"])
    ask(woo_app, store_id, order_id)
    connect_number(woo_app, store_id)
    return WooWorld(woo_app, site, graph[0], store_id, order_id)


def test_woocommerce_confirm_notes_and_releases_the_order(woo: WooWorld) -> None:
    deliveries = len(woo.site.deliveries)
    tap(woo.app, f"storechat:cod:confirm:{woo.order_id}")
    assert cod_state(woo.app, woo.store_id, woo.order_id) == "confirmed"
    assert woo.site.orders[int(woo.order_id)]["status"] == "processing"
    [note] = woo.private_notes("[storechat-cod-confirmed]")
    assert "confirmed this cash-on-delivery order" in note
    assert "Order status changed from On hold to Processing." in [n["note"] for n in woo.notes()]
    # The store told StoreChat about the change, like a real store does.
    [updated] = [d for d in woo.site.deliveries[deliveries:] if d["topic"] == "order.updated"]
    assert updated["status"] == 200
    [(to, body)] = texts(woo.cloud)
    assert to == SHOPPER and body.startswith(f"Thank you! Your order #{woo.order_id} is confirmed")
    [audit_note] = woo.private_notes("cod_confirmed_reply")
    [reply] = replies(woo.app)
    assert audit_note == (f"StoreChat sent the WhatsApp message \u201ccod_confirmed_reply\u201d "
                          f"to +{SHOPPER} (wamid {reply.wamid}).")


def test_woocommerce_cancel_notes_only_by_default(woo: WooWorld) -> None:
    tap(woo.app, f"storechat:cod:cancel:{woo.order_id}")
    assert woo.site.orders[int(woo.order_id)]["status"] == "on-hold"
    [note] = woo.private_notes("[storechat-cod-cancelled]")
    assert "Cancel it when you are ready" in note
    [(_, body)] = texts(woo.cloud)
    assert "is cancelled and won't be shipped" in body


def test_woocommerce_cancel_cancels_when_the_owner_chose_so(woo: WooWorld) -> None:
    set_on_cancel(woo.app, woo.store_id, "cancel")
    tap(woo.app, f"storechat:cod:cancel:{woo.order_id}")
    assert woo.site.orders[int(woo.order_id)]["status"] == "cancelled"
    [note] = woo.private_notes("[storechat-cod-cancelled]")
    assert "StoreChat cancelled it" in note
    with woo.app.app_context():
        status = db.session().scalars(select(Order.status).where(
            Order.platform_id == woo.order_id)).one()
    assert status != "on-hold"  # the order.updated webhook came back and was applied
    assert len(texts(woo.cloud)) == 1


def test_woocommerce_repeated_taps_do_nothing_more(woo: WooWorld) -> None:
    tap(woo.app, f"storechat:cod:confirm:{woo.order_id}")
    calls = len(woo.site.requests)
    tap(woo.app, f"storechat:cod:confirm:{woo.order_id}")
    tap(woo.app, f"storechat:cod:cancel:{woo.order_id}")
    assert len(woo.site.requests) == calls
    assert len(woo.private_notes("[storechat-cod-")) == 1
    assert woo.site.orders[int(woo.order_id)]["status"] == "processing"
    assert len(texts(woo.cloud)) == 1


def test_woocommerce_tap_from_another_number_does_nothing(woo: WooWorld) -> None:
    calls = len(woo.site.requests)
    tap(woo.app, f"storechat:cod:confirm:{woo.order_id}", wa_id=STRANGER)
    assert cod_state(woo.app, woo.store_id, woo.order_id) == "asked"
    assert len(woo.site.requests) == calls and texts(woo.cloud) == []


def test_a_woocommerce_5xx_is_retried_by_the_queue_and_ends_done(woo: WooWorld) -> None:
    # Four 500s exhaust the client's attempts: once for the audit of the thank-you, once
    # for the answer itself. Both jobs are put off by the queue.
    noted = len(woo.notes())
    woo.site.fail_next(*[500] * 8)
    tap(woo.app, f"storechat:cod:confirm:{woo.order_id}")
    assert cod_state(woo.app, woo.store_id, woo.order_id) == "confirmed"
    assert woo.site.orders[int(woo.order_id)]["status"] == "on-hold"
    assert len(woo.notes()) == noted
    assert len(texts(woo.cloud)) == 1
    assert run_scheduled(woo.app) == 2
    assert woo.site.orders[int(woo.order_id)]["status"] == "processing"
    assert len(woo.private_notes("[storechat-cod-confirmed]")) == 1
    assert len(woo.private_notes("cod_confirmed_reply")) == 1


# --- the demo store ----------------------------------------------------------------------

def test_the_demo_store_records_and_replies_without_a_platform(
        tmp_path: Path, graph: tuple[FakeGraph, str]) -> None:
    from tests.conftest import DemoPlatform, order_payload

    app = make_app(tmp_path / "instance", **whatsapp_settings(graph[1]))
    demo = DemoPlatform(app, app.test_client())
    demo.post("orders/create", order_payload(payment_gateway="cod"))
    ask(app, demo.store_id, "o-1")
    connect_number(app, demo.store_id)
    with app.app_context():
        phone = db.session().scalars(select(Customer.phone_e164)).one()
    tap(app, "storechat:cod:confirm:o-1", wa_id=phone.lstrip("+"))
    assert cod_state(app, demo.store_id, "o-1") == "confirmed"
    [reply] = replies(app)
    assert reply.state == "sent" and reply.audited_at is not None
    assert len(texts(graph[0])) == 1
    app.extensions["storechat.engine"].dispose()
