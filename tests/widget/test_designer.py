"""The widget designer in the admin: the form, saving through widget.settings.clean(), the
preview config, the link to the widget's figures and the install paths (snippet,
WooCommerce, Shopify deep link)."""
from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Store, WhatsAppAccount, WidgetCounter, WidgetSettings
from plugin.pipeline import rollups
from tests.conftest import create_owner, csrf_token, make_app, sign_in
from widget import settings

API_KEY = "test-api-key-0123"
API_SECRET = "shpss_test_secret_0123456789abcdef"


def add_store(app: Flask, owner_email: str = "owner@example.com", **fields: Any) -> int:
    with app.app_context(), db.transaction() as session:
        owner_id = session.execute(select(db_owner_id(owner_email))).scalar_one()
        values = {"platform": "woocommerce", "domain": "shop.example", "name": "Linen & Co",
                  "country": "PT", "timezone": "Europe/Lisbon", "owner_id": owner_id}
        values.update(fields)
        store = Store(**values)
        session.add(store)
        session.flush()
        return store.id


def db_owner_id(email: str) -> Any:
    from plugin.models import Owner
    return select(Owner.id).where(Owner.email == email).scalar_subquery()


def form_data(client: FlaskClient, store_id: int, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": csrf_token(client, f"/stores/{store_id}/widget"),
        "enabled": "1", "position": "start", "color": "#123abc", "lang": "pt",
        "greeting": "Olá <b>amigo</b>", "cta": "Fale connosco", "away": "Voltamos já",
        "agent_name": ["Ana", "Rui", ""], "agent_phone": ["912 345 678", "+351 913 000 111", ""],
        "agent_role": ["Vendas", "Apoio", ""],
        "timezone": "Europe/Lisbon", "hours_mode": "set",
        "hours_mon": "09:00-13:00, 14:00-18:00", "hours_tue": "9:00-17:30", "hours_wed": "",
        "hours_thu": "", "hours_fri": "", "hours_sat": "", "hours_sun": "",
        "holidays": "2026-12-25\n\n2026-01-01\n2026-12-25",
        "show_on": "/products/*\n\n/collections/*", "hide_on": "/checkout*",
        "devices": "mobile", "delay": "5", "scroll": "40",
        "message": "Hello about {product} ({sku})\n{url}",
        "optin_enabled": "1", "optin_purpose": "back_in_stock",
        "optin_text": "Tell me on WhatsApp when it is back.",
    }
    data.update(changes)
    return data


def saved(app: Flask, store_id: int) -> WidgetSettings | None:
    with app.app_context():
        return db.session().scalars(select(WidgetSettings).where(
            WidgetSettings.store_id == store_id)).first()


def test_the_designer_renders_for_the_owner(app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app)
    response = owner.get(f"/stores/{store_id}/widget")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Chat widget for Linen &amp; Co" in page
    assert 'name="csrf_token"' in page
    for name in ("position", "color", "lang", "greeting", "cta", "away", "agent_name",
                 "agent_phone", "agent_role", "timezone", "hours_mode", "hours_mon", "show_on",
                 "hide_on", "devices", "delay", "scroll", "message", "optin_enabled",
                 "optin_purpose", "optin_text", "enabled"):
        assert f'name="{name}"' in page, name
    # Defaults from widget.settings, the real widget script in preview mode, no inline code.
    assert 'value="#0b7a5c"' in page
    assert 'id="no-optins"' in page and "Turn on the opt-in form" in page
    assert html.escape(settings.DEFAULTS["message"], quote=False) in page
    assert '<script src="/widget.js" data-store="' in page and "data-preview" in page
    assert '<script src="/static/designer.js" defer></script>' in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None, "inline script"
    assert "<style" not in page and ' style="' not in page
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    # The widget's own <style> in its Shadow DOM carries the nonce of its script tag.
    nonce = re.search(r'data-preview nonce="([\w-]{16,})"', page)
    assert nonce is not None and f"style-src 'self' 'nonce-{nonce.group(1)}';" in policy


def test_the_admin_home_links_to_the_designer(app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app)
    page = owner.get("/").get_data(as_text=True)
    assert f'href="/stores/{store_id}/widget"' in page


