"""Tenancy: one owner (or shop) never reads, changes or learns of another's store.

The routes come from the app's URL map, so a new admin route is covered the day it lands.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.auth import roles
from plugin.auth.roles import Role
from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import (
    Automation,
    Campaign,
    Checkout,
    Customer,
    Message,
    Order,
    RecoveryStep,
    StepState,
    Store,
    Template,
)
from plugin.pipeline.inbound import record_event
from tests.conftest import create_owner, csrf_token, make_app, sign_in
from tests.worlds.team import add_member

# Endpoints anyone may call: they authenticate by other means (signatures, one-time
# tokens), are the way in, serve the storefront widget (public by design: script, public
# config, click beacons, opt-in form; tested in test_widget_endpoints.py; the product page's
# "Notify me" form, tested in its own tests), or describe the public API (its OpenAPI
# document and error codes; no store data). The auth blueprint's Team pages (auth.owners*)
# are admin pages and are walked.
PUBLIC = re.compile(r"^(static|health\..*|auth\.(?!owners).*|webhooks_.*|widget\..*"
                    r"|tracking_link\..*|notify_me\..*|api_v1\.(openapi|problems))$")
B_NUMBER = "7777777"
B_NAME = "Bartholomew"
API_KEY = "test-api-key"
# Shopify app secrets are 32+ bytes; shorter ones make PyJWT warn (warnings are errors here).
API_SECRET = "shpss_test_secret_0123456789abcdef"
OLD_SECRET = "shpss_old_secret_0123456789abcdefg"


def _order(store_id: int, order_id: str, number: str, name: str) -> None:
    customer = dict(demo_store.DEMO_CUSTOMER, first_name=name)
    body = {"id": order_id, "number": number, "status": "placed", "currency": "EUR",
            "total": "9.99", "customer": customer}
    record_event(source="demo", dedupe_key=f"{store_id}:{order_id}", topic="orders/create",
                 body=json.dumps(body).encode(), store_id=store_id)


def _recovered_cart(store_id: int) -> dict[str, int]:
    """A cart of the store, recovered by an order, and its first step: the cart recovery
    pages and the demo's cart buttons must not reach them for another owner."""
    with db.transaction() as session:
        now = db.utcnow()
        checkout = Checkout(store_id=store_id, platform_id="cart-b", first_name=B_NAME,
                            phone_e164="+35191" + B_NUMBER, items=[{"title": B_NAME}],
                            item_count=1, total="9.99", currency="EUR", activity_at=now,
                            completed_at=now, recovered_at=now, recovered_total="9.99",
                            recovered_currency="EUR", recovered_step=1)
        session.add(checkout)
        session.flush()
        step = RecoveryStep(checkout_id=checkout.id, step=1, due_at=now,
                            state=StepState.SCHEDULED.value)
        session.add(step)
        session.flush()
        return {"checkout_id": checkout.id, "step_id": step.id}


def _admin_rules(app: Flask) -> list:  # type: ignore[type-arg]
    return [r for r in app.url_map.iter_rules() if not PUBLIC.match(r.endpoint)]


