"""Shared fixtures: a fresh app per test on its own SQLite file, helpers, and service lanes."""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient

from plugin import create_app
from plugin.auth.passwords import hash_password
from plugin.config import load_settings
from plugin.demo import store as demo_store
from plugin.infra import db, migrate
from plugin.models import Owner
from webhooks.signatures import hmac_sha256_base64

ROOT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_SERVICES = os.environ.get("STORECHAT_REQUIRE_SERVICES") == "1"
TEST_KEY = Fernet.generate_key().decode()
# The Shopify and WooCommerce worlds (fakes, installed apps, connected sites) as fixtures
# any test may ask for by name.
pytest_plugins = ["tests.worlds.shopify", "tests.worlds.woocommerce", "tests.worlds.inbox"]


def need(condition: bool, reason: str) -> None:
    """Skip (or, with STORECHAT_REQUIRE_SERVICES=1, fail) when a lane's service is missing."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"STORECHAT_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def shared_fixture(*parts: str) -> Path:
    """A recorded payload from ../shared/fixtures; skips when shared/ is not beside the clone."""
    path = SHARED_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared fixture {'/'.join(parts)} is not available in this checkout")
    return path


def environ_for(instance: Path, **extra: str) -> dict[str, str]:
    """Environment for a StoreChat process under test (subprocess tests use it too)."""
    environ = {
        "STORECHAT_ENV": "test",
        "STORECHAT_INSTANCE_PATH": str(instance),
        "STORECHAT_ENCRYPTION_KEY": TEST_KEY,
        "STORECHAT_SECRET_KEY": "test-secret-key",
    }
    environ.update(extra)
    return environ


def make_app(instance: Path, migrate_db: bool = True, **overrides: Any) -> Flask:
    """A StoreChat app on its own instance folder, migrated, jobs run inline by default."""
    overrides.setdefault("queue_immediate", True)
    settings = load_settings(environ_for(instance), **overrides)
    app = create_app(settings)
    if migrate_db:
        with app.app_context():
            _migrate(str(app.config["STORECHAT"].database_url))
    return app


# The schema at head, migrated once per test run into this SQLite file and copied into each
# new SQLite database: running every migration for every test's app cost about half a second
# each, minutes over the suite. tests/infra/test_migrations.py still runs them from scratch.
_SCHEMA: list[Path] = []
_SQLITE = "sqlite:///"


def _migrate(url: str) -> None:
    target = Path(url[len(_SQLITE):]) if url.startswith(_SQLITE) else None
    if target is None or str(target) == ":memory:" or _has_tables(target):
        migrate.upgrade()  # another database, or one in use: migrate it as it is
        return
    if not _SCHEMA:
        migrate.upgrade()
        schema = Path(tempfile.mkdtemp(prefix="storechat-schema-")) / "schema.db"
        _copy_database(target, schema)
        _SCHEMA.append(schema)
        return
    _copy_database(_SCHEMA[0], target)


def _has_tables(path: Path) -> bool:
    if not path.exists():
        return False
    with sqlite3.connect(path) as connection:
        found = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        tables = int(found.fetchone()[0])
    connection.close()
    return tables > 0


def _copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database page by page (its write-ahead log included)."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """A fresh app on SQLite with inline jobs."""
    application = make_app(tmp_path / "instance")
    yield application
    application.extensions["storechat.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for `app`."""
    return app.test_client()


class DemoPlatform:
    """Plays the demo store's platform: signs and posts webhooks like a real platform."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app = app
        self.client = client
        with app.app_context():
            with db.transaction() as session:
                store = demo_store.get_or_create(session)
            self.store_id = store.id
            self.key = store.key
            self.secret = json.loads(store.credentials)["webhook_secret"].encode()

    def post(self, topic: str, payload: Any, *, event_id: str | None = None,
             body: bytes | None = None, signature: str | None = None) -> Any:
        """POST a delivery; signs `body` (or the JSON of `payload`) unless told otherwise."""
        raw = body if body is not None else json.dumps(payload).encode()
        headers = {
            "X-StoreChat-Topic": topic,
            "X-StoreChat-Event-Id": event_id or uuid.uuid4().hex,
            "X-StoreChat-Hmac-Sha256": signature if signature is not None
            else hmac_sha256_base64(self.secret, raw),
            "Content-Type": "application/json",
        }
        return self.client.post(f"/webhooks/demo/{self.key}", data=raw, headers=headers)


def order_payload(order_id: str = "o-1", status: str = "placed", **changes: Any) -> dict[str, Any]:
    """A demo-platform order body."""
    payload: dict[str, Any] = {
        "id": order_id,
        "number": "1001",
        "status": status,
        "currency": "EUR",
        "total": "54.80",
        "payment_gateway": "card",
        "customer": dict(demo_store.DEMO_CUSTOMER),
        "line_items": [{"title": "Linen shirt", "quantity": 1, "price": "49.90"}],
    }
    payload.update(changes)
    return payload


@pytest.fixture
def demo(app: Flask, client: FlaskClient) -> DemoPlatform:
    """The demo store, with a platform that posts signed webhooks to it."""
    return DemoPlatform(app, client)


PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_owner(app: Flask, email: str, password: str = PASSWORD) -> int:
    """An owner account made directly in the database; returns its id."""
    with app.app_context(), db.transaction() as session:
        owner = Owner(email=email, password_hash=hash_password(password))
        session.add(owner)
        session.flush()
        return owner.id


def csrf_token(client: FlaskClient, path: str = "/signin") -> str:
    """The CSRF token of the client's session, read from a page's form."""
    match = _CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    """Sign in through the real form; returns the response."""
    return client.post("/signin", data={"email": email, "password": password,
                                        "csrf_token": csrf_token(client)})


@pytest.fixture
def owner(app: Flask, client: FlaskClient) -> FlaskClient:
    """`client`, signed in as a fresh owner account (owner@example.com)."""
    create_owner(app, "owner@example.com")
    response = sign_in(client, "owner@example.com")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def pg_url() -> str:
    """A PostgreSQL URL for the services lane (STORECHAT_TEST_DATABASE_URL)."""
    url = os.environ.get("STORECHAT_TEST_DATABASE_URL", "")
    need(bool(url), "STORECHAT_TEST_DATABASE_URL is not set (run .ci/services.sh)")
    return url


@pytest.fixture
def redis_url() -> str:
    """A Redis URL for the services lane (STORECHAT_TEST_REDIS_URL)."""
    url = os.environ.get("STORECHAT_TEST_REDIS_URL", "")
    need(bool(url), "STORECHAT_TEST_REDIS_URL is not set (run .ci/services.sh)")
    return url


@pytest.fixture
def chromium_path() -> str:
    """Debian's Chromium, for Playwright's executable_path."""
    need(CHROMIUM.exists() and shutil.which("chromium") is not None,
         "/usr/bin/chromium is not installed (apt-get install chromium)")
    return str(CHROMIUM)
