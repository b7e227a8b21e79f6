"""The customer list (search, filters, paging), one customer's page with manual tags, and the
segment pages (editor, "Count" without script, the JSON count); other stores answer 404."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.admin import customer_list
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, CustomerTag, Order, Segment
from tests.admin.test_customers import page_of
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner, csrf_token


def people(app: Flask, store_id: int) -> dict[str, int]:
    """Ana (PT, pt-PT, opted in, frequent, 3 orders, 150 EUR), Bob (US number, en, opted
    in on a form, unconfirmed, 1 order 20 EUR, vip), Cara (no number, opted out, never
    ordered)."""
    now = db.utcnow()
    ids = {}
    with app.app_context(), db.transaction() as session:
        for name, phone, country, locale, spent, count, last in (
                ("Ana Silva", "+351912000111", "PT", "pt-PT", 15000, 3, now - timedelta(days=3)),
                ("Bob Stone", "+12025550123", "US", "en", 2000, 1, now - timedelta(days=100)),
                ("Cara Diaz", None, "ES", "es_ES", 0, 0, None)):
            first, last_name = name.split()
            customer = Customer(store_id=store_id, platform_id=name, first_name=first,
                                last_name=last_name, phone_e164=phone, country=country,
                                locale=locale, spent_cents=spent, order_count=count,
                                last_order_at=last, email=f"{first.lower()}@example.com",
                                tags=[])
            session.add(customer)
            session.flush()
            ids[first] = customer.id
        session.add_all([
            CustomerTag(store_id=store_id, customer_id=ids["Ana"], tag="frequent",
                        source="auto"),
            CustomerTag(store_id=store_id, customer_id=ids["Bob"], tag="vip", source="manual"),
            ConsentEntry(store_id=store_id, customer_id=ids["Ana"], purpose="marketing",
                         granted=True, source="woocommerce_checkout", text_shown="Yes"),
            ConsentEntry(store_id=store_id, customer_id=ids["Bob"], purpose="marketing",
                         granted=True, source="widget", text_shown="Yes"),
            ConsentEntry(store_id=store_id, customer_id=ids["Cara"], purpose="marketing",
                         granted=False, source="whatsapp_stop", text_shown="STOP"),
            Order(store_id=store_id, platform_id="ana-1", number="5001",
                  customer_id=ids["Ana"], status="processing", currency="EUR",
                  total="150.00", placed_at=now - timedelta(days=3), discounted=True),
        ])
    return ids


def listed(client: FlaskClient, store_id: int, query: str = "") -> list[str]:
    page = page_of(client, f"/stores/{store_id}/customers?{query}")
    # Only the list's table: the consent section below names customers too.
    page = page.split('id="customer-list"', 1)[1].split("</table>", 1)[0] \
        if 'id="customer-list"' in page else ""
    return [name for name in ("Ana Silva", "Bob Stone", "Cara Diaz", "Rui Costa")
            if f">{name}</a>" in page]


def test_the_list_shows_each_customer_with_tags_consent_and_spend(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    people(app, store_id)
    page = page_of(owner, f"/stores/{store_id}/customers")
    assert 'id="customer-list"' in page and 'id="consent-lookup"' in page
    assert "+351 ••••••111" in page and "+351912000111" not in page  # masked
    assert '<li class="chip chip-auto">frequent</li>' in page
    assert 'class="chip chip-manual" title="manual tag">vip</li>' in page
    assert "150.00 EUR" in page and "Opted in" in page and "Opted out" in page


@pytest.mark.parametrize(("query", "names"), [
    ("q=silva", ["Ana Silva"]),
    ("q=bob%40example", ["Bob Stone"]),
    ("q=912000111", ["Ana Silva"]),
    ("q=%2B1+202+555+0123", ["Bob Stone"]),
    ("tag=vip", ["Bob Stone"]),
    ("consent=opted_in", ["Ana Silva"]),
    ("consent=opted_out", ["Cara Diaz"]),
    ("consent=none", ["Rui Costa"]),
    ("consent=unconfirmed", ["Bob Stone"]),
    ("country=es", ["Cara Diaz"]),
    ("language=pt", ["Ana Silva"]),
    ("last_order=7", ["Ana Silva"]),
    ("last_order=never", ["Cara Diaz", "Rui Costa"]),
    ("spent_min=20&spent_max=20.00", ["Bob Stone"]),
    ("spent_min=abc", ["Ana Silva", "Bob Stone", "Cara Diaz", "Rui Costa"]),  # ignored
    ("tag=vip&country=PT", []),
])
def test_each_filter_narrows_the_list(app: Flask, owner: FlaskClient, query: str,
                                      names: list[str]) -> None:
    store_id = make_store(app)  # with Rui Costa: no tags, no consent, no order aggregates
    people(app, store_id)
    assert listed(owner, store_id, query) == names


def test_the_list_pages_by_cursor(app: Flask, owner: FlaskClient,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store_id = make_store(app)
    ids = people(app, store_id)
    monkeypatch.setattr(customer_list, "PAGE", 2)
    page = page_of(owner, f"/stores/{store_id}/customers")
    assert listed(owner, store_id) == ["Bob Stone", "Cara Diaz"]  # newest first
    assert f"before={ids['Bob']}" in page
    assert listed(owner, store_id, f"before={ids['Bob']}") == ["Ana Silva", "Rui Costa"]
    assert 'rel="next"' not in page_of(owner, f"/stores/{store_id}/customers?before={ids['Bob']}")


def test_the_customer_page_and_manual_tags(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    ids = people(app, store_id)
    url = f"/stores/{store_id}/customers/{ids['Ana']}"
    page = page_of(owner, url)
    assert "#5001" in page and "Code used" in page and "Opted in: marketing" in page
    assert "WooCommerce checkout (order placed)" in page  # the consent history
    assert '<li class="chip chip-auto">frequent' in page
    csrf = csrf_token(owner, url)
    response = owner.post(f"{url}/tags", data={"tag": "Wholesale Buyer", "csrf_token": csrf})
    assert response.status_code == 302
    page = page_of(owner, url)
    assert "wholesale_buyer" in page and 'aria-label="Remove tag wholesale_buyer"' in page
    # Automatic tags cannot be removed here: only the manual row goes.
    owner.post(f"{url}/tags/remove", data={"tag": "frequent", "csrf_token": csrf})
    owner.post(f"{url}/tags/remove", data={"tag": "wholesale_buyer", "csrf_token": csrf})
    with app.app_context():
        assert set(db.session().scalars(select(CustomerTag.tag).where(
            CustomerTag.customer_id == ids["Ana"]))) == {"frequent"}
    response = owner.post(f"{url}/tags", data={"tag": "!!", "csrf_token": csrf},
                          follow_redirects=True)
    assert "is not a tag" in response.get_data(as_text=True)
    # Without the CSRF token nothing changes.
    assert owner.post(f"{url}/tags", data={"tag": "x"}).status_code in (400, 403)


def test_segments_editor_counts_and_saves(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    people(app, store_id)
    base = f"/stores/{store_id}/segments"
    assert 'id="no-segments"' in page_of(owner, base)
    csrf = csrf_token(owner, f"{base}/new")
    form = {"csrf_token": csrf, "name": "Buyers", "match": "all", "orders_min": "1"}
    # "Count" without script: the same page with the audience, nothing saved.
    counted = owner.post(f"{base}/new", data={**form, "action": "count"})
    text = counted.get_data(as_text=True)
    assert counted.status_code == 200 and 'id="reachable">1<' in text
    assert 'id="matched">2<' in text and 'data-reason="unconfirmed">1<' in text
    bad = owner.post(f"{base}/new", data={**form, "orders_min": "lots", "name": "",
                                          "action": "save"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'id="error-orders_min"' in page and "a number" in page and "Give the segment" in page
    saved = owner.post(f"{base}/new", data={**form, "action": "save"})
    assert saved.status_code == 302
    with app.app_context():
        segment = db.session().scalars(select(Segment)).one()
        assert segment.definition["orders_min"] == 1 and segment.store_id == store_id
    listing = page_of(owner, base)
    assert ">Buyers</a>" in listing and "<strong>1</strong>" in listing
    assert 'value="1"' in page_of(owner, f"{base}/{segment.id}")
    live = owner.get(f"{base}/count?match=any&tags_include=vip&countries=ES").json
    assert (live["matched"], live["reachable"]) == (2, 0)
    assert {i["reason"]: i["count"] for i in live["left_out"]}["no_number"] == 1
    wrong = owner.get(f"{base}/count?countries=Spain")
    assert wrong.status_code == 200 and "countries" in wrong.json["errors"]
    assert "matched" not in wrong.json


def test_another_owners_customers_and_segments_answer_404(app: Flask,
                                                          owner: FlaskClient) -> None:
    mine = make_store(app)
    create_owner(app, "other@example.com")
    theirs = make_store(app, email="other@example.com", name="Other shop")
    their_people = people(app, theirs)
    with app.app_context(), db.transaction() as session:
        segment = Segment(store_id=theirs, name="Theirs", definition={})
        session.add(segment)
        session.flush()
        segment_id = segment.id
    for url in (f"/stores/{mine}/customers/{their_people['Ana']}",
                f"/stores/{theirs}/customers/{their_people['Ana']}",
                f"/stores/{mine}/segments/{segment_id}", f"/stores/{theirs}/segments",
                f"/stores/{theirs}/segments/count"):
        assert owner.get(url).status_code == 404, url
    csrf = csrf_token(owner, f"/stores/{mine}/customers")
    response = owner.post(f"/stores/{mine}/customers/{their_people['Ana']}/tags",
                          data={"tag": "mine", "csrf_token": csrf})
    assert response.status_code == 404
    assert "Ana Silva" not in page_of(owner, f"/stores/{mine}/customers?q=ana")


def test_the_owner_adjusts_the_tag_rules(app: Flask, owner: FlaskClient) -> None:
    from plugin.models import TagSettings
    from plugin.pipeline import customer_tags

    store_id = make_store(app)
    ids = people(app, store_id)
    url = f"/stores/{store_id}/customers/tag-rules"
    page = page_of(owner, url)
    assert 'value="7"' in page and 'value="50"' in page and "Default: 20%" in page
    csrf = csrf_token(owner, url)
    form = {"csrf_token": csrf, "new_days": "14", "frequent_orders": "3",
            "frequent_days": "90", "at_risk_days": "45", "deal_share": "75",
            "high_value_top_share": "20", "write_back": "on"}
    bad = owner.post(url, data={**form, "new_days": "0", "deal_share": "150"})
    assert bad.status_code == 422
    assert "A whole number from 1 to 3650." in bad.get_data(as_text=True)
    with app.app_context(), db.transaction() as session:
        # Ana: one of her two orders discounted, a half (deal_seeker by the default rule).
        session.add(Order(store_id=store_id, platform_id="ana-2", number="5002",
                          customer_id=ids["Ana"], status="processing", currency="EUR",
                          total="10.00", placed_at=db.utcnow() - timedelta(days=2)))
        session.flush()
        customer_tags.recompute(session, store_id, [ids["Ana"]])
        assert "deal_seeker" in session.get(Customer, ids["Ana"]).tags  # type: ignore[union-attr]
    assert owner.post(url, data=form).status_code == 302
    with app.app_context():
        settings = db.session().get(TagSettings, store_id)
        assert settings is not None and settings.write_back
        assert settings.rules["new_days"] == 14 and settings.rules["deal_share"] == 0.75
        assert db.session().get(Customer, ids["Ana"]).tags_computed_at is None  # type: ignore[union-attr]
        # The next daily pass recomputes with the new rules: a half is below 75 %.
        customer_tags.run_daily()
        assert "deal_seeker" not in db.session().get(Customer, ids["Ana"]).tags  # type: ignore[union-attr]
    assert 'value="14"' in page_of(owner, url)
