"""HTTP receivers for platform and Meta webhooks: verify, store, enqueue, answer.

Each receiver reads the raw body (size-capped by MAX_CONTENT_LENGTH, streamed or not),
verifies its signature on those exact bytes, failing closed, stores it with
plugin.pipeline.inbound.record_event, and answers 200 only once the row is committed. A body
that is not readable JSON (malformed, or nested too deep to parse) is 400 when signed and
401 when not; it is never stored and never a 500.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register every webhook receiver."""
    from webhooks import demo, shopify, whatsapp, woocommerce

    app.register_blueprint(demo.blueprint)
    app.register_blueprint(shopify.blueprint)
    app.register_blueprint(woocommerce.blueprint)
    app.register_blueprint(whatsapp.blueprint)
