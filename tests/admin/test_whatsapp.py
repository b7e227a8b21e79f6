"""The WhatsApp page of the admin, against the fake Graph API (WHATSAPP_GRAPH_URL): connecting
a number (verified, subscribed, token encrypted), refusals that save nothing, tenancy, template
sync across pages, starter templates created once, template webhooks, failure reasons, and the
periodic sync the sweeper enqueues."""
from __future__ import annotations

import hashlib
import hmac
import html
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from adapters.whatsapp.client import TEMPLATE_PAGE_SIZE
from plugin.demo import store as demo_store
from plugin.domain import starter_templates
from plugin.infra import db
from plugin.models import Message, Owner, Store, Template, WhatsAppAccount
from plugin.platforms.whatsapp import templates as template_sync
from tests.conftest import create_owner, csrf_token, make_app, sign_in
from tests.fakes.graph import FakeGraph, sign
from tests.fakes.server import LoopbackServer

PNID, WABA, TOKEN = "106540352242922", "102290129340398", "EAAGtesttoken0123456789abcdef"
APP_SECRET = "meta-app-secret"


@pytest.fixture(scope="module")
def graph_server() -> Iterator[tuple[str, list[FakeGraph]]]:
    """One loopback server for the module; each test puts a fresh fake behind it."""
    current: list[FakeGraph] = []
    with LoopbackServer(lambda environ, start: current[-1](environ, start)) as server:
        yield server.url, current


@pytest.fixture
def fake(graph_server) -> FakeGraph:  # type: ignore[no-untyped-def]
    graph = FakeGraph()
    graph.add_waba(WABA, TOKEN, PNID, verified_name="Linen & Co",
                   display_phone_number="+351 21 000 0000", quality_rating="GREEN",
                   throughput="HIGH")
    graph_server[1].append(graph)
    return graph


def _app(tmp_path: Path, url: str, **overrides: Any) -> Iterator[Flask]:
    app = make_app(tmp_path / "instance", whatsapp_graph_url=url,
                   whatsapp_app_secret=APP_SECRET, **overrides)
    yield app
    app.extensions["storechat.engine"].dispose()


@pytest.fixture
def wa_app(tmp_path: Path, graph_server, fake) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    yield from _app(tmp_path, graph_server[0])


def add_store(app: Flask, email: str, **fields: Any) -> int:
    with app.app_context(), db.transaction() as session:
        owner_id = session.scalars(select(Owner.id).where(Owner.email == email)).one()
        values = {"platform": "woocommerce", "domain": "shop.example", "name": "Linen & Co",
                  "country": "PT", "locale": "pt-BR", "owner_id": owner_id}
        values.update(fields)
        store = Store(**values)
        session.add(store)
        session.flush()
        return store.id


@pytest.fixture
def owned(wa_app: Flask) -> tuple[FlaskClient, int]:
    client = wa_app.test_client()
    create_owner(wa_app, "owner@example.com")
    sign_in(client, "owner@example.com")
    return client, add_store(wa_app, "owner@example.com")


def post(client: FlaskClient, store_id: int, action: str, **data: str) -> Any:
    data["csrf_token"] = csrf_token(client, f"/stores/{store_id}/whatsapp")
    return client.post(f"/stores/{store_id}/whatsapp/{action}", data=data)


def connect(client: FlaskClient, store_id: int, **changes: str) -> Any:
    form = {"phone_number_id": PNID, "waba_id": WABA, "access_token": TOKEN}
    form.update(changes)
    return post(client, store_id, "connect", **form)


def page(client: FlaskClient, store_id: int) -> str:
    response = client.get(f"/stores/{store_id}/whatsapp")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def accounts(app: Flask) -> list[WhatsAppAccount]:
    with app.app_context():
        return list(db.session().scalars(select(WhatsAppAccount)))


def templates(app: Flask) -> dict[tuple[str, str], Template]:
    with app.app_context():
        return {(t.name, t.language): t for t in db.session().scalars(select(Template))}


