"""The demo store: a built-in store whose orders a newcomer drives by hand, through the same
inbound-event → job → outbox → transport path as real stores."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the demo store's pages."""
    from plugin.demo import views

    app.register_blueprint(views.blueprint)
