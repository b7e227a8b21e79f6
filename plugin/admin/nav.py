"""The admin's navigation: one registry of sections, in the order the shell shows them.

Every admin page extends base.html and names its section at the top
(`{% set active_page = "automations" %}`); base.html asks `admin_shell(...)` for the links.
An entry is shown only once its endpoint is registered in the app's URL map, so a section
built later appears by itself on the day it lands: the names of sections still to come are
listed here already. An endpoint whose URL takes `store_id` gets the store in context (the
URL's own `store_id`, else the page's `store`, else the principal's only store), checked
through plugin.auth.tenancy; without a store those entries are left out and the store
switcher asks for one. An entry is shown only to people whose role allows its endpoint
(plugin.auth.roles): in the store in context, or anywhere for a page outside any store.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request, url_for
from sqlalchemy import select

from plugin.auth import roles, tenancy
from plugin.infra import db
from plugin.models import Store

# The URL argument that makes an endpoint belong to one store.
STORE_ARGUMENT = "store_id"


@dataclass(frozen=True, slots=True)
class Entry:
    """A place in the navigation: a section, or a page inside one."""

    key: str
    label: str
    endpoint: str | None  # None: a group heading whose pages are its children
    owners_only: bool = False  # hidden from a Shopify shop (instance-wide owner pages)
    children: tuple[Entry, ...] = ()


# The sections in nav order. Keys are what pages put in `active_page`; names are the one
# word the product uses for the concept everywhere (page titles, headings, links).
SECTIONS: tuple[Entry, ...] = (
    Entry("home", "Home", "admin.index"),
    # The team inbox: every customer's conversation, answered by the store's people; the
    # message log (every message sent, by any path) and the saved answers sit under it.
    Entry("conversations", "Inbox", "inbox_admin.page", children=(
        Entry("quick_replies", "Quick replies", "inbox_replies.page"),
        Entry("messages", "Messages", "message_log.store_messages"),
    )),
    Entry("customers", "Customers", "customers_admin.page"),
    Entry("campaigns", "Campaigns", "campaigns_admin.index"),
    # Order journeys, and cart recovery with its figures; alerts join them here.
    Entry("automations", "Automations", "journeys_admin.index", children=(
        Entry("recovery", "Cart recovery", "recovery_admin.page"),
        Entry("answers", "Greeting and away", "auto_answers.page"),
        Entry("keyword_rules", "Keyword rules", "keyword_rules.page"),
        Entry("assistant", "Shop assistant", "assistant_admin.page"),
    )),
    Entry("templates", "Templates", "templates_admin.index"),
    Entry("catalog", "Catalog", "catalog_admin.index"),
    Entry("widget", "Widget", "widget_designer.page"),
    Entry("analytics", "Analytics", "analytics_admin.index", children=(
        Entry("attributed_orders", "Attributed orders", "analytics_revenue.orders_page"),
    )),
    Entry("settings", "Settings", None, children=(
        Entry("whatsapp", "WhatsApp number", "whatsapp_admin.page"),
        Entry("connection", "Store connection", "settings_admin.connection"),
        Entry("team", "Team", "team_admin.page"),
        Entry("api_tokens", "API tokens", "api_tokens.page"),
        Entry("marketing_limits", "Marketing limits", "marketing_limits.page"),
        # Invite someone to StoreChat with stores of their own (not into this one).
        Entry("owners", "Owner accounts", "auth.owners", owners_only=True),
    )),
)
SECTION_KEYS = tuple(entry.key for entry in SECTIONS)


@dataclass(frozen=True, slots=True)
class Link:
    """An entry as shown: `current` is "page" (this page), "true" (a page inside it) or None."""

    key: str
    label: str
    endpoint: str | None
    href: str | None
    current: str | None
    children: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class StoreChoice:
    """A store in the switcher, linked to the same section of that store."""

    id: int
    name: str
    href: str
    current: bool


@dataclass(frozen=True, slots=True)
class Shell:
    """What base.html draws around a page: the links, the store in context, the switcher."""

    links: tuple[Link, ...]
    store: Store | None
    stores: tuple[StoreChoice, ...]
    home: str  # where "back" leads: the store's first page, else the admin home

    @property
    def store_name(self) -> str:
        """The store in context as the owner knows it; empty without one."""
        return (self.store.name or self.store.domain) if self.store is not None else ""


def registered(endpoint: str | None) -> bool:
    """Whether the app serves `endpoint` (sections built later are hidden until then)."""
    return endpoint is not None and endpoint in current_app.view_functions


def per_store(endpoint: str) -> bool:
    """Whether the endpoint's URL takes a store id."""
    return any(STORE_ARGUMENT in rule.arguments
               for rule in current_app.url_map.iter_rules(endpoint))


def _shown(entry: Entry, store: Store | None, is_owner: bool) -> bool:
    if entry.owners_only and not is_owner:
        return False
    if entry.endpoint is None:
        return any(_shown(child, store, is_owner) for child in entry.children)
    return (registered(entry.endpoint)
            and (store is not None or not per_store(entry.endpoint))
            and may_open(entry.endpoint, store.id if store is not None else None))