def test_connect_verifies_with_meta_subscribes_and_stores_the_token_encrypted(
        wa_app: Flask, owned: tuple[FlaskClient, int], fake: FakeGraph) -> None:
    client, store_id = owned
    fake.add_template(WABA, "order_confirmation", "en")
    response = connect(client, store_id)
    assert response.status_code == 303
    [account] = accounts(wa_app)
    assert (account.store_id, account.phone_number_id, account.waba_id) == (store_id, PNID, WABA)
    assert (account.verified_name, account.display_phone, account.quality_rating) == (
        "Linen & Co", "+351 21 000 0000", "GREEN")
    assert account.throughput_mps == 1000  # Meta reports HIGH throughput
    assert account.subscribed_at is not None and account.access_token == TOKEN
    assert fake.wabas[WABA].subscribed
    with wa_app.app_context():
        raw = db.session().execute(text("SELECT access_token FROM whatsapp_accounts")).scalar()
    assert TOKEN not in raw  # encrypted at rest
    # Connecting also read the WABA's templates.
    assert set(templates(wa_app)) == {("order_confirmation", "en")}
    body = page(client, store_id)
    assert "Connected: Linen & Co" in body and "+351 21 000 0000" in body
    assert 'id="connect-form"' not in body


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"access_token": "EAAGwrongtoken0123456789"}, "access_token",
     "did not accept this access token"),
    ({"phone_number_id": "999999999"}, "phone_number_id", "could not find this Phone number ID"),
    ({"waba_id": "888888888"}, "waba_id", "cannot manage that"),
    ({"phone_number_id": "+351 912"}, "phone_number_id", "not the phone number itself"),
    ({"access_token": "short"}, "access_token", "whole access token"),
])
def test_a_refused_number_shows_why_and_saves_nothing(
        wa_app: Flask, owned: tuple[FlaskClient, int], fake: FakeGraph,
        changes: dict[str, str], field: str, words: str) -> None:
    client, store_id = owned
    response = connect(client, store_id, **changes)
    assert response.status_code == 400
    body = html.unescape(response.get_data(as_text=True))
    assert f'id="error-{field}"' in body and words in body
    assert TOKEN not in body  # the secret is never echoed back
    assert accounts(wa_app) == []
    if field != "waba_id":
        assert not fake.wabas[WABA].subscribed


def test_another_owners_store_is_404(wa_app: Flask, owned: tuple[FlaskClient, int]) -> None:
    client, _mine = owned
    create_owner(wa_app, "other@example.com")
    theirs = add_store(wa_app, "other@example.com", domain="other.example")
    assert client.get(f"/stores/{theirs}/whatsapp").status_code == 404
    token = csrf_token(client, "/")
    for action in ("connect", "sync", "starters", "disconnect"):
        response = client.post(f"/stores/{theirs}/whatsapp/{action}", data={
            "csrf_token": token, "phone_number_id": PNID, "waba_id": WABA,
            "access_token": TOKEN})
        assert response.status_code == 404, action
    assert accounts(wa_app) == []


def test_signed_out_visitors_go_to_sign_in(wa_app: Flask, owned: tuple[FlaskClient, int]) -> None:
    _client, store_id = owned
    response = wa_app.test_client().get(f"/stores/{store_id}/whatsapp")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_sync_now_reads_every_page_and_removes_what_meta_dropped(
        wa_app: Flask, owned: tuple[FlaskClient, int], fake: FakeGraph) -> None:
    client, store_id = owned
    connect(client, store_id)
    count = TEMPLATE_PAGE_SIZE + 20  # more than one page
    for n in range(count):
        fake.add_template(WABA, f"promo_{n:03d}", "en", category="MARKETING", quality="YELLOW")
    fake.reject(WABA, "promo_007", "en", reason="INVALID_FORMAT")
    assert post(client, store_id, "sync").status_code == 303
    rows = templates(wa_app)
    assert len(rows) == count
    assert (rows[("promo_007", "en")].status, rows[("promo_007", "en")].reason) == (
        "REJECTED", "INVALID_FORMAT")
    last = rows[(f"promo_{count - 1:03d}", "en")]  # from the second page
    meta_id = fake.template(WABA, last.name, "en")["id"]
    assert (last.category, last.quality, last.meta_id) == ("MARKETING", "YELLOW", meta_id)
    body = page(client, store_id)
    assert f"Templates synced: {count} in WhatsApp" in body
    assert "promo_119" in body and "INVALID_FORMAT" in body
    fake.wabas[WABA].templates = [t for t in fake.wabas[WABA].templates
                                  if t["name"] != "promo_000"]
    post(client, store_id, "sync")
    assert ("promo_000", "en") not in templates(wa_app)
    assert len(templates(wa_app)) == count - 1
    assert accounts(wa_app)[0].templates_synced_at is not None


