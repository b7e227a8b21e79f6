"""The admin home: the owner's stores, and where to connect another or try the demo."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.admin.nav import may_open
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.infra import db
from plugin.models import Store
from plugin.pipeline import health_warnings

blueprint = protect(Blueprint("admin", __name__), minimum=Role.AGENT)


@blueprint.get("/")
def index() -> ResponseReturnValue:
    """The principal's stores; connect a Shopify or WooCommerce store, or try the demo."""
    views = current_app.view_functions
    stores = list(db.session().scalars(
        tenancy.scoped(select(Store), Store).order_by(Store.id)))
    return render_template(
        "index.html",
        stores=[s for s in stores if s.platform != "demo"],
        # What crossed a threshold, per store the person may read the analytics of.
        store_warnings=_warnings(stores),
        demo_store=next((s for s in stores if s.platform == "demo"), None),
        owner_view=tenancy.current().is_owner,
        can_connect=tenancy.top_role() is Role.OWNER,
        # The connect flows light up as their integrations land; until then the page
        # says so instead of linking to a 404.
        shopify_ready="shopify.install" in views,
        shopify_configured="storechat.shopify" in current_app.extensions,
        woocommerce_ready="woocommerce.connect" in views,
    )


def _warnings(stores: list[Store]) -> dict[int, list[health_warnings.HealthWarning]]:
    session = db.session()
    return {s.id: found for s in stores if s.platform != "demo"
            and may_open("analytics_admin.index", s.id)
            and (found := health_warnings.warnings(session, s))}


def init_app(app: Flask) -> None:
    """Register the admin home and its JSON API."""
    from plugin.admin import api

    app.register_blueprint(blueprint)
    api.init_app(app)
