"""What runs on the storefront: the click-to-chat widget, its config endpoint, the Shopify
theme app extension and the WordPress companion plugin (see the widget issue)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Serve the widget script, its per-store config, beacons and the opt-in form, and the
    widget designer in the admin."""
    from widget.designer import blueprint as designer
    from widget.notify_me import blueprint as notify_me
    from widget.views import blueprint

    app.register_blueprint(blueprint)
    app.register_blueprint(designer)
    app.register_blueprint(notify_me)
