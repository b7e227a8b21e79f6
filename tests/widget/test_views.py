"""The widget's storefront URLs: script, config (public fields only), beacons, opt-in."""
from __future__ import annotations

import gzip
import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugin.infra import db
from plugin.models import (
    ConsentEntry,
    Customer,
    Store,
    StoreStatus,
    WhatsAppAccount,
    WidgetCounter,
    WidgetSettings,
)
from plugin.pipeline import message_figures, widget_figures
from widget import assets, views

SECRET_TOKEN = "EAAG-very-secret-token"
TRICKY = 'Tom & Jerry #1 — 50% "off" 🎉'


def make_store(app: Flask, widget: dict[str, Any] | None = None, *, enabled: bool = True,
               status: str = StoreStatus.ACTIVE.value, account: bool = True) -> str:
    """A store with credentials, a WhatsApp number with a token, and widget settings."""
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="shop.example", name="<script>x</script>",
                      country="PT", timezone="Europe/Lisbon", status=status,
                      credentials=json.dumps({"consumer_secret": "cs_secret_value"}))
        session.add(store)
        session.flush()
        if account:
            session.add(WhatsAppAccount(store_id=store.id, phone_number_id="pn-1",
                                        waba_id="waba-1", display_phone="+351 912 345 678",
                                        access_token=SECRET_TOKEN))
        if widget is not None:
            session.add(WidgetSettings(store_id=store.id, enabled=enabled, settings=widget))
        return store.key


def count_rows(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model)) or 0


# ---- the script ------------------------------------------------------------------------