class World:
    """Two owners, A and B, each with a demo store holding an order and a message."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.a = create_owner(app, "a@example.com")
        self.b = create_owner(app, "b@example.com")
        with app.app_context():
            with db.transaction() as session:
                store_a = demo_store.get_or_create(session, self.a)
                store_b = demo_store.get_or_create(session, self.b)
            self.store_a, self.store_b, self.key_b = store_a.id, store_b.id, store_b.key
            _order(store_a.id, "a-1", "1001", "Alice")
            _order(store_b.id, "b-1", B_NUMBER, B_NAME)
            self.cart_b = _recovered_cart(store_b.id)
            with db.transaction() as session:
                # B's campaign, named after B: its pages and API must not reach A.
                session.add(Campaign(store_id=store_b.id, name=B_NAME, template="b_sale",
                                     language="en"))
            session = db.session()
            self.order_b = session.scalars(
                select(Order.id).where(Order.store_id == self.store_b)).one()
            self.message_b = session.scalars(
                select(Message.id).where(Message.store_id == self.store_b)).one()
            self.rows_b = {name: session.scalars(select(model.id).where(
                model.store_id == self.store_b).order_by(model.id)).first()
                for name, model in (("customer_id", Customer), ("automation_id", Automation),
                                    ("template_id", Template), ("campaign_id", Campaign))}

    def ids_for(self, argument: str) -> object:
        """What to put in a URL argument to aim at B's data."""
        return {"store_id": self.store_b, "order_id": self.order_b,
                "message_id": self.message_b, "store_key": self.key_b,
                "action": "pay", **self.cart_b, **self.rows_b}.get(argument, self.store_b)

    def markers(self) -> list[str]:
        """Strings that appear only in B's data."""
        return [B_NUMBER, B_NAME, "b@example.com", self.key_b]


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)


def _call(client: FlaskClient, method: str, url: str, csrf: str | None):  # type: ignore[no-untyped-def]
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": csrf} if csrf else {})


