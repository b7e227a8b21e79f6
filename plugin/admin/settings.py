"""Settings of a store that are not a section of their own: how the store is connected.

`GET /stores/<id>/settings/connection` (blueprint "settings_admin"): the store's platform,
address and status, when StoreChat last heard from it, and how to reconnect it. The other
settings pages (WhatsApp number, team, API tokens) live with their own code; the nav
(plugin/admin/nav.py) groups them under Settings.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, current_app, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.infra import db
from plugin.models import InboundEvent, Store
from plugin.platforms.woocommerce import sites

blueprint = protect(Blueprint("settings_admin", __name__), minimum=Role.OWNER)

# Platforms and statuses in the owner's words; an unknown one shows as stored.
PLATFORMS = {"shopify": "Shopify", "woocommerce": "WooCommerce", "demo": "Demo store"}
STATUSES = {
    "active": "Connected: StoreChat receives its events and sends its messages",
    "reconnect-needed": "Needs reconnecting: nothing is sent until it is",
    "uninstalled": "Removed: StoreChat was uninstalled and sends nothing",
}


def _last_event(store: Store) -> datetime | None:
    """When the store's platform last delivered an event to StoreChat."""
    return db.session().scalar(
        tenancy.scoped(select(func.max(InboundEvent.received_at)), InboundEvent)
        .where(InboundEvent.store_id == store.id))


@blueprint.get("/stores/<int:store_id>/settings/connection")
def connection(store_id: int) -> ResponseReturnValue:
    """The store's platform, address, status, last event and how to reconnect it."""
    store = tenancy.get_or_404(Store, store_id)
    views = current_app.view_functions
    return render_template(
        "settings/connection.html", store=store,
        platform=PLATFORMS.get(store.platform, store.platform),
        status=STATUSES.get(store.status, store.status), last_event=_last_event(store),
        problem=sites.problem(store) if store.platform == sites.PLATFORM else "",
        owner_view=tenancy.current().is_owner,
        shopify_ready="shopify.install" in views
        and "storechat.shopify" in current_app.extensions,
        woocommerce_ready="woocommerce.connect" in views,
    )


def init_app(app: Flask) -> None:
    """Register the settings pages."""
    app.register_blueprint(blueprint)
