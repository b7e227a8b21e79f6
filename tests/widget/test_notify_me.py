"""POST /widget/<key>/notify: what a storefront's "Notify me" form may send, and what it
gets back. The whole flow (confirm, restock, alert) is in tests/pipeline/alerts."""
from __future__ import annotations

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from plugin.infra import db
from plugin.models import AlertSubscription, CatalogItem, ConsentEntry, Store


def shop(app: Flask) -> str:
    """A store with one variant in its catalog; its key."""
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="shop.example", name="Shop", country="PT")
        session.add(store)
        session.flush()
        session.add(CatalogItem(store_id=store.id, variant_id="77", product_id="77",
                                retailer_id=f"{store.id}-77", title="Mug", data=None,
                                content_hash="", state="kept_out", warnings=[],
                                stock_levels={"store": 0}))
        return store.key


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (db.session().scalar(select(func.count(AlertSubscription.id))) or 0,
                db.session().scalar(select(func.count(ConsentEntry.id))) or 0)


def test_a_valid_form_subscribes_and_names_the_message_to_send(app: Flask) -> None:
    key = shop(app)
    response = app.test_client().post(f"/widget/{key}/notify", data={
        "phone": "912 345 678", "consent": "1", "variant": "77", "page": "/p/mug?utm=x"})
    assert response.status_code == 201
    assert response.get_json() == {"ok": True, "wa": "",
                                   "text": "Notify me when Mug is back in stock"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    with app.app_context():
        subscription = db.session().scalars(select(AlertSubscription)).one()
        consent = db.session().scalars(select(ConsentEntry)).one()
    assert (subscription.state, subscription.page) == ("pending", "/p/mug")
    assert consent.text_shown.startswith("Send me a WhatsApp message")  # the default words


def test_a_bot_filling_the_trap_is_told_nothing_and_stored_nowhere(app: Flask) -> None:
    key = shop(app)
    response = app.test_client().post(f"/widget/{key}/notify", data={
        "phone": "+351912345678", "consent": "1", "variant": "77", "website": "spam.example"})
    assert response.status_code == 201
    assert counts(app) == (0, 0)


def test_no_form_makes_it_fail(app: Flask) -> None:
    key = shop(app)
    client = app.test_client()

    @settings(max_examples=60, deadline=None)
    @given(fields=st.dictionaries(
        st.sampled_from(["phone", "consent", "variant", "page", "text", "website", "x"]),
        st.text(max_size=300), max_size=7))
    def post(fields: dict[str, str]) -> None:
        app.extensions["storechat.limiter"].storage.reset()
        response = client.post(f"/widget/{key}/notify", data=fields)
        assert response.status_code in (201, 400)
        if response.status_code == 400 and response.is_json:  # (NUL bytes: the app's own 400)
            assert set(response.get_json()["fields"]) <= {"phone", "consent", "variant"}

    post()


def test_a_json_body_or_a_long_key_is_refused_cleanly(app: Flask) -> None:
    key = shop(app)
    client = app.test_client()
    assert client.post(f"/widget/{key}/notify", json={"phone": "+351912345678"}
                       ).status_code == 400
    assert client.post(f"/widget/{'k' * 300}/notify", data={}).status_code == 404
    assert counts(app) == (0, 0)