def test_loader_is_small_stable_and_points_at_the_hashed_script(client: FlaskClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=300" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    body = response.get_data(as_text=True)
    assert f"widget.{assets.script().version}.js" in body
    assert len(body) < 400

    hashed = client.get(f"/widget.{assets.script().version}.js")
    assert hashed.status_code == 200
    assert "immutable" in hashed.headers["Cache-Control"]
    assert hashed.get_data() == assets.compact(assets.SCRIPT_PATH.read_text()).encode()
    assert client.get(f"/widget.{assets.script().version}.js",
                      headers={"If-None-Match": hashed.headers["ETag"]}).status_code == 304

    stale = client.get("/widget.0123456789ab.js")
    assert stale.status_code == 200 and "immutable" not in stale.headers["Cache-Control"]


def test_script_is_served_gzipped_when_asked(client: FlaskClient) -> None:
    response = client.get(f"/widget.{assets.script().version}.js",
                          headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    script = assets.compact(assets.SCRIPT_PATH.read_text())
    assert gzip.decompress(response.get_data()) == script.encode()


def test_script_never_uses_innerhtml() -> None:
    source = assets.SCRIPT_PATH.read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source


# ---- config ------------------------------------------------------------------------------

def test_config_has_only_public_fields_and_no_secrets(app: Flask, client: FlaskClient) -> None:
    key = make_store(app)
    response = client.get(f"/widget/{key}/config.json?lang=de")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=60" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    text = response.get_data(as_text=True)
    for secret in (SECRET_TOKEN, "cs_secret_value", "pn-1", "waba-1", "test-secret-key"):
        assert secret not in text
    config = response.get_json()
    assert config["enabled"] is True
    assert config["name"] == "<script>x</script>"  # plain text; the script uses textContent
    assert config["agents"] == [{"name": "<script>x</script>", "role": "",
                                 "phone": "351912345678"}]
    assert config["lang"] == "de" and config["strings"]["close"] == "Schließen"
    assert config["optin"] is None


def test_config_answers_304_for_its_etag(app: Flask, client: FlaskClient) -> None:
    key = make_store(app)
    first = client.get(f"/widget/{key}/config.json")
    again = client.get(f"/widget/{key}/config.json",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def _answer(response: Any) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k not in ("Date",)}
    return response.status_code, headers, response.get_data()


@pytest.mark.parametrize("key", ["no-such-store", "k" * 200, "%00", "caf%C3%A9%20x"])
def test_an_unknown_key_gets_the_off_config_exactly_as_a_disabled_store(
        app: Flask, client: FlaskClient, key: str) -> None:
    """Not a 404 (a console error on every storefront page view), and nothing that tells
    an unknown key from a real store whose widget is off."""
    disabled = make_store(app, {"agents": [{"name": "Ana", "phone": "+351912345678"}]},
                          enabled=False)
    uninstalled = make_store(app, {}, status="uninstalled", account=False)
    unknown = client.get(f"/widget/{key}/config.json?lang=pt")
    assert unknown.status_code == 200
    assert unknown.get_json() == {"v": 1, "enabled": False}
    assert unknown.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in unknown.headers
    for real in (disabled, uninstalled):
        assert _answer(client.get(f"/widget/{real}/config.json?lang=pt")) == _answer(unknown)
    # Revalidation behaves the same too.
    again = client.get(f"/widget/{key}/config.json",
                       headers={"If-None-Match": unknown.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("case", ["uninstalled", "turned off", "no number"])
def test_widget_renders_nothing_when_off(app: Flask, client: FlaskClient, case: str) -> None:
    key = make_store(app, {}, enabled=case != "turned off",
                     status="uninstalled" if case == "uninstalled" else "active",
                     account=case != "no number")
    assert client.get(f"/widget/{key}/config.json").get_json() == {"v": 1, "enabled": False}


def test_owner_settings_are_cleaned(app: Flask, client: FlaskClient) -> None:
    key = make_store(app, {
        "color": "red;} :host{display:none", "position": "middle", "lang": "ar",
        "agents": [{"name": "Ana", "role": "Sales", "phone": "912 345 678"},
                   {"name": "Bad", "phone": "not a number"}, "junk"],
        "hours": {"mon": [["09:00", "18:00"], ["25:00", "26:00"]], "xyz": []},
        "holidays": ["2020-12-25", "tomorrow", str(date.today() + timedelta(days=30))],
        "delay": "5", "scroll": 500, "devices": "tv", "message": "Hello\x00 {product}",
        "optin": {"enabled": True, "purpose": "back_in_stock", "text": "Tell me when back"},
    })
    config = client.get(f"/widget/{key}/config.json?lang=en").get_json()
    assert config["color"] == "#0B7A5C" and config["position"] == "end"
    assert config["lang"] == "ar" and config["dir"] == "rtl"  # the owner's choice wins
    assert config["agents"] == [{"name": "Ana", "role": "Sales", "phone": "351912345678"}]
    assert config["hours"] == {"mon": [["09:00", "18:00"]]}
    # A date that is not one is dropped; a past holiday is of no use to a browser.
    assert config["holidays"] == [str(date.today() + timedelta(days=30))]
    assert (config["delay"], config["scroll"], config["devices"]) == (0, 100, "all")
    assert config["message"] == "Hello {product}"
    assert config["optin"] == {"purpose": "back_in_stock", "text": "Tell me when back"}


# ---- beacons -----------------------------------------------------------------------------

def beacon(client: FlaskClient, key: str, body: Any, **kwargs: Any) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(f"/widget/{key}/events", data=raw,
                       content_type="text/plain;charset=UTF-8", **kwargs)


def test_beacon_counts_without_cookies_or_personal_data(app: Flask, client: FlaskClient) -> None:
    key = make_store(app)
    for _ in range(3):
        response = beacon(client, key, {"t": "click", "p": "/products/mug?email=a@b.c",
                                        "s": "MUG-1"})
        assert response.status_code == 204
        assert "Set-Cookie" not in response.headers
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert beacon(client, key, {"t": "open", "p": "/"}).status_code == 204
    with app.app_context():
        rows = db.session().scalars(select(WidgetCounter).order_by(WidgetCounter.kind)).all()
        assert [(r.kind, r.path, r.product, r.count) for r in rows] == [
            ("click", "/products/mug", "MUG-1", 3), ("open", "/", "", 1)]


def test_a_beacon_counts_on_the_stores_own_day(app: Flask, client: FlaskClient,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """At 00:30 UTC on 7 December it is still the 6th in New York: the click belongs to the
    6th, the last day of the period Analytics shows the owner then."""
    key = make_store(app)
    with app.app_context(), db.transaction() as session:
        store = session.scalars(select(Store).where(Store.key == key)).one()
        store.timezone = "America/New_York"
    monkeypatch.setattr(db, "utcnow", lambda: datetime(2026, 12, 7, 0, 30))
    assert beacon(client, key, {"t": "click", "p": "/products/mug"}).status_code == 204
    with app.app_context():
        session = db.session()
        assert session.scalars(select(WidgetCounter.day)).all() == [date(2026, 12, 6)]
        store = session.scalars(select(Store).where(Store.key == key)).one()
        span = message_figures.period(store, 7)
        assert [(w.path, w.clicks) for w in widget_figures.lines(session, store, span)] == [
            ("/products/mug", 1)]


@pytest.mark.parametrize("body", ["not json", "[]", {"t": "hack", "p": "/"},
                                  {"t": "click", "p": "https://evil.example/"}])
def test_bad_beacons_are_refused_and_not_counted(app: Flask, client: FlaskClient,
                                                 body: Any) -> None:
    key = make_store(app)
    assert beacon(client, key, body).status_code == 400
    assert count_rows(app, WidgetCounter) == 0


def test_beacon_for_an_unknown_store_is_answered_like_any_other_and_counted_nowhere(
        app: Flask, client: FlaskClient) -> None:
    key = make_store(app)
    assert beacon(client, "nope", {"t": "click", "p": "/"}).status_code == 204
    assert beacon(client, "nope", {"t": "click", "p": "nope"}).status_code == 400
    assert beacon(client, key, {"t": "click", "p": "nope"}).status_code == 400
    assert count_rows(app, WidgetCounter) == 0


def test_beacons_are_rate_limited_per_address(app: Flask, client: FlaskClient) -> None:
    key = make_store(app)
    codes = [beacon(client, key, {"t": "click", "p": "/"}).status_code
             for _ in range(views.BEACONS_PER_MINUTE + 5)]
    assert codes.count(204) == views.BEACONS_PER_MINUTE and codes[-1] == 429
    other = beacon(client, key, {"t": "click", "p": "/"},
                   environ_overrides={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 204
    with app.app_context():
        assert db.session().scalar(select(WidgetCounter.count)) == views.BEACONS_PER_MINUTE + 1


# ---- opt-in ------------------------------------------------------------------------------

OPTIN = {"optin": {"enabled": True, "purpose": "back_in_stock",
                   "text": "Tell me on WhatsApp when it is back."}}


def test_optin_writes_a_consent_entry(app: Flask, client: FlaskClient) -> None:
    key = make_store(app, OPTIN)
    response = client.post(f"/widget/{key}/optin", data={
        "phone": "912 345 678", "consent": "1", "website": "",
        "page": "/products/mug?email=a@b.c"}, environ_overrides={"REMOTE_ADDR": "203.0.113.7"})
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    # Where to confirm: the store's connected WhatsApp number, for a wa.me link.
    assert response.get_json() == {"ok": True, "wa": "351912345678"}
    with app.app_context():
        entry = db.session().scalars(select(ConsentEntry)).one()
        customer = db.session().get(Customer, entry.customer_id)
        assert customer is not None and customer.phone_e164 == "+351912345678"
        assert (entry.source, entry.purpose, entry.granted, entry.ip) == (
            "widget", "back_in_stock", True, "203.0.113.7")
        assert entry.page == "/products/mug"  # no query string: it may hold personal data
        assert entry.text_shown == "Tell me on WhatsApp when it is back."
        assert entry.created_at is not None
    # The same number again: a second entry for the same customer.
    assert client.post(f"/widget/{key}/optin",
                       data={"phone": "+351912345678", "consent": "1"}).status_code == 201
    assert count_rows(app, Customer) == 1 and count_rows(app, ConsentEntry) == 2


@pytest.mark.parametrize(("form", "fields"), [
    ({"phone": "12", "consent": "1"}, {"phone": "phone_invalid"}),
    ({"phone": "not a phone", "consent": "1"}, {"phone": "phone_invalid"}),
    # A Spanish mobile typed without its country code is no Portuguese number.
    ({"phone": "612 345 678", "consent": "1"}, {"phone": "phone_invalid"}),
    ({"phone": "  ", "consent": "1"}, {"phone": "phone_missing"}),
    ({"phone": "912 345 678"}, {"consent": "consent_missing"}),
    ({"phone": "912 345 678", "consent": "yes"}, {"consent": "consent_missing"}),
    ({}, {"phone": "phone_missing", "consent": "consent_missing"}),
    ({"phone": "12"}, {"phone": "phone_invalid", "consent": "consent_missing"}),
])
def test_optin_names_each_wrong_field(app: Flask, client: FlaskClient,
                                      form: dict[str, str], fields: dict[str, str]) -> None:
    key = make_store(app, OPTIN)
    response = client.post(f"/widget/{key}/optin", data=form)
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json()["fields"] == fields
    assert count_rows(app, ConsentEntry) == 0


def test_every_optin_error_code_has_words_in_every_widget_language() -> None:
    from widget import i18n

    codes = {"phone_missing", "phone_invalid", "consent_missing"}
    for lang in i18n.LANGUAGES:
        words = i18n.strings(lang)
        for key in (*codes, "confirm", "confirm_text"):
            assert words[key].strip(), (lang, key)
            if lang != "en":
                assert words[key] != i18n.strings("en")[key], (lang, key)


def test_a_foreign_number_with_its_country_code_is_accepted(app: Flask,
                                                            client: FlaskClient) -> None:
    key = make_store(app, OPTIN)
    response = client.post(f"/widget/{key}/optin", data={"phone": "+34 612 345 678",
                                                          "consent": "1"})
    assert response.status_code == 201
    with app.app_context():
        assert db.session().scalars(select(Customer.phone_e164)).one() == "+34612345678"


def test_optin_confirms_on_the_first_agent_without_a_connected_number(
        app: Flask, client: FlaskClient) -> None:
    key = make_store(app, {**OPTIN, "agents": [{"name": "Lucía", "phone": "+34612345678"}]},
                     account=False)
    response = client.post(f"/widget/{key}/optin", data={"phone": "912345678", "consent": "1"})
    assert response.status_code == 201 and response.get_json()["wa"] == "34612345678"


def test_optin_honeypot_writes_nothing(app: Flask, client: FlaskClient) -> None:
    key = make_store(app, OPTIN)
    response = client.post(f"/widget/{key}/optin", data={
        "phone": "912 345 678", "consent": "1", "website": "http://spam.example"})
    assert response.status_code == 201  # a bot learns nothing
    assert count_rows(app, ConsentEntry) == 0 and count_rows(app, Customer) == 0


def test_optin_is_rate_limited(app: Flask, client: FlaskClient) -> None:
    key = make_store(app, OPTIN)
    codes = [client.post(f"/widget/{key}/optin", data={"phone": "912345678"}).status_code
             for _ in range(views.OPTINS_PER_MINUTE + 2)]
    assert codes == [400] * views.OPTINS_PER_MINUTE + [429, 429]
    valid = client.post(f"/widget/{key}/optin", data={"phone": "912345678", "consent": "1"})
    assert valid.status_code == 429
    assert count_rows(app, ConsentEntry) == 0


def test_optin_is_404_when_the_store_offers_none(app: Flask, client: FlaskClient) -> None:
    key = make_store(app, {})
    assert client.post(f"/widget/{key}/optin",
                       data={"phone": "912345678", "consent": "1"}).status_code == 404


def test_the_shipped_script_is_the_source_without_its_comments() -> None:
    from widget import assets

    source = assets.SCRIPT_PATH.read_text(encoding="utf-8")
    # compact() is only safe while the source has no template literals or continuations.
    assert "`" not in source
    assert not any(line.rstrip().endswith("\\") for line in source.splitlines())
    shipped = assets.compact(source)
    assert len(shipped) < len(source)
    code = [line.strip() for line in source.splitlines()
            if line.strip() and not line.strip().startswith(("//", "/*", "*"))]
    assert [line for line in shipped.splitlines()] == code[len(code) - len(shipped.splitlines()):]
