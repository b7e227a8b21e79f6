"""WooCommerce: the WC-Auth key exchange (and pasted keys), webhook provisioning, and the
reconciliation that makes up for WooCommerce's best-effort webhooks."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the connect routes and the WooCommerce jobs."""
    from plugin.platforms.woocommerce import connect, jobs

    app.register_blueprint(connect.blueprint)
    app.register_blueprint(connect.callbacks)
    jobs.register(app)
