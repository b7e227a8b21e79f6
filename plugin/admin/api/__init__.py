"""The public JSON API, /api/v1: one module per resource, all on one blueprint (base).

- access: who calls (API token, or the admin's own session), their rate limit and scope,
  the store the call is about, and that every id in the path belongs to it;
- problems: every error as application/problem+json with a stable code;
- paging: the store selector and cursor paging every list shares;
- stores, customers, orders, messages, product_messages, automations, templates, catalog,
  recovery (cart recovery and the carts), exports, sending (marketing limits), campaigns,
  alerts (the product flows and their figures), inbox (conversations, replies, quick
  replies), analytics (message figures per flow, from the daily rollups), analytics_revenue
  (attributed revenue and its orders, ads, holdout lift), analytics_conversations
  (conversations, keywords, widget, number health): the resources;
- document: the OpenAPI 3.1 document, generated from the same decorators that validate;
- legacy: the pre-v1 /api/... URLs, now redirects to their /api/v1 equivalents.
"""
from __future__ import annotations

from flask import Flask

from plugin.infra import responses


def init_app(app: Flask) -> None:
    """Register /api/v1 (its errors answered as problems) and the old /api/... aliases."""
    # Importing a resource module adds its operations to the blueprint.
    from plugin.admin.api import (  # noqa: F401
        alerts,
        analytics,
        analytics_conversations,  # noqa: F401
        analytics_revenue,  # noqa: F401
        automations,
        base,
        campaigns,
        catalog,
        customers,
        document,
        exports,
        inbox,  # noqa: F401
        legacy,
        messages,
        orders,
        problems,
        product_messages,
        recovery,
        segments,
        sending,  # noqa: F401
        stores,
        surveys,  # noqa: F401
        templates,
    )

    app.register_blueprint(base.blueprint)
    app.register_blueprint(legacy.blueprint)
    # Errors Flask raises outside any view (unknown path, wrong method, body too large,
    # database down) are problems too, anywhere under the prefix.
    responses.error_renderer(app, base.PREFIX + "/", problems.from_http)