def test_a_sync_with_a_revoked_token_says_so_and_flags_the_number(
        wa_app: Flask, owned: tuple[FlaskClient, int], fake: FakeGraph) -> None:
    client, store_id = owned
    connect(client, store_id)
    fake.fail_next(190, 401, "Error validating access token: Session has expired")
    post(client, store_id, "sync")
    body = page(client, store_id)
    assert "WhatsApp refused the access token" in body and "Session has expired" in body
    assert accounts(wa_app)[0].needs_reauth
    assert 'id="connect-form"' in body  # offered again to paste a new token


def test_starter_templates_are_created_once(
        wa_app: Flask, owned: tuple[FlaskClient, int], fake: FakeGraph) -> None:
    client, store_id = owned
    connect(client, store_id)
    assert post(client, store_id, "starters").status_code == 303
    expected = {(d.name, d.language) for d in starter_templates.definitions("http://x")
                if d.language in ("pt_BR", "en")}  # the store's language (pt-BR) and English
    created = {(t["name"], t["language"]) for t in fake.wabas[WABA].templates}
    assert created == expected
    assert all(t["status"] == "PENDING" for t in fake.wabas[WABA].templates)
    assert set(templates(wa_app)) == expected  # synced straight after
    assert "Submitted" in page(client, store_id)
    post(client, store_id, "starters")
    assert len(fake.wabas[WABA].templates) == len(expected)
    assert "already has every starter template" in page(client, store_id)
    # The tracking button points at this installation's public URL.
    public = wa_app.config["STORECHAT"].public_url.rstrip("/")
    buttons = [b for t in fake.wabas[WABA].templates for c in t["components"]
               if c["type"] == "BUTTONS" for b in c["buttons"] if b["type"] == "URL"]
    assert buttons and all(b["url"].startswith(public + "/t/") for b in buttons)


def _template_webhook(field: str, value: dict[str, Any]) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": WABA, "time": 1751247548, "changes": [{"field": field, "value": {
            "message_template_id": 1, "message_template_name": "order_confirmation",
            "message_template_language": "en", **value}}]}]}).encode()


def test_template_webhooks_update_the_table(
        wa_app: Flask, owned: tuple[FlaskClient, int], fake: FakeGraph) -> None:
    client, store_id = owned
    fake.add_template(WABA, "order_confirmation", "en", status="PENDING")
    connect(client, store_id)
    hooks = [
        ("message_template_status_update",
         {"event": "REJECTED", "reason": "INVALID_FORMAT",
          "rejection_info": {"reason": "Parameters placed next to each other."}}),
        ("template_category_update", {"new_category": "MARKETING",
                                      "previous_category": "UTILITY"}),
        ("message_template_quality_update", {"new_quality_score": "RED",
                                             "previous_quality_score": "GREEN"}),
    ]
    for field, value in hooks:
        body = _template_webhook(field, value)
        response = wa_app.test_client().post("/webhooks/whatsapp", data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": sign(body, APP_SECRET)})
        assert response.status_code == 200
    row = templates(wa_app)[("order_confirmation", "en")]
    assert (row.status, row.category, row.quality) == ("REJECTED", "MARKETING", "RED")
    assert row.reason == "INVALID_FORMAT: Parameters placed next to each other."
    assert "Parameters placed next to each other." in page(client, store_id)
    approved = _template_webhook("message_template_status_update",
                                 {"event": "APPROVED", "reason": "NONE"})
    wa_app.test_client().post("/webhooks/whatsapp", data=approved, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign(approved, APP_SECRET)})
    row = templates(wa_app)[("order_confirmation", "en")]
    assert (row.status, row.reason) == ("APPROVED", None)


def test_failed_messages_are_explained(wa_app: Flask, owned: tuple[FlaskClient, int]) -> None:
    client, store_id = owned
    with wa_app.app_context(), db.transaction() as session:
        session.add_all([
            Message(store_id=store_id, cause="order:1", step="order_confirmation",
                    to="+351912345678", template="order_shipped", state="failed",
                    error_code=131047, reason="Re-engagement message"),
            Message(store_id=store_id, cause="order:2", step="order_confirmation",
                    to="+351912000000", template="order_shipped", state="failed",
                    error_code=131026, reason="Message undeliverable"),
            Message(store_id=store_id, cause="order:3", step="order_confirmation",
                    to="+351913000000", template="order_shipped", state="sent"),
        ])
    body = page(client, store_id)
    assert "More than 24 hours passed since the customer last wrote" in body
    assert "the number may not use WhatsApp" in body and "Message undeliverable" in body
    assert "+351913000000" not in body  # only failures are listed