def test_saving_stores_the_cleaned_settings(app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app)
    data = form_data(owner, store_id)
    response = owner.post(f"/stores/{store_id}/widget", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/stores/{store_id}/widget")
    row = saved(app, store_id)
    assert row is not None and row.enabled is True
    assert row.settings == settings.clean(row.settings, "PT")  # stored clean
    assert row.settings["agents"] == [
        {"name": "Ana", "role": "Vendas", "phone": "+351912345678"},
        {"name": "Rui", "role": "Apoio", "phone": "+351913000111"}]
    assert row.settings["hours"] == {
        "mon": [["09:00", "13:00"], ["14:00", "18:00"]], "tue": [["09:00", "17:30"]],
        "wed": [], "thu": [], "fri": [], "sat": [], "sun": []}
    assert row.settings["holidays"] == ["2026-01-01", "2026-12-25"]  # sorted, once each
    assert row.settings["show_on"] == ["/products/*", "/collections/*"]
    assert row.settings["hide_on"] == ["/checkout*"]
    assert (row.settings["position"], row.settings["color"], row.settings["lang"]) == (
        "start", "#123abc", "pt")
    assert (row.settings["devices"], row.settings["delay"], row.settings["scroll"]) == (
        "mobile", 5, 40)
    assert row.settings["greeting"] == "Olá <b>amigo</b>"  # plain text; the widget escapes
    assert row.settings["optin"] == {"enabled": True, "purpose": "back_in_stock",
                                     "text": "Tell me on WhatsApp when it is back."}
    # The page shows what was saved; the public config carries it.
    page = owner.get(f"/stores/{store_id}/widget").get_data(as_text=True)
    assert "Widget settings saved" in page
    assert 'value="+351912345678"' in page and 'value="09:00-13:00, 14:00-18:00"' in page
    with app.app_context():
        key = db.session().get(Store, store_id).key
    config = owner.get(f"/widget/{key}/config.json").json
    assert config["enabled"] is True and config["color"] == "#123abc"
    assert [a["name"] for a in config["agents"]] == ["Ana", "Rui"]

    # Turning it off is saved too; the storefront then gets nothing.
    owner.post(f"/stores/{store_id}/widget", data=form_data(owner, store_id, enabled=""))
    assert saved(app, store_id).enabled is False  # type: ignore[union-attr]
    assert owner.get(f"/widget/{key}/config.json").json == {"v": 1, "enabled": False}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"color": "red; background:url(x)"}, "color", "#RRGGBB"),
    ({"agent_phone": ["12", "", ""]}, "agent-0",
     "“12” is not a valid phone number; write it with its country code, e.g. "
     "+351 912 345 678 (a number without one is read as a number in Portugal)"),
    ({"agent_phone": ["", "+351 913 000 111", ""]}, "agent-0", "add a phone number"),
    ({"hours_mon": "9-5"}, "hours-mon", "Monday: write spans like"),
    ({"hours_tue": "18:00-09:00"}, "hours-tue", "start before end"),
    ({"hours_wed": "08:00-09:00, 10:00-11:00, 12:00-13:00, 14:00-15:00, 16:00-17:00"},
     "hours-wed", "Wednesday: at most 4 spans"),
    ({"holidays": "2026-12-25\nChristmas"}, "holidays", "“Christmas” is not a date"),
    ({"holidays": "2026-02-30"}, "holidays", "one date per line, like 2026-12-25"),
    ({"delay": "soon"}, "delay", "whole number"),
    ({"scroll": "150"}, "scroll", "from 0 to 100"),
    ({"position": "middle"}, "position", "Choose a side"),
    ({"lang": "xx"}, "lang", "Choose a language"),
    ({"devices": "fridge"}, "devices", "Choose devices"),
    ({"cta": "x" * 61}, "cta", "At most 60 characters"),
    ({"timezone": "Mars/Olympus"}, "timezone", "Choose a timezone"),
    ({"show_on": "products"}, "show_on", "start each with /"),
    ({"optin_purpose": "spam"}, "optin_purpose", "Choose what shoppers sign up for"),
])
def test_bad_values_are_refused_with_the_error_by_the_field(
        app: Flask, owner: FlaskClient, changes: dict[str, Any], field: str,
        message: str) -> None:
    store_id = add_store(app)
    response = owner.post(f"/stores/{store_id}/widget", data=form_data(owner, store_id, **changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    if field.startswith("agent"):
        box = re.search(r'id="error-agents"[^>]*>(.*?)</div>', page, re.S)
    else:
        box = re.search(rf'id="error-{field}"[^>]*>(.*?)</p>', page, re.S)
        assert f'aria-describedby="error-{field}" aria-invalid="true"' in page
    assert box is not None and message in html.unescape(box.group(1)), page
    assert saved(app, store_id) is None  # nothing stored
    # What the owner typed in a text field is shown again, escaped.
    typed = next(iter(changes.values()))
    if isinstance(typed, str) and field not in ("position", "lang", "devices", "optin_purpose"):
        assert html.escape(typed) in page


def test_saving_needs_the_csrf_token(app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app)
    data = form_data(owner, store_id)
    del data["csrf_token"]
    assert owner.post(f"/stores/{store_id}/widget", data=data).status_code == 400
    assert owner.post(f"/stores/{store_id}/widget/preview", data=data).status_code == 400
    assert saved(app, store_id) is None


def test_another_owner_gets_404(app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app)
    create_owner(app, "other@example.com")
    other = app.test_client()
    sign_in(other, "other@example.com")
    assert other.get(f"/stores/{store_id}/widget").status_code == 404
    data = form_data(owner, store_id)
    data["csrf_token"] = csrf_token(other, "/")
    assert other.post(f"/stores/{store_id}/widget", data=data).status_code == 404
    assert other.post(f"/stores/{store_id}/widget/preview", data=data).status_code == 404
    assert saved(app, store_id) is None
    anonymous = app.test_client().get(f"/stores/{store_id}/widget")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/signin")


def test_the_preview_answers_the_config_of_the_form_without_saving(
        app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app)
    response = owner.post(f"/stores/{store_id}/widget/preview",
                          data=form_data(owner, store_id, enabled="", timezone="Asia/Tokyo"))
    assert response.status_code == 200
    config = response.json["config"]
    assert response.json["errors"] == {}
    # The public config's shape, shown whatever the rules and the on/off switch say.
    assert config["enabled"] is True and config["position"] == "start"
    assert config["lang"] == "pt" and config["strings"]["close"] == "Fechar"
    assert config["agents"][0] == {"name": "Ana", "role": "Vendas", "phone": "351912345678"}
    assert (config["show"], config["hide"], config["devices"], config["delay"],
            config["scroll"]) == ([], [], "all", 0, 0)
    assert config["tz"] == "Asia/Tokyo"
    assert config["optin"] == {"purpose": "back_in_stock",
                               "text": "Tell me on WhatsApp when it is back."}
    assert saved(app, store_id) is None
    bad = owner.post(f"/stores/{store_id}/widget/preview",
                     data=form_data(owner, store_id, color="nope"))
    assert "color" in bad.json["errors"]
    assert bad.json["config"]["color"] == settings.DEFAULT_COLOR  # cleaned, not raw


def test_an_agent_abroad_is_kept_in_e164_and_stays_on_the_storefront(
        app: Flask, owner: FlaskClient) -> None:
    """Issue 21: a Spanish agent on a Portuguese store was saved as bare digits, read back
    as a Portuguese national number, dropped, and the widget went dark."""
    store_id = add_store(app)
    data = form_data(owner, store_id, agent_name=["Lucía", ""],
                     agent_phone=["+34 612 345 678", ""], agent_role=["Ventas", ""])
    assert owner.post(f"/stores/{store_id}/widget", data=data).status_code == 303
    row = saved(app, store_id)
    assert row is not None
    assert row.settings["agents"] == [{"name": "Lucía", "role": "Ventas", "phone": "+34612345678"}]
    assert settings.clean(row.settings, "PT")["agents"] == row.settings["agents"]  # kept
    with app.app_context():
        key = db.session().get(Store, store_id).key
    config = owner.get(f"/widget/{key}/config.json").json
    assert config["enabled"] is True
    assert config["agents"] == [{"name": "Lucía", "role": "Ventas", "phone": "34612345678"}]
    # The designer shows the number as saved, and saving it again changes nothing.
    page = owner.get(f"/stores/{store_id}/widget").get_data(as_text=True)
    assert 'value="+34612345678"' in page
    again = form_data(owner, store_id, agent_name=["Lucía", ""], agent_phone=["+34612345678", ""],
                      agent_role=["Ventas", ""])
    assert owner.post(f"/stores/{store_id}/widget", data=again).status_code == 303
    assert saved(app, store_id).settings["agents"] == row.settings["agents"]  # type: ignore[union-attr]


def test_agents_saved_as_bare_digits_by_earlier_versions_still_show(
        app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app)
    with app.app_context(), db.transaction() as session:
        session.add(WidgetSettings(store_id=store_id, settings={"agents": [
            {"name": "Lucía", "role": "", "phone": "34612345678"},
            {"name": "Ana", "role": "", "phone": "351912345678"}]}))
        key = session.get(Store, store_id).key  # type: ignore[union-attr]
    config = owner.get(f"/widget/{key}/config.json").json
    assert [(a["name"], a["phone"]) for a in config["agents"]] == [
        ("Lucía", "34612345678"), ("Ana", "351912345678")]
    page = owner.get(f"/stores/{store_id}/widget").get_data(as_text=True)
    assert 'value="+34612345678"' in page and 'value="+351912345678"' in page


def test_no_agent_and_no_number_previews_nothing(app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app)
    data = form_data(owner, store_id, agent_name=[""], agent_phone=[""], agent_role=[""])
    assert owner.post(f"/stores/{store_id}/widget/preview", data=data).json["config"] == {
        "v": 1, "enabled": False}
    with app.app_context(), db.transaction() as session:
        session.add(WhatsAppAccount(store_id=store_id, phone_number_id="pn-1", waba_id="w-1",
                                    display_phone="+351 912 345 678", access_token="secret-token"))
    config = owner.post(f"/stores/{store_id}/widget/preview", data=data).json["config"]
    assert config["agents"] == [{"name": "Linen & Co", "role": "", "phone": "351912345678"}]
    assert "secret-token" not in str(config)


def test_the_designer_links_to_the_widget_figures_on_the_analytics_page(
        app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app)
    other_id = add_store(app, name="Someone else", owner_id=None)
    today = rollups.store_today("Europe/Lisbon")  # add_store's timezone
    rows = [(store_id, today, "click", "/products/shirt", "SKU-1", 3),
            (store_id, today, "click", "/products/hat", "", 2),
            (store_id, today, "open", "/products/shirt", "SKU-1", 7),
            (store_id, today - timedelta(days=1), "click", "/products/shirt", "SKU-1", 4),
            (store_id, today - timedelta(days=45), "click", "/old-page", "OLD-SKU", 9),
            (other_id, today, "click", "/their-page", "THEIR-SKU", 5)]
    with app.app_context(), db.transaction() as session:
        for sid, day, kind, path, product, count in rows:
            session.add(WidgetCounter(store_id=sid, day=day, kind=kind, path=path,
                                      product=product, count=count))
    page = owner.get(f"/stores/{store_id}/widget").get_data(as_text=True)
    link = re.search(r'id="widget-figures-link" href="([^"]+)"', page)
    assert link is not None and link.group(1) == f"/stores/{store_id}/analytics#widget-figures"
    analytics = owner.get(f"/stores/{store_id}/analytics?days=30").get_data(as_text=True)
    found = re.search(r'id="widget-table".*?</table>', analytics, re.S)
    assert found is not None
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))
    assert "/products/shirt SKU-1 7 7 (100.0% of opens) 0" in cells
    assert "/products/hat — 0 2 0" in cells
    assert cells.index("/products/shirt") < cells.index("/products/hat")
    for absent in ("/old-page", "OLD-SKU", "/their-page", "THEIR-SKU"):
        assert absent not in analytics


