"""The admin shell's navigation (plugin/admin/nav.py) as a signed-in owner reads it: sections
in one order, shown once their page exists, for the store in context (never another
owner's), the current page marked, a switcher that keeps the section."""
from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient

from plugin.admin import nav
from plugin.auth.guard import protect
from plugin.infra import db
from plugin.models import Store
from tests.conftest import create_owner, make_app, sign_in


class NavReader(HTMLParser):
    """The links of <nav id="site-nav"> as (label, href, aria-current), and its groups."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str | None]] = []
        self.groups: list[str] = []
        self._depth = 0
        self._link: dict[str, str | None] | None = None
        self._group = False
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "nav" and values.get("id") == "site-nav":
            self._depth = 1
        elif self._depth and tag == "nav":
            self._depth += 1
        if not self._depth:
            return
        if tag == "a":
            self._link, self._text = values, ""
        elif tag == "span" and "nav-group" in (values.get("class") or ""):
            self._group, self._text = True, ""

    def handle_endtag(self, tag: str) -> None:
        if not self._depth:
            return
        if tag == "nav":
            self._depth -= 1
        elif tag == "a" and self._link is not None:
            self.links.append((self._text.strip(), self._link.get("href") or "",
                               self._link.get("aria-current")))
            self._link = None
        elif tag == "span" and self._group:
            self.groups.append(self._text.strip())
            self._group = False

    def handle_data(self, data: str) -> None:
        self._text += data


def read_nav(html: str) -> NavReader:
    reader = NavReader()
    reader.feed(html)
    return reader


def url(app: Flask, endpoint: str, **values: object) -> str:
    with app.test_request_context():
        return app.url_for(endpoint, **values)


def add_store(app: Flask, owner_id: int | None, name: str, platform: str = "woocommerce") -> int:
    with app.app_context(), db.transaction() as session:
        store = Store(platform=platform, domain=f"https://{name.lower()}.example", name=name,
                      country="PT", owner_id=owner_id)
        session.add(store)
        session.flush()
        return store.id


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Flask, FlaskClient, int, int, int]]:
    """An app where a page of a section still to come ("templates") exists; owner A with
    two stores, owner B with one; the client signed in as A."""
    app = make_app(tmp_path / "instance")
    if "templates_admin.index" not in app.view_functions:  # a stand-in until it is built
        later = protect(Blueprint("templates_admin", __name__))
        later.add_url_rule("/stores/<int:store_id>/templates", "index",
                           lambda store_id: "templates")
        app.register_blueprint(later)
    a = create_owner(app, "a@example.com")
    b = create_owner(app, "b@example.com")
    linen, cork = add_store(app, a, "Linen"), add_store(app, a, "Cork")
    other = add_store(app, b, "Bartholomew")
    client = app.test_client()
    assert sign_in(client, "a@example.com").status_code == 302
    yield app, client, linen, cork, other
    app.extensions["storechat.engine"].dispose()


def test_the_registry_lists_every_section_in_order() -> None:
    assert nav.SECTION_KEYS == ("home", "conversations", "customers", "campaigns",
                                "automations", "templates", "catalog", "widget", "analytics",
                                "settings")
    settings = next(entry for entry in nav.SECTIONS if entry.key == "settings")
    assert [child.label for child in settings.children] == [
        "WhatsApp number", "Store connection", "Team", "API tokens", "Marketing limits",
        "Owner accounts"]


def test_a_store_page_shows_the_sections_that_exist_for_that_store(world) -> None:  # type: ignore[no-untyped-def]
    app, client, linen, _, _ = world
    page = read_nav(client.get(f"/stores/{linen}/automations").get_data(as_text=True))
    assert [(label, href) for label, href, _ in page.links] == [
        ("Linen", f"/stores/{linen}/automations"),  # the switcher: same section, this store
        ("Cork", f"/stores/{world[3]}/automations"),
        ("Home", "/"),
        ("Inbox", f"/stores/{linen}/inbox"),
        ("Quick replies", f"/stores/{linen}/inbox/quick-replies"),
        ("Messages", f"/stores/{linen}/messages"),
        ("Customers", f"/stores/{linen}/customers"),
        ("Campaigns", f"/stores/{linen}/campaigns"),
        ("Automations", f"/stores/{linen}/automations"),
        ("Cart recovery", f"/stores/{linen}/recovery"),
        ("Greeting and away", f"/stores/{linen}/automations/answers"),
        ("Keyword rules", f"/stores/{linen}/automations/keywords"),
        ("Shop assistant", f"/stores/{linen}/automations/assistant"),
        ("Templates", url(app, "templates_admin.index", store_id=linen)),  # appears once built
        ("Catalog", f"/stores/{linen}/catalog"),
        ("Widget", f"/stores/{linen}/widget"),
        ("Analytics", f"/stores/{linen}/analytics"),
        ("Attributed orders", f"/stores/{linen}/analytics/orders"),
        ("WhatsApp number", f"/stores/{linen}/whatsapp"),
        ("Store connection", f"/stores/{linen}/settings/connection"),
        ("Team", f"/stores/{linen}/team"),
        ("API tokens", f"/stores/{linen}/settings/api-tokens"),
        ("Marketing limits", f"/stores/{linen}/settings/marketing-limits"),
        ("Owner accounts", "/settings/owners"),  # instance-wide: no store in its address
    ]
    assert page.groups == ["Settings"]  # the Inbox section is a page with pages under it


def test_the_current_page_and_its_section_are_marked(world) -> None:  # type: ignore[no-untyped-def]
    app, client, linen, _, _ = world
    page = read_nav(client.get(f"/stores/{linen}/automations").get_data(as_text=True))
    marked = [(label, current) for label, _, current in page.links if current]
    assert marked == [("Linen", "true"), ("Automations", "page")]

    page = read_nav(client.get(f"/stores/{linen}/settings/connection").get_data(as_text=True))
    assert [(label, current) for label, _, current in page.links if current] == [
        ("Linen", "true"), ("Store connection", "page")]

    # A page inside a section (a journey's editor; one customer's messages) marks it "true".
    with app.app_context(), db.transaction() as session:
        from plugin.models import Customer
        customer = Customer(store_id=linen, platform_id="c-1", phone_e164="+351912345678")
        session.add(customer)
        session.flush()
        customer_id = customer.id
    html = client.get(f"/stores/{linen}/customers/{customer_id}/messages").get_data(as_text=True)
    assert [(label, current) for label, _, current in read_nav(html).links if current] == [
        ("Linen", "true"), ("Messages", "true")]


def test_without_a_store_in_context_the_switcher_asks_for_one(world) -> None:  # type: ignore[no-untyped-def]
    _, client, linen, cork, _ = world
    html = client.get("/").get_data(as_text=True)
    page = read_nav(html)
    assert "Choose a store" in html
    # Each store leads to its first page; nothing store-scoped is offered without a store,
    # only what belongs to the instance (Owner accounts).
    assert [(label, href) for label, href, _ in page.links] == [
        ("Linen", f"/stores/{linen}/inbox"), ("Cork", f"/stores/{cork}/inbox"),
        ("Home", "/"), ("Owner accounts", "/settings/owners")]
    assert ("Home", "/", "page") in page.links


def test_another_owners_store_never_enters_the_shell(world) -> None:  # type: ignore[no-untyped-def]
    _, client, _, _, other = world
    response = client.get(f"/stores/{other}/automations")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Bartholomew" not in html
    assert all(f"/stores/{other}/" not in href for _, href, _ in read_nav(html).links)


def test_one_store_is_the_context_everywhere(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    owner = create_owner(app, "solo@example.com")
    store_id = add_store(app, owner, "Solo")
    client = app.test_client()
    sign_in(client, "solo@example.com")
    html = client.get("/").get_data(as_text=True)
    page = read_nav(html)
    assert ("Automations", f"/stores/{store_id}/automations", None) in page.links
    assert "Switch store" not in html and "Choose a store" not in html
    app.extensions["storechat.engine"].dispose()


def test_the_home_page_lists_each_stores_pages_by_their_nav_names(world) -> None:  # type: ignore[no-untyped-def]
    app, client, linen, _, _ = world
    html = client.get("/").get_data(as_text=True)
    for label, endpoint in (("Messages", "message_log.store_messages"),
                            ("Customers", "customers_admin.page"),
                            ("Automations", "journeys_admin.index"),
                            ("Templates", "templates_admin.index"),
                            ("Catalog", "catalog_admin.index"),
                            ("Widget", "widget_designer.page"),
                            ("WhatsApp number", "whatsapp_admin.page"),
                            ("Store connection", "settings_admin.connection")):
        href = url(app, endpoint, store_id=linen)
        assert (f'<a href="{href}">{label}<span class="visually-hidden"> '
                f'for Linen</span></a>') in html
    assert "Order journeys" not in html


def test_an_instance_page_for_owners_shows_without_a_store(tmp_path: Path) -> None:
    """Owner accounts (auth.owners) takes no store id: owners see it anywhere, a shop
    never."""
    app = make_app(tmp_path / "instance")
    if "auth.owners" not in app.view_functions:  # a stand-in until it is built
        app.add_url_rule("/owners", "auth.owners", lambda: "owners")
    create_owner(app, "team@example.com")
    client = app.test_client()
    sign_in(client, "team@example.com")
    page = read_nav(client.get("/").get_data(as_text=True))
    assert ("Owner accounts", url(app, "auth.owners"), None) in page.links
    with app.test_request_context("/"):
        from flask import g

        from plugin.auth.tenancy import Principal
        g.principal = Principal(kind="shop", shop_store_id=None, label="x.myshopify.com")
        g.store_roles = {}
        shell = nav.build()
        assert shell is not None
        assert "owners" not in {link.key for s in shell.links for link in (s, *s.children)}
    app.extensions["storechat.engine"].dispose()


def test_sign_in_pages_have_no_navigation(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    html = app.test_client().get("/signin").get_data(as_text=True)
    assert 'id="site-nav"' not in html
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    app.extensions["storechat.engine"].dispose()
