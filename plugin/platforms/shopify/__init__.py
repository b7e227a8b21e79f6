"""Shopify: the embedded App Home with token exchange, the authorization-code install,
and the life of each shop's expiring Admin API tokens."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the App Home and the install routes."""
    from plugin.platforms.shopify import app_home, install

    app.register_blueprint(app_home.blueprint)
    app.register_blueprint(install.blueprint)
