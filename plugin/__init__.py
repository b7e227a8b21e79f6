"""StoreChat: WhatsApp commerce for Shopify and WooCommerce stores (the Flask application)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from plugin.config import Settings, load_settings


def create_app(settings: Settings | None = None, environ: Mapping[str, str] | None = None,
               **overrides: Any) -> Flask:
    """Build a StoreChat app from settings (default: the environment); raises ConfigError."""
    if settings is None:
        settings = load_settings(environ, **overrides)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        STORECHAT=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        TESTING=settings.env == "test",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
    )
    from plugin.infra import ids

    ids.init_app(app)  # before any route: `<int:…>` arguments are row ids
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from plugin import auth, cli, demo
    from plugin.admin import (
        analytics,
        api_tokens,
        auto_answers,
        campaigns,
        catalog,
        customers,
        home,
        inbox,
        journeys,
        marketing_limits,
        messages,
        nav,
        recovery,
        team,
        templates,
        whatsapp,
    )
    from plugin.admin import assistant as assistant_admin
    from plugin.admin import keyword_rules as keyword_rules_page
    from plugin.admin import settings as settings_pages
    from plugin.infra import crypto, db, health, inputs, queue, ratelimit, responses
    from plugin.pipeline import intent_detection, jobs
    from plugin.platforms import shopify, woocommerce
    from webhooks import init_app as init_webhooks
    from widget import init_app as init_widget
    from widget import links

    crypto.init_app(app)
    db.init_app(app)
    queue.init_app(app, jobs.register)
    intent_detection.init_app(app)  # a plugged intent detector that fails loads at boot
    ratelimit.init_app(app)
    responses.init_app(app)
    inputs.init_app(app)
    health.init_app(app)
    auth.init_app(app)
    init_webhooks(app)
    init_widget(app)
    home.init_app(app)
    shopify.init_app(app)
    woocommerce.init_app(app)
    demo.init_app(app)
    links.init_app(app)
    journeys.init_app(app)
    auto_answers.init_app(app)
    assistant_admin.init_app(app)
    recovery.init_app(app)
    messages.init_app(app)
    customers.init_app(app)
    whatsapp.init_app(app)
    templates.init_app(app)
    catalog.init_app(app)
    inbox.init_app(app)
    settings_pages.init_app(app)
    api_tokens.init_app(app)
    marketing_limits.init_app(app)
    campaigns.init_app(app)
    team.init_app(app)
    keyword_rules_page.init_app(app)
    analytics.init_app(app)
    nav.init_app(app)
    cli.init_app(app)
    return app
