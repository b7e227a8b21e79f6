"""The admin's JSON API: what the embedded Shopify admin and scripts read.

Every endpoint answers only for the principal's stores; any other id is a 404.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.admin.message_views import message_rows
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.infra import db
from plugin.models import DataExport, Order, Store

blueprint = protect(Blueprint("api", __name__, url_prefix="/api"))

# The most rows one call returns.
MAX_LIMIT = 200


def _limit() -> int:
    try:
        return max(1, min(MAX_LIMIT, int(request.args.get("limit", "50"))))
    except ValueError:
        return 50


@blueprint.get("/stores")
def stores() -> ResponseReturnValue:
    """The principal's stores."""
    rows = db.session().scalars(tenancy.scoped(select(Store), Store).order_by(Store.id))
    return jsonify(stores=[
        {"id": s.id, "key": s.key, "platform": s.platform, "domain": s.domain, "name": s.name,
         "status": s.status} for s in rows
    ])


@blueprint.get("/stores/<int:store_id>/orders")
def orders(store_id: int) -> ResponseReturnValue:
    """A store's newest orders with their status."""
    store = tenancy.get_or_404(Store, store_id)
    rows = db.session().scalars(
        tenancy.scoped(select(Order), Order).where(Order.store_id == store.id)
        .order_by(Order.id.desc()).limit(_limit()))
    return jsonify(orders=[
        {"id": o.id, "number": o.number, "status": o.status, "total": o.total,
         "currency": o.currency, "updated_at": o.updated_at.isoformat() + "Z"} for o in rows
    ])


@blueprint.get("/stores/<int:store_id>/messages")
def messages(store_id: int) -> ResponseReturnValue:
    """A store's message log: text, state and the reason for a failure."""
    store = tenancy.get_or_404(Store, store_id)
    rows = message_rows(db.session(), store.id, limit=_limit())
    return jsonify(messages=[
        {"id": m.id, "order": m.order_number, "template": m.template, "to": m.to,
         "text": m.text, "state": m.state, "reason": m.reason,
         "created_at": m.created_at.isoformat() + "Z"} for m in rows
    ])


@blueprint.get("/stores/<int:store_id>/exports")
def exports(store_id: int) -> ResponseReturnValue:
    """Exports made for customers' data requests, newest first (without their content)."""
    store = tenancy.get_or_404(Store, store_id)
    rows = db.session().scalars(
        tenancy.scoped(select(DataExport), DataExport).where(DataExport.store_id == store.id)
        .order_by(DataExport.id.desc()).limit(_limit()))
    return jsonify(exports=[
        {"id": e.id, "request_id": e.request_id, "customer": e.customer_platform_id,
         "created_at": e.created_at.isoformat() + "Z"} for e in rows
    ])


@blueprint.get("/exports/<int:export_id>")
def export(export_id: int) -> ResponseReturnValue:
    """One data export, to hand to the customer who asked for it."""
    row = tenancy.get_or_404(DataExport, export_id)
    return jsonify(id=row.id, request_id=row.request_id, customer=row.customer_platform_id,
                   created_at=row.created_at.isoformat() + "Z", content=row.content)
