"""Connecting a store's catalog (plugin.platforms.whatsapp.catalog) against the fake Graph:
a catalog the business owns is connected as chosen, one it does not own is refused with
nothing saved, a store on the installation's default number is sent to connect its own,
and the toggles reach Meta before they are recorded."""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from flask import Flask
from sqlalchemy import select

from adapters.whatsapp.catalog import CatalogApi
from adapters.whatsapp.client import CloudClient
from plugin.domain.errors import CatalogConnectError
from plugin.infra import db
from plugin.models import CatalogSync, Store, WhatsAppAccount
from plugin.platforms.whatsapp import catalog
from tests.conftest import make_app
from tests.fakes.graph import FakeGraph

PNID, WABA, BUSINESS = "106540352242922", "102290129340398", "5550001112223"
TOKEN = "EAAGtesttoken0123456789abcdef"


@pytest.fixture
def fake() -> FakeGraph:
    graph = FakeGraph()
    graph.add_waba(WABA, TOKEN, PNID)
    graph.add_business(BUSINESS, TOKEN, WABA)
    return graph


def api(fake: FakeGraph) -> CatalogApi:
    return CatalogApi(CloudClient(httpx.Client(transport=httpx.WSGITransport(app=fake)),
                                  "http://graph.test", "v23.0"))


def store_with_number(session, token: str | None = TOKEN) -> Store:  # type: ignore[no-untyped-def]
    store = Store(platform="woocommerce", domain="https://shop.example", name="Linen & Co")
    session.add(store)
    session.flush()
    session.add(WhatsAppAccount(store_id=store.id, phone_number_id=PNID, waba_id=WABA,
                                access_token=token))
    session.flush()
    return store


def test_a_business_catalog_is_connected_as_chosen(app: Flask, fake: FakeGraph) -> None:
    chosen = fake.add_catalog(BUSINESS, "Spring range")
    with app.app_context(), db.transaction() as session:
        store = store_with_number(session)
        account = catalog.connect_catalog(session, store, chosen, catalogs=api(fake))
        assert (account.catalog_id, account.catalog_name) == (chosen, "Spring range")
        assert session.scalars(select(CatalogSync.trigger)).all() == ["connect"]
    assert fake.waba_catalog[WABA] == chosen
    assert fake.commerce[PNID] == {"is_catalog_visible": True, "is_cart_enabled": True}


def test_a_catalog_of_another_business_is_refused(app: Flask, fake: FakeGraph) -> None:
    fake.add_business("7770001112223", "EAAG-other-business-token-000")
    theirs = fake.add_catalog("7770001112223", "Theirs")
    with app.app_context(), db.transaction() as session:
        store = store_with_number(session)
        with pytest.raises(CatalogConnectError, match="not one your Meta business owns"):
            catalog.connect_catalog(session, store, theirs, catalogs=api(fake))
        assert session.scalars(select(CatalogSync)).all() == []
    assert WABA not in fake.waba_catalog and fake.calls["POST product_catalogs"] == 0


def test_a_store_on_the_default_number_connects_its_own_first(tmp_path: Path,
                                                              fake: FakeGraph) -> None:
    app = make_app(tmp_path / "instance", whatsapp_access_token=TOKEN,
                   whatsapp_phone_number_id=PNID, whatsapp_waba_id=WABA)
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="https://shop.example", name="Linen")
        session.add(store)
        session.flush()
        with pytest.raises(CatalogConnectError, match="Connect the store's own number"):
            catalog.connect_catalog(session, store, catalogs=api(fake))
    app.extensions["storechat.engine"].dispose()
    assert fake.calls == {}


def test_the_toggles_reach_meta_before_they_are_recorded(app: Flask, fake: FakeGraph) -> None:
    with app.app_context(), db.transaction() as session:
        store = store_with_number(session)
        catalog.connect_catalog(session, store, catalogs=api(fake))
        fake.fail_next(100, 400, "(#100) Invalid parameter")
        with pytest.raises(CatalogConnectError, match="change the number's catalog settings"):
            catalog.set_commerce(session, store, catalog_visible=False, cart_enabled=False,
                                 catalogs=api(fake))
        account = catalog.account_of(session, store)
        assert account is not None and (account.catalog_visible, account.cart_enabled) == (
            True, True)
        catalog.set_commerce(session, store, catalog_visible=False, cart_enabled=True,
                             catalogs=api(fake))
        assert (account.catalog_visible, account.cart_enabled) == (False, True)
    assert fake.commerce[PNID] == {"is_catalog_visible": False, "is_cart_enabled": True}
