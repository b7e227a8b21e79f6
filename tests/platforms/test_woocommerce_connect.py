"""WC-Auth connect through the fake, the callback's token, the return page, pasted keys."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from plugin.infra import db
from plugin.models import InboundEvent
from tests.conftest import csrf_token
from tests.fakes.woocommerce import FakeWooCommerce
from tests.worlds.woocommerce import PUBLIC_URL, approve, connect, creds, start_connect, woo_store

TOPICS = {"order.created", "order.updated", "order.deleted",
          "product.created", "product.updated", "product.deleted"}


def test_connect_end_to_end_then_first_order(woo_app: Flask, owner_client: FlaskClient,
                                             site: FakeWooCommerce) -> None:
    history = site.add_order(deliver=False)  # placed before StoreChat: not replayed
    started = start_connect(owner_client, site.url + "/")
    assert started["location"].startswith(f"{site.url}/wc-auth/v1/authorize?")
    assert (started["app_name"], started["scope"]) == ("StoreChat", "read_write")
    assert started["callback_url"] == f"{PUBLIC_URL}/woocommerce/callback"
    assert started["return_url"] == f"{PUBLIC_URL}/woocommerce/return"
    approved = approve(started["location"])
    assert site.callbacks == [200] and len(site.keys) == 1
    back = urlsplit(approved.headers["Location"])
    page = owner_client.get(f"{back.path}?{back.query}")
    assert page.status_code == 200 and "is connected" in page.get_data(as_text=True)
    assert "sc1." in page.get_data(as_text=True)  # the companion plugin's connection key

    store = woo_store(woo_app)
    [key] = site.keys.values()
    assert (store.domain, store.status, store.currency, store.timezone, store.name) == (
        site.url, "active", "EUR", "Europe/Amsterdam", "Acme Woo")
    with woo_app.app_context():
        raw = db.session().execute(text("SELECT credentials FROM stores")).scalar_one()
    assert key["consumer_secret"] not in raw and key["consumer_key"] not in raw
    values = creds(woo_app)
    assert values["consumer_key"] == key["consumer_key"]
    assert values["consumer_secret"] == key["consumer_secret"]
    assert values["wc_version"] and values["query_string_auth"] is False
    assert len(values["connection_secret"]) >= 32
    assert values["last_modified_gmt"] == history["date_modified_gmt"]
    # Six webhooks at the store, each with its own secret that StoreChat keeps.
    hooks = site.webhooks
    assert {h["topic"] for h in hooks.values()} == TOPICS
    assert {h["delivery_url"] for h in hooks.values()} == {
        f"{PUBLIC_URL}/webhooks/woocommerce/{store.key}"}
    assert values["webhooks"] == {str(i): h["secret"] for i, h in hooks.items()}
    assert len(set(values["webhooks"].values())) == 6
    assert [d["status"] for d in site.deliveries if d["topic"] == "ping"] == [200] * 6
    # The first order reaches StoreChat signed and is stored.
    site.add_order(status="processing")
    [delivery] = [d for d in site.deliveries if d["topic"] == "order.created"]
    assert delivery["status"] == 200 and b"\\/" in delivery["body"]
    with woo_app.app_context():
        assert db.session().scalar(select(func.count()).select_from(InboundEvent).where(
            InboundEvent.topic == "order.created", InboundEvent.store_id == store.id)) == 1


def test_the_callback_token_works_once(woo_app: Flask, owner_client: FlaskClient,
                                       site: FakeWooCommerce) -> None:
    started = start_connect(owner_client, site.url)
    body = {"key_id": 1, "user_id": started["user_id"], "consumer_key": "ck_x",
            "consumer_secret": "cs_x", "key_permissions": "read_write"}
    anonymous = woo_app.test_client()
    site.revoke_keys()
    assert anonymous.post("/woocommerce/callback", json=body).status_code == 200
    assert anonymous.post("/woocommerce/callback", json=body).status_code == 403


def test_the_token_may_come_back_as_an_int(woo_app: Flask, owner_client: FlaskClient,
                                           site: FakeWooCommerce) -> None:
    # Some WooCommerce installs hand user_id back as a JSON number.
    started = start_connect(owner_client, site.url)
    assert started["user_id"].isdigit()
    body = {"key_id": 1, "user_id": int(started["user_id"]), "consumer_key": "ck_x",
            "consumer_secret": "cs_x", "key_permissions": "read_write"}
    assert woo_app.test_client().post("/woocommerce/callback", json=body).status_code == 200


@pytest.mark.parametrize("user_id", [12345, "12345", "forged.token", ""])
def test_an_unknown_user_id_is_refused_and_the_key_is_lost(
        woo_app: Flask, user_id: object) -> None:
    body = {"key_id": 1, "user_id": user_id, "consumer_key": "ck_x", "consumer_secret": "cs_x"}
    response = woo_app.test_client().post("/woocommerce/callback", json=body)
    assert response.status_code in (400, 403)
    with woo_app.app_context():
        assert db.session().execute(text("SELECT count(*) FROM stores")).scalar_one() == 0


@pytest.mark.parametrize("data", [b"not json", b"[1,2]", b'{"user_id": true}'])
def test_a_malformed_callback_is_400(woo_app: Flask, data: bytes) -> None:
    response = woo_app.test_client().post("/woocommerce/callback", data=data,
                                          content_type="application/json")
    assert response.status_code == 400


def test_a_tampered_token_makes_wordpress_delete_the_key(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    started = start_connect(owner_client, site.url)
    location = started["location"].replace(f"user_id={started['user_id'][:8]}", "user_id=XXXXXXXX")
    assert approve(location).status_code == 401
    assert site.callbacks == [403] and site.keys == {}
    with woo_app.app_context():
        assert db.session().execute(text("SELECT count(*) FROM stores")).scalar_one() == 0


def test_declining_shows_a_clear_page(woo_app: Flask, owner_client: FlaskClient,
                                      site: FakeWooCommerce) -> None:
    site.approve = False
    started = start_connect(owner_client, site.url)
    back = urlsplit(approve(started["location"]).headers["Location"])
    assert "success=0" in back.query
    page = owner_client.get(f"{back.path}?{back.query}")
    assert page.status_code == 200 and "was not connected" in page.get_data(as_text=True)


def test_connect_needs_an_owner_session(woo_app: Flask) -> None:
    response = woo_app.test_client().get("/woocommerce/connect?store_url=https://a.example")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")


def test_pasted_keys_connect_the_store(woo_app: Flask, owner_client: FlaskClient,
                                       site: FakeWooCommerce) -> None:
    key = site.add_key()
    response = owner_client.post("/woocommerce/keys", data={
        "store_url": site.url, "consumer_key": key["consumer_key"],
        "consumer_secret": key["consumer_secret"],
        "csrf_token": csrf_token(owner_client, "/woocommerce/keys")})
    assert response.status_code == 302
    assert woo_store(woo_app).currency == "EUR"
    assert len(site.webhooks) == 6 and len(creds(woo_app)["webhooks"]) == 6


def test_disconnect_deletes_the_webhooks(woo_app: Flask, owner_client: FlaskClient,
                                         site: FakeWooCommerce) -> None:
    connect(owner_client, site)
    store = woo_store(woo_app)
    response = owner_client.post(f"/woocommerce/stores/{store.id}/disconnect",
                                 data={"csrf_token": csrf_token(owner_client)})
    assert response.status_code == 302
    assert site.webhooks == {}
    assert woo_store(woo_app).status == "uninstalled"
    assert "consumer_secret" not in creds(woo_app)


@pytest.mark.parametrize("store_url", [
    "http://127.0.0.1:9", "https://127.0.0.1", "https://10.0.0.5", "https://localhost",
    "https://169.254.169.254", "https://[::1]", "ftp://shop.example", "https://u:p@127.0.0.1",
    "", "https://",
])
def test_private_and_insecure_store_urls_are_refused(tmp_path, store_url: str) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import create_owner, make_app, sign_in

    app = make_app(tmp_path / "instance", allow_http_stores=False)
    create_owner(app, "owner@example.com")
    client = app.test_client()
    sign_in(client, "owner@example.com")
    response = client.get(f"/woocommerce/connect?{urlencode({'store_url': store_url})}")
    assert response.status_code == 400
    app.extensions["storechat.engine"].dispose()
