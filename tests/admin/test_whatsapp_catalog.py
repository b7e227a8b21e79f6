"""The Catalog panel of the WhatsApp page, against the fake Graph API: a sandbox catalog
without a token, a new or existing catalog connected to the WABA (one per WABA) with the
number's catalog and cart turned on, Meta's refusals in plain words with nothing saved, the
toggles, and the first full sync each connection asks for."""
# ruff: noqa: F811  (the fixtures imported from test_whatsapp are parameters here)
from __future__ import annotations

import html
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import CatalogSync, Store, WhatsAppAccount
from plugin.platforms.whatsapp.number import SANDBOX_CATALOG_PREFIX
from tests.admin.test_whatsapp import (  # noqa: F401  (its fixtures, reused here)
    PNID,
    TOKEN,
    WABA,
    add_store,
    connect,
    fake,
    graph_server,
    owned,
    wa_app,
)
from tests.conftest import create_owner, csrf_token, sign_in
from tests.fakes.graph import FakeGraph

BUSINESS = "5550001112223"


def post(client: FlaskClient, store_id: int, action: str, **data: str) -> Any:
    data["csrf_token"] = csrf_token(client, f"/stores/{store_id}/whatsapp")
    return client.post(f"/stores/{store_id}/whatsapp/{action}", data=data)