def test_every_admin_route_hides_another_owners_data(app: Flask, world: World) -> None:
    client = app.test_client()
    assert sign_in(client, "a@example.com").status_code == 302
    csrf = csrf_token(client, "/")
    checked = 0
    for rule in _admin_rules(app):
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{arg: world.ids_for(arg) for arg in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = _call(client, method, url, csrf)
            body = response.get_data(as_text=True)
            if rule.arguments:
                assert response.status_code in (403, 404), (method, url, response.status_code)
            else:
                assert response.status_code < 500, (method, url)
            for marker in world.markers():
                assert marker not in body, (method, url, marker)
            checked += 1
    assert checked >= 8  # the walk really walked
    with app.app_context():
        order_b = db.session().get(Order, world.order_b)
        assert order_b.status == "placed"  # A's POSTs did not move B's order


def test_no_admin_route_answers_anonymous_callers(app: Flask, world: World) -> None:
    client = app.test_client()
    for rule in _admin_rules(app):
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{arg: world.ids_for(arg) for arg in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = _call(client, method, url, None)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/signin")
            else:
                assert response.status_code == 401, (method, url, response.status_code)
            for marker in world.markers():
                assert marker not in response.get_data(as_text=True)


def test_each_owner_sees_their_own_store(app: Flask, world: World) -> None:
    client = app.test_client()
    sign_in(client, "b@example.com")
    stores = client.get("/api/stores", follow_redirects=True).json["data"]
    assert [s["id"] for s in stores] == [world.store_b]
    orders = client.get(f"/api/stores/{world.store_b}/orders", follow_redirects=True).json["data"]
    assert [o["number"] for o in orders] == [B_NUMBER]


# --- Shopify owners: App Bridge ID tokens -------------------------------------------------


@pytest.fixture
def shopify_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path / "instance", shopify_api_key=API_KEY,
                   shopify_api_secret=API_SECRET, shopify_old_api_secret=OLD_SECRET)
    yield app
    app.extensions["storechat.engine"].dispose()


def _shop_store(app: Flask, shop: str, number: str) -> int:
    with app.app_context():
        with db.transaction() as session:
            store = Store(platform="shopify", domain=f"{shop}.myshopify.com", name=shop)
            session.add(store)
            session.flush()
            store_id = store.id
        _order(store_id, f"{shop}-1", number, shop.title())
    return store_id


def _id_token(shop: str, secret: str = API_SECRET, expires_in: int = 60,
              aud: str = API_KEY) -> str:
    now = int(time.time())
    claims = {"iss": f"https://{shop}.myshopify.com/admin", "dest": f"https://{shop}.myshopify.com",
              "aud": aud, "sub": "42", "exp": now + expires_in, "nbf": now - 5, "iat": now - 5,
              "jti": str(uuid.uuid4()), "sid": "session-1"}
    return jwt.encode(claims, secret, algorithm="HS256")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_id_token_gets_its_own_shops_data_only(shopify_app: Flask) -> None:
    shop_a = _shop_store(shopify_app, "shop-a", "5001")
    shop_b = _shop_store(shopify_app, "shop-b", "6001")
    client = shopify_app.test_client()
    token = _id_token("shop-a")
    stores = client.get("/api/v1/stores", headers=_bearer(token)).json["data"]
    assert [s["id"] for s in stores] == [shop_a]
    orders = client.get(f"/api/stores/{shop_a}/orders", headers=_bearer(token),
                        follow_redirects=True).json["data"]
    assert [o["number"] for o in orders] == ["5001"]
    other = client.get(f"/api/stores/{shop_b}/orders", headers=_bearer(token))
    assert other.status_code == 404
    assert "6001" not in other.get_data(as_text=True)


def test_a_token_signed_with_the_old_secret_still_works(shopify_app: Flask) -> None:
    shop_a = _shop_store(shopify_app, "shop-a", "5001")
    response = shopify_app.test_client().get(
        "/api/v1/stores", headers=_bearer(_id_token("shop-a", secret=OLD_SECRET)))
    assert [s["id"] for s in response.json["data"]] == [shop_a]


@pytest.mark.parametrize("token", [
    _id_token("shop-a", expires_in=-60),
    _id_token("shop-a", secret="shpss_someone_elses_secret_0123456"),
    _id_token("shop-a", aud="another-app"),
    "not.a.jwt",
])
def test_bad_tokens_get_the_retry_response_and_no_data(shopify_app: Flask, token: str) -> None:
    _shop_store(shopify_app, "shop-a", "5001")
    response = shopify_app.test_client().get("/api/stores", headers=_bearer(token))
    assert response.status_code == 401
    assert response.headers.get("X-Shopify-Retry-Invalid-Session-Request") == "1"
    assert "5001" not in response.get_data(as_text=True)


def test_an_embedded_page_load_without_a_token_bounces(shopify_app: Flask) -> None:
    response = shopify_app.test_client().get("/?embedded=1&shop=shop-a.myshopify.com")
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith("/shopify/patch-id-token")
    bounce = shopify_app.test_client().get(response.headers["Location"])
    assert bounce.status_code == 200
    assert API_KEY in bounce.get_data(as_text=True)  # App Bridge is loaded for this app


def test_an_embedded_page_allows_only_its_shop_to_frame_it(shopify_app: Flask) -> None:
    _shop_store(shopify_app, "shop-a", "5001")
    response = shopify_app.test_client().get(f"/?embedded=1&id_token={_id_token('shop-a')}")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors https://shop-a.myshopify.com https://admin.shopify.com" in policy


def test_a_shop_that_did_not_install_gets_nothing(shopify_app: Flask) -> None:
    _shop_store(shopify_app, "shop-a", "5001")
    response = shopify_app.test_client().get("/api/stores", headers=_bearer(_id_token("shop-z")))
    assert response.status_code == 403


def test_without_shopify_credentials_no_token_is_accepted(app: Flask) -> None:
    _shop_store(app, "shop-a", "5001")
    response = app.test_client().get("/api/stores", headers=_bearer(_id_token("shop-a")))
    assert response.status_code == 401


@pytest.mark.parametrize("valid", [True, False], ids=["valid-token", "bad-token"])
def test_a_deeply_nested_body_beside_an_id_token_is_never_a_500(shopify_app: Flask,
                                                               valid: bool) -> None:
    """shopifyapp parses the request body for its log: a body too deep to parse must not
    turn an ID-token check into a crash. It is answered like any other body."""
    shop_a = _shop_store(shopify_app, "shop-a", "5001")
    headers = _bearer(_id_token("shop-a") if valid else "not.a.jwt")
    client = shopify_app.test_client()
    path = f"/stores/{shop_a}/automations"
    plain = client.post(path, data=b"{}", headers=headers, content_type="application/json")
    nested = client.post(path, data=b"[" * 100_000, headers=headers,
                         content_type="application/json")
    assert plain.status_code < 500
    assert nested.status_code == plain.status_code


# --- Team members: agents and admins of store A -------------------------------------------


def _own_ids(app: Flask, store_id: int) -> dict[str, object]:
    """URL arguments aimed at A's own rows (a row A lacks gets an id of nothing: 404)."""
    with app.app_context():
        session = db.session()
        found: dict[str, object] = {"store_id": store_id, "action": "pay"}
        for name, model in (("order_id", Order), ("message_id", Message),
                            ("customer_id", Customer), ("automation_id", Automation),
                            ("template_id", Template)):
            found[name] = session.scalars(select(model.id).where(
                model.store_id == store_id).order_by(model.id)).first() or 999_999
    return found


# Shopify's App Home takes only an App Bridge ID token, never an account's session.
ID_TOKEN_ONLY = frozenset({"shopify_home.app_home"})


def _member_client(app: Flask, email: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client, csrf_token(client, "/")


@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMIN])
def test_every_admin_route_is_allowed_or_403_for_a_member_of_the_store(
        app: Flask, world: World, role: Role) -> None:
    """A member walks every admin route on their own store: a route their role reaches
    answers (never 403, never a 500); one above it answers 403, whatever the method."""
    email = f"{role.name.lower()}@example.com"
    add_member(app, world.store_a, email, role.name.lower())
    client, csrf = _member_client(app, email)
    ids = _own_ids(app, world.store_a)
    refused, allowed = set(), set()
    for rule in _admin_rules(app):
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{arg: ids.get(arg, world.store_a)
                                                for arg in rule.arguments})
            minimum = roles.required(rule.endpoint)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = _call(client, method, url, csrf)
            assert response.status_code < 500, (method, url)
            if rule.endpoint in ID_TOKEN_ONLY:
                assert response.status_code == 401, (method, url)
            elif minimum > role:
                assert response.status_code == 403, (method, url, response.status_code)
                refused.add(rule.endpoint)
            else:
                assert response.status_code != 403, (method, url)
                allowed.add(rule.endpoint)
    # The walk reached what each role is for, and refused what it is not.
    assert {"customers_admin.page", "customer_page.show", "admin.index",
            "api_v1.list_customers"} <= allowed
    owner_only = {"team_admin.page", "team_admin.invite", "api_tokens.page",
                  "whatsapp_admin.page", "whatsapp_admin.disconnect",
                  "settings_admin.connection", "woocommerce.disconnect", "demo.start"}
    assert owner_only <= refused
    admin_pages = {"journeys_admin.index", "templates_admin.index", "catalog_admin.index",
                   "widget_designer.page", "recovery_admin.page", "api_v1.list_automations"}
    assert admin_pages <= (refused if role is Role.AGENT else allowed)


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_a_member_of_one_store_gets_nothing_of_another(app: Flask, world: World,
                                                       role: str) -> None:
    """Aimed at B's store and rows, every route answers 403 or 404 to A's member, and no
    reply holds B's data; B's order did not move."""
    add_member(app, world.store_a, f"{role}@example.com", role)
    client, csrf = _member_client(app, f"{role}@example.com")
    for rule in _admin_rules(app):
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{arg: world.ids_for(arg) for arg in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = _call(client, method, url, csrf)
            body = response.get_data(as_text=True)
            if "store_id" in rule.arguments:
                assert response.status_code == 404, (method, url, response.status_code)
            elif rule.arguments:
                assert response.status_code in (403, 404), (method, url, response.status_code)
            else:
                assert response.status_code < 500, (method, url)
            for marker in world.markers():
                assert marker not in body, (method, url, marker)
    with app.app_context():
        assert db.session().get(Order, world.order_b).status == "placed"
