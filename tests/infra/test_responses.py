"""Headers every response carries."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import make_app

HSTS = "max-age=31536000; includeSubDomains"


def test_https_public_url_sends_hsts_on_every_response(tmp_path: Path) -> None:
    client = make_app(tmp_path / "instance", public_url="https://chat.example.com").test_client()
    for path in ("/healthz", "/signin", "/no-such-page", "/widget.js"):
        assert client.get(path).headers.get("Strict-Transport-Security") == HSTS, path


def test_http_public_url_sends_no_hsts(tmp_path: Path) -> None:
    client = make_app(tmp_path / "instance", public_url="http://127.0.0.1:8000").test_client()
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_an_unknown_page_is_a_styled_404_with_a_way_home(tmp_path: Path) -> None:
    client = make_app(tmp_path / "instance").test_client()
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<title>Page not found · StoreChat</title>" in html
    assert '<h1 id="error-title">Page not found</h1>' in html
    assert '<a class="button" href="/">Back to StoreChat home</a>' in html
    assert 'href="/static/app.css"' in html
    assert 'id="site-nav"' not in html  # nobody is signed in


def test_json_callers_get_json_errors(tmp_path: Path) -> None:
    client = make_app(tmp_path / "instance").test_client()
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"] == "Not Found"
    assert client.post("/webhooks/no-such-source", data=b"{}").is_json


def test_a_404_inside_a_store_leads_back_to_the_store(tmp_path: Path) -> None:
    from plugin.infra import db
    from plugin.models import Store
    from tests.conftest import create_owner, sign_in

    app = make_app(tmp_path / "instance")
    owner_id = create_owner(app, "owner@example.com")
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="https://shop.example", name="Linen",
                      owner_id=owner_id)
        session.add(store)
        session.flush()
        store_id = store.id
    client = app.test_client()
    sign_in(client, "owner@example.com")
    response = client.get(f"/stores/{store_id}/automations/no-such-journey")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert f'<a class="button" href="/stores/{store_id}/inbox">Back to Linen</a>' in html
    assert 'id="site-nav"' in html  # the shell stays: the owner can go anywhere from here


def test_a_500_says_so_without_details_or_navigation(tmp_path: Path) -> None:
    from flask import Blueprint

    from plugin.auth.guard import protect
    from tests.conftest import create_owner, sign_in

    app = make_app(tmp_path / "instance")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does
    broken = protect(Blueprint("broken_admin", __name__))

    @broken.get("/broken")
    def fail() -> str:
        raise RuntimeError("secret internals")

    app.register_blueprint(broken)
    create_owner(app, "owner@example.com")
    client = app.test_client()
    sign_in(client, "owner@example.com")
    response = client.get("/broken")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html
    assert 'id="site-nav"' not in html  # what failed may be what the nav reads
    assert '<a class="button" href="/">Back to StoreChat home</a>' in html
