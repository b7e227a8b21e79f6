"""HTTP receivers for platform and Meta webhooks: verify, store, enqueue, answer.

Each receiver reads the raw body (size-capped by MAX_CONTENT_LENGTH), verifies its signature
on those exact bytes, failing closed, stores it with plugin.pipeline.inbound.record_event, and answers
200 only once the row is committed.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register every webhook receiver."""
    from webhooks import demo, shopify, whatsapp, woocommerce

    app.register_blueprint(demo.blueprint)
    app.register_blueprint(shopify.blueprint)
    app.register_blueprint(woocommerce.blueprint)
    app.register_blueprint(whatsapp.blueprint)
