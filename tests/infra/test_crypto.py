"""Secrets at rest: what the database holds is ciphertext."""
from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select, text

from plugin.infra import db
from plugin.infra.crypto import DecryptionError
from plugin.models import Store, WhatsAppAccount
from plugin.platforms.stores import credentials, set_credentials
from tests.conftest import make_app

TOKEN = "EAAG-super-secret-whatsapp-token"
CONSUMER_SECRET = "cs_0123456789abcdef"


def _store_with_secrets(app: Flask) -> int:
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="shop.example.com")
        set_credentials(store, {"consumer_secret": CONSUMER_SECRET})
        session.add(store)
        session.flush()
        session.add(WhatsAppAccount(store_id=store.id, phone_number_id="1234",
                                    access_token=TOKEN))
        return store.id


def test_raw_rows_hold_no_plaintext(app: Flask) -> None:
    store_id = _store_with_secrets(app)
    with app.app_context(), db.engine().connect() as connection:
        raw_credentials = connection.execute(
            text("SELECT credentials FROM stores WHERE id = :id"), {"id": store_id}).scalar_one()
        raw_token = connection.execute(
            text("SELECT access_token FROM whatsapp_accounts")).scalar_one()
    assert CONSUMER_SECRET not in raw_credentials
    assert TOKEN not in raw_token
    assert raw_token.startswith("gAAAA")  # a Fernet token


def test_secrets_read_back_through_the_model(app: Flask) -> None:
    store_id = _store_with_secrets(app)
    with app.app_context():
        store = db.session().get(Store, store_id)
        assert credentials(store) == {"consumer_secret": CONSUMER_SECRET}
        account = db.session().scalars(select(WhatsAppAccount)).one()
        assert account.access_token == TOKEN


def test_a_wrong_key_says_so(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    first = make_app(instance)
    store_id = _store_with_secrets(first)
    first.extensions["storechat.engine"].dispose()
    other = make_app(instance, encryption_keys=(Fernet.generate_key().decode(),))
    with other.app_context():
        with pytest.raises(DecryptionError, match="STORECHAT_ENCRYPTION_KEY"):
            _ = db.session().get(Store, store_id).credentials


def test_rotated_keys_still_read_old_rows(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    first = make_app(instance)
    old_key = first.config["STORECHAT"].encryption_keys[0]
    store_id = _store_with_secrets(first)
    first.extensions["storechat.engine"].dispose()
    rotated = make_app(instance, encryption_keys=(Fernet.generate_key().decode(), old_key))
    with rotated.app_context():
        assert credentials(db.session().get(Store, store_id))["consumer_secret"] == CONSUMER_SECRET
