"""The landing page: where a newcomer chooses to connect a store or try the demo."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template
from flask.typing import ResponseReturnValue

from plugin.demo.store import demo_session_store

blueprint = Blueprint("admin", __name__)


@blueprint.get("/")
def index() -> ResponseReturnValue:
    """Connect a Shopify store, connect a WooCommerce store, or try the demo store."""
    views = current_app.view_functions
    return render_template(
        "index.html",
        demo_store=demo_session_store(),
        # The connect flows light up as their integrations land; until then the page
        # says so instead of linking to a 404.
        shopify_ready="shopify.install" in views,
        woocommerce_ready="woocommerce.connect" in views,
    )


def init_app(app: Flask) -> None:
    """Register the landing page."""
    app.register_blueprint(blueprint)
