"""Token life: refreshed before expiry and after a 401, once, under a per-shop lease."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Store
from plugin.platforms.shopify import shops, tokens
from plugin.platforms.stores import credentials
from tests.fakes.shopify import FakeShopify
from tests.worlds.shopify import SHOP, id_token


def _install(app: Flask) -> int:
    response = app.test_client().get(f"/shopify/app?shop={SHOP}&id_token={id_token()}")
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        return db.session().scalars(select(Store.id).where(Store.domain == SHOP)).one()


def _saved(app: Flask, store_id: int) -> tuple[Store, dict]:  # type: ignore[type-arg]
    with app.app_context():
        store = db.session().get(Store, store_id)
        return store, credentials(store)


def _expire(app: Flask, shopify: FakeShopify, store_id: int) -> None:
    """An hour passes: the fake and our row both see the access token as expired."""
    shopify.expire_access_tokens(SHOP)
    with app.app_context(), db.transaction() as tx:
        store = tx.get(Store, store_id)
        store.access_expires_at = db.utcnow() - timedelta(seconds=1)


def test_a_fresh_token_is_used_as_it_is(shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    store_id = _install(shop_app)
    _, saved = _saved(shop_app, store_id)
    with shop_app.app_context():
        assert tokens.access_token(store_id) == saved["access_token"]
    assert fake[0].refreshes == 0


def test_an_expired_token_is_refreshed_once_by_two_workers_at_once(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    store_id = _install(shop_app)
    _, before = _saved(shop_app, store_id)
    _expire(shop_app, shopify, store_id)
    shopify.refresh_delay = 0.3  # both workers arrive while the refresh is under way
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            with shop_app.app_context():
                start.wait()
                results.append(tokens.access_token(store_id))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert shopify.refreshes == 1
    store, after = _saved(shop_app, store_id)
    assert results == [after["access_token"]] * 2
    assert after["access_token"] != before["access_token"]
    # The rotated refresh token was saved; the old one is dead at Shopify.
    assert after["refresh_token"] != before["refresh_token"]
    assert shopify.refresh_tokens[before["refresh_token"]].revoked
    assert store.token_lease_until is None
    assert store.access_expires_at > db.utcnow() + timedelta(minutes=50)
    assert shopify.valid_access_token(SHOP, after["access_token"])


def test_a_worker_that_read_the_old_token_does_not_refresh_after_another_did(
        shop_app: Flask, fake: tuple[FakeShopify, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Worker B reads the expired token; worker A then refreshes it and drops its lease, all
    # before B's claim. B must not refresh a second time (that would spend the rotated token).
    shopify, _ = fake
    store_id = _install(shop_app)
    _expire(shop_app, shopify, store_id)
    real_claim = tokens._claim
    calls: list[bool] = []

    def late_claim(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not calls:
            calls.append(True)
            other = threading.Thread(target=_refresh_in_context, args=(shop_app, store_id))
            other.start()
            other.join(timeout=30)
            assert shopify.refreshes == 1  # A is done: new token saved, lease dropped
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(tokens, "_claim", late_claim)
    with shop_app.app_context():
        token = tokens.access_token(store_id)
    _, after = _saved(shop_app, store_id)
    assert shopify.refreshes == 1
    assert token == after["access_token"] and shopify.valid_access_token(SHOP, token)


def _refresh_in_context(app: Flask, store_id: int) -> None:
    with app.app_context():
        tokens.access_token(store_id)


def test_a_401_refreshes_once_and_the_call_goes_through(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    store_id = _install(shop_app)
    shopify.expire_access_tokens(SHOP)  # Shopify refuses it though our clock says it is fine
    with shop_app.app_context():
        info = shops.admin_client(store_id, SHOP).shop_info()
    assert info.name == "Acme Linen"
    assert shopify.refreshes == 1


def test_invalid_grant_marks_the_store_reconnect_needed(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    store_id = _install(shop_app)
    _expire(shop_app, shopify, store_id)
    shopify.revoke_refresh_tokens(SHOP)
    with shop_app.app_context():
        with pytest.raises(tokens.ReconnectNeeded):
            tokens.access_token(store_id)
        # Nothing more is asked of Shopify for a store that must reconnect.
        with pytest.raises(tokens.ReconnectNeeded):
            tokens.access_token(store_id)
    store, _ = _saved(shop_app, store_id)
    assert store.status == "reconnect-needed"
    assert store.token_lease_until is None
    assert shopify.refreshes == 0


def test_a_lease_held_by_a_dead_worker_runs_out(shop_app: Flask,
                                                 fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    store_id = _install(shop_app)
    _expire(shop_app, shopify, store_id)
    with shop_app.app_context(), db.transaction() as tx:
        tx.get(Store, store_id).token_lease_until = db.utcnow() - timedelta(seconds=1)
    with shop_app.app_context():
        token = tokens.access_token(store_id)
    assert shopify.valid_access_token(SHOP, token)
    assert shopify.refreshes == 1


def test_expiry_strings_become_naive_utc() -> None:
    moment = tokens.parse_expiry("2030-01-02T03:04:05Z")
    assert moment is not None and moment.tzinfo is None
    assert (moment.year, moment.hour, moment.second) == (2030, 3, 5)
    assert tokens.parse_expiry(None) is None
