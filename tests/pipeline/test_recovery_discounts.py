"""A recovery step that carries a discount, end to end on both platforms: a signed checkout
or cart webhook in, the due step sent with a code made through the fake Shopify's Admin
GraphQL (discountCodeBasicCreate) or the fake WooCommerce site's REST coupons, and never a
second code: not by a second run, not by a retry after a crash that made the code."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from plugin.infra import db
from plugin.models import Automation, ConsentEntry, Customer, Message, RecoveryStep, Store
from plugin.models import Template as TemplateRow
from plugin.pipeline.recovery import send as recovery_send
from plugin.pipeline.recovery import steps as recovery_steps
from plugin.platforms.discounts import discount_code, recovery_discount
from tests.fakes.shopify import FakeShopify
from tests.fakes.woocommerce import FakeWooCommerce
from tests.pipeline.test_recovery_send import components
from tests.worlds.shopify import API_SECRET, SHOP, id_token
from tests.worlds.woocommerce import connect, creds, woo_store
from webhooks.signatures import hmac_sha256_base64

PHONE = "+34612345678"
# The cart's last activity: three days and a bit ago, so its step 3 is due now.
STEP_3_DUE_SINCE = timedelta(days=3, minutes=5)


def _prepare(app: Flask, store_id: int) -> None:
    """Only step 3 (10% off, 48 h) on; its template approved; a shopper who opted in; no
    time zone, so quiet hours never hold the step whatever the hour of the test run."""
    with app.app_context(), db.transaction() as session:
        store = session.get_one(Store, store_id)
        store.timezone = None
        recovery_steps.set_enabled(session, store, True)
        session.execute(update(Automation).where(
            Automation.store_id == store_id,
            Automation.journey.in_(("cart_recovery_1", "cart_recovery_2"))).values(
            enabled=False))
        session.add(TemplateRow(store_id=store_id, name="cart_recovery_3", language="en",
                                category="MARKETING", status="APPROVED",
                                parameter_format="POSITIONAL",
                                components=components(3, image=False)))
        customer = Customer(store_id=store_id, platform_id=f"test:{PHONE}", phone_e164=PHONE,
                            tags=[])
        session.add(customer)
        session.flush()
        session.add(ConsentEntry(store_id=store_id, customer_id=customer.id,
                                 purpose="marketing", granted=True, source="checkout",
                                 text_shown="WhatsApp offers"))


def _since(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def _step_3(app: Flask) -> RecoveryStep:
    with app.app_context():
        row = db.session().scalars(select(RecoveryStep).where(RecoveryStep.step == 3)).one()
        db.session().expunge(row)
        return row


def _sent_code(app: Flask) -> str:
    """The code parameter of the one message sent (the body's fourth parameter)."""
    with app.app_context():
        [message] = db.session().scalars(select(Message))
        body = [c for c in message.payload["template"]["components"] if c["type"] == "body"]
        return str(body[0]["parameters"][3]["text"])


# Shopify ---------------------------------------------------------------------------------------

def _shopify_store(app: Flask) -> int:
    response = app.test_client().get(f"/shopify/app?shop={SHOP}&id_token={id_token()}")
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        return db.session().scalars(select(Store.id).where(Store.domain == SHOP)).one()


def _shopify_checkout(app: Flask) -> None:
    body = json.dumps({
        "id": 4401, "token": "c0ffee", "currency": "EUR", "total_price": "80.00",
        "phone": "+34 612 345 678", "updated_at": _since(STEP_3_DUE_SINCE),
        "customer": {"id": 77, "first_name": "Lucía"},
        "abandoned_checkout_url": f"https://{SHOP}/1/checkouts/c0ffee/recover?key=k",
        "line_items": [{"title": "Linen shirt", "variant_title": "White / M", "quantity": 1,
                        "price": "80.00", "variant_id": 9, "product_id": 8}]}).encode()
    response = app.test_client().post("/webhooks/shopify", data=body, headers={
        "X-Shopify-Topic": "checkouts/create", "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": uuid.uuid4().hex, "X-Shopify-Event-Id": uuid.uuid4().hex,
        "X-Shopify-API-Version": "2025-10", "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": hmac_sha256_base64(API_SECRET.encode(), body)})
    assert response.status_code == 200


def test_shopify_step_3_makes_one_code_through_graphql_and_a_second_run_none(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    _prepare(shop_app, _shopify_store(shop_app))
    _shopify_checkout(shop_app)
    with shop_app.app_context():
        assert recovery_send.enqueue_due() == 1
        step = _step_3(shop_app)
        recovery_send.send_step(step.id)  # the same job once more
        assert recovery_send.enqueue_due() == 0
    assert shopify.discounts.creates == 1
    [(code, created)] = shopify.discounts.codes[SHOP].items()
    assert (step.state, step.discount_code) == ("sent", code)
    assert _sent_code(shop_app) == code
    assert created["customerGets"] == {"value": {"percentage": 0.1}, "items": {"all": True}}
    assert created["usageLimit"] == 1
    ends = datetime.fromisoformat(created["endsAt"])
    assert timedelta(hours=47) < ends - datetime.now(UTC) <= timedelta(hours=48)


def test_shopify_a_retry_after_a_crash_finds_the_code_it_made(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    store_id = _shopify_store(shop_app)
    _prepare(shop_app, store_id)
    _shopify_checkout(shop_app)
    with shop_app.app_context():
        checkout_id = db.session().scalars(select(RecoveryStep.checkout_id)).first()
        store = db.session().get_one(Store, store_id)
        # A first run made the code at the store, then died before its commit.
        made = recovery_discount(store, str(checkout_id), 10,
                                 datetime.now(UTC) + timedelta(hours=48))
        db.session().rollback()
        recovery_send.enqueue_due()
    assert made == discount_code(str(checkout_id))
    assert shopify.discounts.creates == 1
    assert _step_3(shop_app).discount_code == made == _sent_code(shop_app)


# WooCommerce -----------------------------------------------------------------------------------

def _woo_cart(app: Flask) -> None:
    body = json.dumps({
        "cart_token": "woo-cart-1", "phone": "612 345 678", "country": "ES",
        "first_name": "Rui", "currency": "EUR", "total": "59.90",
        "items": [{"name": "Caneca", "quantity": 2, "price": "29.95"}],
        "restore_url": "https://woo.example.com/?storechat_restore=1",
        "updated_at": _since(STEP_3_DUE_SINCE)}).encode()
    store = woo_store(app)
    response = app.test_client().post(f"/webhooks/woocommerce/{store.key}", data=body, headers={
        "X-StoreChat-Topic": "cart.updated", "Content-Type": "application/json",
        "X-StoreChat-Hmac-Sha256": hmac_sha256_base64(
            creds(app)["connection_secret"].encode(), body)})
    assert response.status_code == 200


def test_woocommerce_step_3_makes_one_coupon_through_rest_and_a_second_run_none(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    connect(owner_client, site)
    _prepare(woo_app, woo_store(woo_app).id)
    _woo_cart(woo_app)
    with woo_app.app_context():
        assert recovery_send.enqueue_due() == 1
        step = _step_3(woo_app)
        recovery_send.send_step(step.id)
    assert site.coupon_creates == 1
    [coupon] = site.coupons.values()
    assert step.state == "sent"
    assert step.discount_code and coupon["code"] == step.discount_code.lower()
    assert (coupon["discount_type"], coupon["amount"], coupon["usage_limit"]) == (
        "percent", "10.00", 1)
    assert _sent_code(woo_app) == step.discount_code


def test_woocommerce_failing_three_times_sends_the_step_without_a_code(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    connect(owner_client, site)
    _prepare(woo_app, woo_store(woo_app).id)
    # A template that does not show the code: the step can go without it.
    with woo_app.app_context(), db.transaction() as session:
        session.execute(update(Automation).where(Automation.journey == "cart_recovery_3")
                        .values(variables=["first_name", "first_item", "cart_total"]))
        session.execute(update(TemplateRow).values(components=components(2, image=False)))
    _woo_cart(woo_app)
    reasons: list[str | None] = []
    for _ in range(3):
        site.fail_next(*[500] * 10)  # the site is down for every call of this try
        with woo_app.app_context():
            db.session().execute(update(RecoveryStep).values(
                due_at=db.utcnow() - timedelta(seconds=1)))
            db.session().commit()
            recovery_send.enqueue_due()
        reasons.append(_step_3(woo_app).reason)
    for attempt, reason in enumerate(reasons[:2], start=1):
        assert reason and reason.startswith(
            f"the discount code could not be created yet (try {attempt} of 3): "), reason
    step = _step_3(woo_app)
    assert (step.state, step.discount_code, step.reason) == ("sent", None, None)
    assert site.coupon_creates == 0