def test_the_demo_store_never_connects_a_real_number(
        wa_app: Flask, owned: tuple[FlaskClient, int], fake: FakeGraph) -> None:
    client, _store_id = owned
    with wa_app.app_context(), db.transaction() as session:
        owner_id = session.scalars(select(Owner.id)).one()
        demo_id = demo_store.get_or_create(session, owner_id).id
    body = page(client, demo_id)
    assert 'id="demo-note"' in body and 'id="connect-form"' not in body
    response = connect(client, demo_id)
    assert response.status_code == 400
    assert "demo store only sends to the sandbox" in html.unescape(response.get_data(as_text=True))
    assert accounts(wa_app) == [] and not fake.wabas[WABA].subscribed


def test_the_installation_default_number_is_named(tmp_path: Path, graph_server, fake) -> None:  # type: ignore[no-untyped-def]
    for app in _app(tmp_path, graph_server[0], whatsapp_phone_number_id=PNID,
                    whatsapp_waba_id=WABA, whatsapp_access_token=TOKEN):
        client = app.test_client()
        create_owner(app, "owner@example.com")
        sign_in(client, "owner@example.com")
        store_id = add_store(app, "owner@example.com")
        fake.add_template(WABA, "order_confirmation", "en")
        body = page(client, store_id)
        assert "installation's default WhatsApp number" in body and PNID in body
        post(client, store_id, "sync")  # the default number's WABA fills the table
        assert set(templates(app)) == {("order_confirmation", "en")}


def test_the_default_number_is_the_first_owners_alone(tmp_path: Path, graph_server, fake) -> None:  # type: ignore[no-untyped-def]
    """An owner invited later neither sends from the installation's number nor sees or
    syncs its WABA's templates: their store goes to the sandbox until they connect one."""
    from plugin.pipeline import transports

    for app in _app(tmp_path, graph_server[0], whatsapp_phone_number_id=PNID,
                    whatsapp_waba_id=WABA, whatsapp_access_token=TOKEN):
        create_owner(app, "owner@example.com")
        create_owner(app, "invited@example.com")
        first = add_store(app, "owner@example.com")
        later = add_store(app, "invited@example.com", domain="other.example")
        fake.add_template(WABA, "order_confirmation", "en")
        with app.app_context():
            session = db.session()
            sends = {store_id: transports.for_account(session, None, session.get(Store, store_id))
                     for store_id in (first, later)}
        assert (sends[first].name, sends[later].name) == ("cloud", "sandbox")
        client = app.test_client()
        sign_in(client, "invited@example.com")
        body = page(client, later)
        assert "installation's default WhatsApp number" not in body and PNID not in body
        post(client, later, "sync")
        assert templates(app) == {}


def test_disconnect_forgets_the_number(wa_app: Flask, owned: tuple[FlaskClient, int]) -> None:
    client, store_id = owned
    connect(client, store_id)
    assert post(client, store_id, "disconnect").status_code == 303
    assert accounts(wa_app) == []
    assert 'id="connect-form"' in page(client, store_id)


def test_the_sweeper_enqueues_due_syncs_once_per_interval(
        wa_app: Flask, owned: tuple[FlaskClient, int], fake: FakeGraph) -> None:
    client, store_id = owned
    connect(client, store_id)
    fake.add_template(WABA, "back_in_stock", "en", category="MARKETING")
    with wa_app.app_context():
        now = db.utcnow()
        assert template_sync.enqueue_due_syncs(now) == 0  # just synced by connecting
        later = now + timedelta(seconds=template_sync.SYNC_INTERVAL_SECONDS + 60)
        assert template_sync.enqueue_due_syncs(later) == 1  # the job runs inline in tests
        assert template_sync.enqueue_due_syncs(later) == 0  # claimed for this interval
    assert ("back_in_stock", "en") in templates(wa_app)


def test_the_sync_job_flags_a_refused_token(
        wa_app: Flask, owned: tuple[FlaskClient, int], fake: FakeGraph) -> None:
    client, store_id = owned
    connect(client, store_id)
    [account] = accounts(wa_app)
    fake.fail_next(190, 401, "expired")
    with wa_app.app_context():
        template_sync.sync_job(account.id)
    assert accounts(wa_app)[0].needs_reauth
    with wa_app.app_context():  # a flagged number is left alone until reconnected
        later = db.utcnow() + timedelta(seconds=template_sync.SYNC_INTERVAL_SECONDS + 60)
        assert template_sync.enqueue_due_syncs(later) == 0


def test_signature_helper_matches_meta() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    assert sign(body, "s") == "sha256=" + hmac.new(b"s", body, hashlib.sha256).hexdigest()
