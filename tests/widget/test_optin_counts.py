"""A widget opt-in is counted per page and product with the opens and clicks (what the
Analytics page reads); a refused one is not."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import WidgetCounter
from tests.widget.test_views import OPTIN, make_store


def test_an_opt_in_counts_once_per_page_and_product(app: Flask, client: FlaskClient) -> None:
    key = make_store(app, OPTIN)
    form = {"phone": "912 345 678", "consent": "1", "page": "/products/mug?email=a@b.c",
            "sku": "MUG-1"}
    assert client.post(f"/widget/{key}/optin", data=form).status_code == 201
    assert client.post(f"/widget/{key}/optin", data=form).status_code == 201
    assert client.post(f"/widget/{key}/optin", data={**form, "consent": ""}).status_code == 400
    with app.app_context():
        rows = [(r.kind, r.path, r.product, r.count)
                for r in db.session().scalars(select(WidgetCounter))]
    assert rows == [("optin", "/products/mug", "MUG-1", 2)]
