"""The Admin GraphQL wrapper against the fake: data, throttling, 429/5xx, errors."""
from __future__ import annotations

import httpx
import pytest
from flask import Flask
from sqlalchemy import select

from adapters.shopify import admin as shopify_admin
from adapters.shopify.admin import AdminClient, QueryError, Throttled, Unavailable
from plugin.infra import db
from plugin.models import Store
from plugin.platforms.shopify import shops
from tests.fakes.shopify import RESTORE_RATE, FakeShopify
from tests.worlds.shopify import SHOP, id_token


@pytest.fixture
def admin(shop_app: Flask) -> tuple[AdminClient, list[float]]:
    """An installed shop's client whose sleeps are recorded instead of slept."""
    response = shop_app.test_client().get(f"/shopify/app?shop={SHOP}&id_token={id_token()}")
    assert response.status_code == 200
    slept: list[float] = []
    with shop_app.app_context():
        store_id = db.session().scalars(select(Store.id).where(Store.domain == SHOP)).one()
    context = shop_app.app_context()
    context.push()
    yield shops.admin_client(store_id, SHOP, sleep=slept.append), slept
    context.pop()


def test_shop_info(admin: tuple[AdminClient, list[float]]) -> None:
    info = admin[0].shop_info()
    assert (info.name, info.domain, info.currency, info.country, info.timezone, info.locale) == (
        "Acme Linen", SHOP, "EUR", "NL", "Europe/Amsterdam", "nl")


def test_order_lookup_and_tags(admin: tuple[AdminClient, list[float]],
                                    fake: tuple[FakeShopify, str]) -> None:
    client, _ = admin
    fake[0].add_order(SHOP, 1001, phone="+31612345678", tags=["vip"])
    order = client.order_by_number("#1001")
    assert order is not None and order.name == "#1001" and order.phone == "+31612345678"
    assert client.order_by_number(999) is None
    assert client.order_by_number("drop table") is None
    client.add_tags(order.id, ["cod-confirmed", "whatsapp"])
    again = client.order_by_number(1001)
    assert again is not None
    assert set(again.tags) == {"vip", "cod-confirmed", "whatsapp"}
    with pytest.raises(QueryError, match="does not exist"):
        client.add_tags("gid://shopify/Order/1", ["x"])


def test_app_metafields_are_written_on_the_installation(
        admin: tuple[AdminClient, list[float]], fake: tuple[FakeShopify, str]) -> None:
    client, _ = admin
    client.set_app_metafields("storechat", {"store_key": "k-123", "widget_url": "https://sc.example"})
    assert fake[0].app_metafields[SHOP][("storechat", "store_key")] == "k-123"
    assert fake[0].app_metafields[SHOP][("storechat", "widget_url")] == "https://sc.example"
    # Shopify refuses a value a one-line text field cannot hold, and nothing is written.
    with pytest.raises(QueryError, match="invalid"):
        client.set_app_metafields("storechat", {"store_key": "two\nlines"})
    assert fake[0].app_metafields[SHOP][("storechat", "store_key")] == "k-123"


def test_a_draft_order_for_known_variants_gives_its_invoice_url(
        admin: tuple[AdminClient, list[float]], fake: tuple[FakeShopify, str]) -> None:
    client, _ = admin
    fake[0].add_variant(SHOP, "44001")
    draft_id, invoice = client.create_draft_order(
        [("44001", 2)], phone="+31612345678", note="From WhatsApp", tags=["whatsapp"])
    [made] = fake[0].draft_orders[SHOP]
    assert (draft_id, invoice) == (made["id"], made["invoiceUrl"])
    assert invoice.startswith("http://127.0.0.1") and draft_id.startswith(
        "gid://shopify/DraftOrder/")
    assert made["lineItems"] == [{"variantId": "gid://shopify/ProductVariant/44001",
                                  "quantity": 2}]
    assert (made["phone"], made["note"], made["tags"]) == ("+31612345678", "From WhatsApp",
                                                          ["whatsapp"])
    with pytest.raises(QueryError, match="could not be found"):
        client.create_draft_order([("99", 1)], phone=None, note="", tags=[])
    assert len(fake[0].draft_orders[SHOP]) == 1


def test_throttled_calls_wait_as_long_as_the_bucket_needs(
        admin: tuple[AdminClient, list[float]], fake: tuple[FakeShopify, str]) -> None:
    client, slept = admin
    fake[0].throttle_next(2)
    calls = fake[0].graphql_calls
    assert client.shop_info().name == "Acme Linen"
    assert fake[0].graphql_calls - calls == 3
    # The fake asks 10 points with 5 available, restoring 100/s: 0.05 s each time.
    assert slept == [pytest.approx((10 - 5) / RESTORE_RATE)] * 2


def test_throttling_that_does_not_stop_gives_up(admin: tuple[AdminClient, list[float]],
                                                fake: tuple[FakeShopify, str]) -> None:
    fake[0].throttle_next(shopify_admin.MAX_RETRIES + 1)
    with pytest.raises(Throttled):
        admin[0].shop_info()
    assert len(admin[1]) == shopify_admin.MAX_RETRIES


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_429_and_5xx_are_retried(admin: tuple[AdminClient, list[float]],
                                 fake: tuple[FakeShopify, str], status: int) -> None:
    fake[0].fail_next(status, retry_after="2.0")
    assert admin[0].shop_info().currency == "EUR"
    expected = 2.0 if status == 429 else shopify_admin.BACKOFF_BASE_SECONDS
    assert admin[1] == [expected]


def test_a_shopify_that_stays_down_raises_unavailable(
        admin: tuple[AdminClient, list[float]], fake: tuple[FakeShopify, str]) -> None:
    for _ in range(shopify_admin.MAX_RETRIES + 1):
        fake[0].fail_next(503)
    with pytest.raises(Unavailable):
        admin[0].shop_info()
    assert admin[1] == [0.5, 1.0, 2.0]


class _Tokens:
    def current(self) -> str:
        return "token"

    def refreshed(self, stale: str) -> str:
        return "token-2"


def test_timeouts_are_retried_then_reported() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    slept: list[float] = []
    client = AdminClient(httpx.Client(transport=httpx.MockTransport(handler)),
                         "https://acme.myshopify.com/admin/api/2025-10/graphql.json",
                         _Tokens(), sleep=slept.append)
    with pytest.raises(Unavailable, match="timing out"):
        client.shop_info()
    assert len(calls) == shopify_admin.MAX_RETRIES + 1


def test_graphql_errors_are_not_retried() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"errors": [{"message": "Field 'nope' doesn't exist"}]})

    client = AdminClient(httpx.Client(transport=httpx.MockTransport(handler)),
                         "https://acme.myshopify.com/admin/api/2025-10/graphql.json", _Tokens(),
                         sleep=lambda _: pytest.fail("must not wait"))
    with pytest.raises(QueryError, match="nope"):
        client.execute("{ nope }")


def test_throttle_wait_reads_extensions_cost() -> None:
    cost = {"cost": {"requestedQueryCost": 202, "throttleStatus": {
        "maximumAvailable": 2000, "currentlyAvailable": 2, "restoreRate": 100}}}
    assert shopify_admin.throttle_wait(cost) == pytest.approx(2.0)
    assert shopify_admin.throttle_wait(None) == 1.0
    assert shopify_admin.throttle_wait({"cost": {"requestedQueryCost": 1, "throttleStatus": {
        "currentlyAvailable": 50, "restoreRate": 50}}}) == 0.0