def page(client: FlaskClient, store_id: int, query: str = "") -> str:
    response = client.get(f"/stores/{store_id}/whatsapp{query}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def account(app: Flask, store_id: int) -> WhatsAppAccount | None:
    with app.app_context():
        return db.session().scalars(select(WhatsAppAccount).where(
            WhatsAppAccount.store_id == store_id)).first()


def syncs(app: Flask, store_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(s.kind, s.trigger) for s in db.session().scalars(
            select(CatalogSync).where(CatalogSync.store_id == store_id))]


@pytest.fixture
def business(fake: FakeGraph) -> FakeGraph:
    fake.add_business(BUSINESS, TOKEN, WABA)
    return fake


def test_without_a_token_the_store_gets_a_sandbox_catalog(
        wa_app: Flask, owned: tuple[FlaskClient, int], fake: FakeGraph) -> None:
    client, store_id = owned
    body = page(client, store_id)
    assert 'id="catalog-sandbox-offer"' in body
    assert post(client, store_id, "catalog/connect", catalog_id="new").status_code == 303
    row = account(wa_app, store_id)
    assert row is not None and row.access_token is None
    assert row.catalog_id == f"{SANDBOX_CATALOG_PREFIX}{store_id}"
    assert row.catalog_name == "Linen & Co (sandbox)"
    assert (row.catalog_visible, row.cart_enabled) == (True, True)
    assert syncs(wa_app, store_id) == [("full", "connect")]
    body = page(client, store_id)
    assert "Catalog connected: Linen & Co (sandbox)" in body
    assert 'id="catalog-sandbox-note"' in body
    # The row only carries the catalog: the number panel still offers to connect a number.
    assert 'id="connect-form"' in body and 'id="number-details"' not in body
    assert fake.calls == {}  # nothing went to Meta


def test_a_new_catalog_is_created_connected_and_shown_with_its_cart(
        wa_app: Flask, owned: tuple[FlaskClient, int], business: FakeGraph) -> None:
    client, store_id = owned
    connect(client, store_id)
    body = page(client, store_id)
    assert 'id="catalog-open"' in body and business.calls["GET product_catalogs"] == 0
    business.add_catalog(BUSINESS, "Spring range")
    body = page(client, store_id, "?catalog=choose")
    assert "Spring range" in body and "Create a new catalog" in body
    assert post(client, store_id, "catalog/connect", catalog_id="new").status_code == 303
    catalog_id = business.waba_catalog[WABA]
    assert business.catalogs[catalog_id].name == "Linen & Co"
    assert business.commerce[PNID] == {"is_catalog_visible": True, "is_cart_enabled": True}
    row = account(wa_app, store_id)
    assert row is not None and (row.catalog_id, row.catalog_name) == (catalog_id, "Linen & Co")
    assert row.catalog_connected_at is not None
    assert syncs(wa_app, store_id) == [("full", "connect")]
    body = page(client, store_id)
    assert 'id="catalog-details"' in body and catalog_id in body


def test_the_waba_s_own_catalog_is_used_and_another_is_refused(
        wa_app: Flask, owned: tuple[FlaskClient, int], business: FakeGraph) -> None:
    client, store_id = owned
    connect(client, store_id)
    existing = business.add_catalog(BUSINESS, "Already there", WABA)
    other = business.add_catalog(BUSINESS, "Another one")
    body = page(client, store_id, "?catalog=choose")
    assert 'id="catalog-existing"' in body and "Already there" in body
    post(client, store_id, "catalog/connect", catalog_id=other)
    body = page(client, store_id)
    assert "Meta allows one catalog per account" in body
    assert account(wa_app, store_id).catalog_id is None  # type: ignore[union-attr]
    assert syncs(wa_app, store_id) == []
    post(client, store_id, "catalog/connect", catalog_id=existing)
    assert account(wa_app, store_id).catalog_id == existing  # type: ignore[union-attr]


def test_meta_s_refusal_is_shown_and_nothing_is_saved(
        wa_app: Flask, owned: tuple[FlaskClient, int], business: FakeGraph) -> None:
    client, store_id = owned
    connect(client, store_id)
    csrf = csrf_token(client, f"/stores/{store_id}/whatsapp")
    business.fail_next(200, 403, "(#200) Requires catalog_management permission")
    client.post(f"/stores/{store_id}/whatsapp/catalog/connect",
                data={"catalog_id": "new", "csrf_token": csrf})
    body = page(client, store_id)
    assert "give its system user the catalog_management permission" in body
    assert account(wa_app, store_id).catalog_id is None  # type: ignore[union-attr]
    # An invalid token flags the number, so the page asks for a new one.
    business.fail_next(190, 401, "Error validating access token")
    client.post(f"/stores/{store_id}/whatsapp/catalog/connect",
                data={"catalog_id": "new", "csrf_token": csrf})
    assert account(wa_app, store_id).needs_reauth  # type: ignore[union-attr]
    assert "WhatsApp no longer accepts this number's access token" in page(client, store_id)


def test_the_toggles_set_the_number_s_commerce_settings(
        wa_app: Flask, owned: tuple[FlaskClient, int], business: FakeGraph) -> None:
    client, store_id = owned
    connect(client, store_id)
    post(client, store_id, "catalog/connect", catalog_id="new")
    post(client, store_id, "catalog/settings", catalog_visible="on")
    assert business.commerce[PNID] == {"is_catalog_visible": True, "is_cart_enabled": False}
    row = account(wa_app, store_id)
    assert (row.catalog_visible, row.cart_enabled) == (True, False)  # type: ignore[union-attr]
    assert "Catalog shown on WhatsApp; cart off." in page(client, store_id)


def test_connecting_a_number_forgets_the_sandbox_catalog(
        wa_app: Flask, owned: tuple[FlaskClient, int], business: FakeGraph) -> None:
    client, store_id = owned
    post(client, store_id, "catalog/connect", catalog_id="new")
    connect(client, store_id)
    row = account(wa_app, store_id)
    assert row is not None and row.phone_number_id == PNID and row.catalog_id is None
    assert 'id="catalog-open"' in page(client, store_id)


def test_the_forms_need_csrf_and_the_caller_s_own_store(
        wa_app: Flask, owned: tuple[FlaskClient, int], fake: FakeGraph) -> None:
    client, store_id = owned
    refused = client.post(f"/stores/{store_id}/whatsapp/catalog/connect",
                          data={"catalog_id": "new"})
    assert refused.status_code == 400 and account(wa_app, store_id) is None
    create_owner(wa_app, "other@example.com")
    theirs = add_store(wa_app, "other@example.com", domain="their.example")
    stranger = wa_app.test_client()
    sign_in(stranger, "other@example.com")
    csrf = csrf_token(stranger, f"/stores/{theirs}/whatsapp")
    answer = stranger.post(f"/stores/{store_id}/whatsapp/catalog/connect",
                           data={"catalog_id": "new", "csrf_token": csrf})
    assert answer.status_code == 404 and account(wa_app, store_id) is None
    with wa_app.app_context():
        assert db.session().get(Store, store_id) is not None


def test_two_stores_never_sync_into_one_catalog(
        wa_app: Flask, owned: tuple[FlaskClient, int], business: FakeGraph) -> None:
    client, store_id = owned
    second_number = "106540352242999"
    business.add_waba(WABA, TOKEN, second_number)  # another number on the same WABA
    second = add_store(wa_app, "owner@example.com", domain="second.example")
    connect(client, store_id)
    connect(client, second, phone_number_id=second_number)
    post(client, store_id, "catalog/connect", catalog_id="new")
    shared = business.waba_catalog[WABA]
    post(client, second, "catalog/connect", catalog_id=shared)
    assert "Another StoreChat store already syncs into this catalog" in page(client, second)
    assert account(wa_app, second).catalog_id is None  # type: ignore[union-attr]
    assert syncs(wa_app, second) == []


def test_a_throttled_choice_says_so_in_plain_words(
        wa_app: Flask, owned: tuple[FlaskClient, int], business: FakeGraph) -> None:
    client, store_id = owned
    connect(client, store_id)
    business.throttle_next(80014, minutes=2)
    body = page(client, store_id, "?catalog=choose")
    assert "Meta did not list your catalogs: Meta is limiting how fast" in body
    assert 'id="catalog-connect"' not in body
    assert 'id="catalog-connect"' in page(client, store_id, "?catalog=choose")