def test_the_newest_widget_opt_ins_are_listed_with_masked_numbers(
        app: Flask, owner: FlaskClient) -> None:
    from plugin.models import ConsentEntry, Customer

    store_id = add_store(app)
    other_id = add_store(app, name="Someone else", owner_id=None)
    now = db.utcnow().replace(microsecond=0)
    with app.app_context(), db.transaction() as session:
        def optin(sid: int, phone: str, page: str | None, minutes_ago: int,
                  source: str = "widget", wrote: bool = False) -> None:
            customer = Customer(store_id=sid, platform_id=f"widget:{phone}:{source}",
                                phone_e164=phone, tags=[],
                                last_inbound_at=now if wrote else None)
            session.add(customer)
            session.flush()
            session.add(ConsentEntry(store_id=sid, customer_id=customer.id,
                                     purpose="back_in_stock", granted=True, source=source,
                                     text_shown="Tell me", page=page,
                                     created_at=now - timedelta(minutes=minutes_ago)))

        optin(store_id, "+351912345678", "/products/linen-shirt", 5, wrote=True)
        optin(store_id, "+34612345678", None, 1)
        optin(store_id, "+351913000111", "/cart", 3, source="woocommerce_checkout")
        optin(other_id, "+351917777777", "/their-page", 2)
    page = owner.get(f"/stores/{store_id}/widget").get_data(as_text=True)
    found = re.search(r'id="optins-table".*?</table>', page, re.S)
    assert found is not None, page
    table = found.group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]  # the header row first
    assert len(rows) == 2  # the widget's only, this store's only
    assert "+34 ••••••678" in rows[0] and "Not yet" in rows[0]  # newest first
    assert "+351 ••••••678" in rows[1] and "/products/linen-shirt" in rows[1]
    assert ">Yes<" in rows[1] and "Back in stock" in rows[1]
    for hidden in ("912345678", "612345678", "/their-page", "917777777", "/cart"):
        assert hidden not in page
    assert f'href="/stores/{store_id}/customers"' in page


