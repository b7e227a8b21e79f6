"""Customers and consent in the admin: a phone number's whole consent history with time,
source and the text shown; the store's newest changes; other owners' stores answer 404."""
from __future__ import annotations

import html
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import ConsentEntry, Customer
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner

BOX = "Quero receber novidades e ofertas por WhatsApp."


def add_history(app: Flask, store_id: int) -> int:
    """Rui (+351913000111): a checkout opt-in, STOP, an SMS opt-in at Shopify."""
    with app.app_context(), db.transaction() as session:
        rui = session.scalars(select(Customer).where(Customer.store_id == store_id)).one()
        session.add_all([
            ConsentEntry(store_id=store_id, customer_id=rui.id, purpose="marketing",
                         granted=True, source="woocommerce_checkout", text_shown=BOX,
                         ip="198.51.100.7", created_at=datetime(2026, 11, 1, 9, 30)),
            ConsentEntry(store_id=store_id, customer_id=rui.id, purpose="marketing",
                         granted=False, source="whatsapp_stop", text_shown="STOP🙏",
                         created_at=datetime(2026, 11, 20, 18, 5)),
            ConsentEntry(store_id=store_id, customer_id=rui.id, purpose="sms_marketing",
                         granted=True, source="shopify_sms",
                         text_shown="SMS marketing consent in Shopify (single opt in)",
                         created_at=datetime(2026, 11, 10, 12, 0)),
        ])
        return rui.id


def page_of(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return html.unescape(response.get_data(as_text=True))


def test_a_phone_numbers_history_shows_every_change_newest_first(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    add_history(app, store_id)
    # Typed as the owner would: national format, spaces.
    page = page_of(owner, f"/stores/{store_id}/customers?phone=913 000 111")
    assert "Rui Costa" in page and "+351913000111" in page
    assert "WhatsApp marketing now:</strong> Opted out" in page
    stop = page.index("2026-11-20 18:05")
    sms = page.index("2026-11-10 12:00")
    checkout = page.index("2026-11-01 09:30")
    assert stop < sms < checkout
    assert "Wrote STOP (or tapped Stop) in WhatsApp" in page and "STOP🙏" in page
    assert "WooCommerce checkout (order placed)" in page and BOX in page
    assert "from 198.51.100.7" in page
    assert "SMS marketing (Shopify)" in page and "Shopify customer record" in page
    assert page.count(">Withdrawn<") == 1 and page.count(">Given<") == 2


def test_the_store_page_lists_the_newest_changes_and_unknown_numbers_say_so(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    page = page_of(owner, f"/stores/{store_id}/customers")
    assert 'id="no-changes"' in page
    add_history(app, store_id)
    page = page_of(owner, f"/stores/{store_id}/customers")
    assert page.count("Rui Costa") >= 3 and BOX in page
    assert 'id="not-found"' in page_of(owner, f"/stores/{store_id}/customers?phone=+351919999999")
    assert 'id="unreadable"' in page_of(owner, f"/stores/{store_id}/customers?phone=abc")
    home = page_of(owner, "/")
    assert f'href="/stores/{store_id}/customers"' in home


def test_another_owners_store_answers_404(app: Flask, owner: FlaskClient) -> None:
    create_owner(app, "other@example.com")
    other = make_store(app, email="other@example.com", name="Other shop")
    add_history(app, other)
    body = page_of(owner, f"/stores/{other}/customers?phone=+351913000111", status=404)
    assert BOX not in body and "Rui" not in body


def test_a_widget_opt_in_shows_the_page_it_was_given_on(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    with app.app_context(), db.transaction() as session:
        rui = session.scalars(select(Customer).where(Customer.store_id == store_id)).one()
        session.add(ConsentEntry(store_id=store_id, customer_id=rui.id, purpose="back_in_stock",
                                 granted=True, source="widget", text_shown="Tell me",
                                 page="/products/linen-shirt"))
    page = page_of(owner, f"/stores/{store_id}/customers?phone=+351913000111")
    assert "Chat widget opt-in form" in page and "on /products/linen-shirt" in page