def may_open(endpoint: str, store_id: int | None = None) -> bool:
    """Whether the signed-in person's role lets them open `endpoint` (of `store_id` when it
    takes one): pages use it to hide links the person would only get a 403 from."""
    if g.get("principal") is None or not registered(endpoint):
        return False
    if store_id is not None and per_store(endpoint):
        role = tenancy.role_in(store_id)
    else:
        role = tenancy.top_role()
    return role is not None and role >= roles.required(endpoint)


def _href(endpoint: str | None, store: Store | None) -> str | None:
    if endpoint is None:
        return None
    if per_store(endpoint):
        return url_for(endpoint, **{STORE_ARGUMENT: store.id}) if store is not None else None
    return url_for(endpoint)


def _blueprint(endpoint: str | None) -> str | None:
    return endpoint.rpartition(".")[0] if endpoint and "." in endpoint else None


def _active_key(active_page: str | None) -> str | None:
    """The page's section: what it declared ("" for none, as error pages say), else the
    section its blueprint belongs to."""
    if active_page is not None:
        return active_page if active_page in SECTION_KEYS else None
    for entry in SECTIONS:
        family = (entry, *entry.children)
        if any(_blueprint(e.endpoint) == request.blueprint for e in family if e.endpoint):
            return entry.key
    return None


def _link(entry: Entry, store: Store | None, is_owner: bool, active: bool) -> Link:
    """An entry of the active section (or not) with its shown children and its marker."""
    children = tuple(_link(child, store, is_owner, active) for child in entry.children
                     if _shown(child, store, is_owner))
    if entry.endpoint is not None and request.endpoint == entry.endpoint:
        current: str | None = "page"
    elif any(child.current for child in children):
        current = None  # the child says where we are
    elif active and entry.endpoint is not None and (
            entry in SECTIONS or _blueprint(entry.endpoint) == request.blueprint):
        # A page inside this section (a journey's editor, one order's messages); a page
        # inside a section's child comes from that child's blueprint.
        current = "true"
    else:
        current = None
    return Link(key=entry.key, label=entry.label, endpoint=entry.endpoint,
                href=_href(entry.endpoint, store), current=current, children=children)


def _links(store: Store | None, is_owner: bool, active_page: str | None) -> tuple[Link, ...]:
    active = _active_key(active_page)
    return tuple(_link(entry, store, is_owner, entry.key == active) for entry in SECTIONS
                 if _shown(entry, store, is_owner))


def _here(links: tuple[Link, ...]) -> str | None:
    """The endpoint of the entry this page sits in (the deepest one marked)."""
    for link in links:
        for child in link.children:
            if child.current:
                return child.endpoint
        if link.current:
            return link.endpoint
    return None


def _store_in_context(stores: list[Store], page_store: Any) -> Store | None:
    """The URL's store, else the page's, else the only one; only among `stores`."""
    by_id = {store.id: store for store in stores}
    view_args = request.view_args or {}
    for candidate in (view_args.get(STORE_ARGUMENT), getattr(page_store, "id", None)):
        if isinstance(candidate, int) and candidate in by_id:
            return by_id[candidate]
    return stores[0] if len(stores) == 1 else None


def _store_landing(store: Store, is_owner: bool) -> str:
    """A store's first page in nav order (the message log until the inbox exists)."""
    for entry in SECTIONS:
        for candidate in (entry, *entry.children):
            if (candidate.endpoint and _shown(candidate, store, is_owner)
                    and per_store(candidate.endpoint)):
                return url_for(candidate.endpoint, **{STORE_ARGUMENT: store.id})
    return url_for("admin.index")


def build(page_store: Any = None, active_page: str | None = None) -> Shell | None:
    """The shell for this request, or None when nobody is signed in (sign-in pages)."""
    principal = g.get("principal")
    if principal is None:
        return None
    stores = list(db.session().scalars(tenancy.scoped(select(Store), Store).order_by(Store.id)))
    store = _store_in_context(stores, page_store)
    is_owner = principal.is_owner
    links = _links(store, is_owner, active_page)
    here = _here(links)
    same_page = here if here is not None and per_store(here) else None

    def target(other: Store) -> str:
        if same_page is not None:
            return url_for(same_page, **{STORE_ARGUMENT: other.id})
        return _store_landing(other, is_owner)

    choices = tuple(StoreChoice(id=s.id, name=s.name or s.domain, href=target(s),
                                current=store is not None and s.id == store.id)
                    for s in stores)
    home = _store_landing(store, is_owner) if store is not None else url_for("admin.index")
    return Shell(links=links, store=store, stores=choices, home=home)


def store_pages(store: Store) -> list[Link]:
    """Every page of one store the nav offers, in nav order (the home page's store list)."""
    principal = g.get("principal")
    is_owner = principal is not None and principal.is_owner
    return [Link(key=e.key, label=e.label, endpoint=e.endpoint, current=None,
                 href=url_for(e.endpoint, **{STORE_ARGUMENT: store.id}))
            for entry in SECTIONS for e in (entry, *entry.children)
            if e.endpoint and _shown(e, store, is_owner) and per_store(e.endpoint)]


def init_app(app: Flask) -> None:
    """Give templates `admin_shell(store, active_page)` (base.html), `store_pages` and
    `may_open`."""

    @app.context_processor
    def shell_context() -> dict[str, Any]:
        return {"admin_shell": build, "store_pages": store_pages, "may_open": may_open}