def test_the_snippet_and_the_woocommerce_pointer(app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app)
    with app.app_context():
        key = db.session().get(Store, store_id).key
    page = owner.get(f"/stores/{store_id}/widget").get_data(as_text=True)
    snippet = f'<script src="http://127.0.0.1:8000/widget.js" data-store="{key}" defer></script>'
    shown = re.search(r'<code id="snippet">(.*?)</code>', page, re.S)
    assert shown is not None and html.unescape(shown.group(1)) == snippet
    assert snippet not in page  # shown as text, not run
    assert 'id="woocommerce-plugin"' in page and "WooCommerce › StoreChat" in page
    assert "theme editor" not in page


@pytest.fixture
def shopify_app(tmp_path: Path) -> Iterator[Flask]:
    application = make_app(tmp_path / "instance", shopify_api_key=API_KEY,
                           shopify_api_secret=API_SECRET)
    yield application
    application.extensions["storechat.engine"].dispose()


def _id_token(shop: str) -> str:
    now = int(time.time())
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": API_KEY,
              "sub": "42", "exp": now + 60, "nbf": now - 5, "iat": now - 5,
              "jti": str(uuid.uuid4()), "sid": "session-1"}
    return jwt.encode(claims, API_SECRET, algorithm="HS256")


def test_a_shopify_store_gets_the_theme_editor_deep_link(shopify_app: Flask) -> None:
    create_owner(shopify_app, "owner@example.com")
    store_id = add_store(shopify_app, platform="shopify", domain="acme-linen.myshopify.com")
    client = shopify_app.test_client()
    sign_in(client, "owner@example.com")
    page = client.get(f"/stores/{store_id}/widget").get_data(as_text=True)
    link = ("https://acme-linen.myshopify.com/admin/themes/current/editor?context=apps"
            f"&activateAppId={API_KEY}/app-embed")
    assert f'href="{html.escape(link)}"' in page
    assert "Or any other site" in page and 'id="snippet"' in page

    # The shop itself (an App Bridge ID token) opens its designer too, and only its own.
    other_id = add_store(shopify_app, platform="shopify", domain="other-shop.myshopify.com",
                         owner_id=None)
    embedded = shopify_app.test_client()
    headers = {"Authorization": f"Bearer {_id_token('acme-linen.myshopify.com')}"}
    response = embedded.get(f"/stores/{store_id}/widget", headers=headers)
    assert response.status_code == 200
    assert f'href="{html.escape(link)}"' in response.get_data(as_text=True)
    assert embedded.get(f"/stores/{other_id}/widget", headers=headers).status_code == 404


def test_a_shopify_store_without_the_api_key_says_what_to_configure(
        app: Flask, owner: FlaskClient) -> None:
    store_id = add_store(app, platform="shopify", domain="acme-linen.myshopify.com")
    page = owner.get(f"/stores/{store_id}/widget").get_data(as_text=True)
    assert 'id="shopify-deep-link-missing"' in page and "SHOPIFY_API_KEY" in page
    assert "activateAppId" not in page
