"""Orders: the latest known state of each, as the journeys see it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from spectree import Tag
from sqlalchemy import select

from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, StoreQuery, page, utc
from plugin.admin.message_views import event_from_order
from plugin.domain.events import Tracking
from plugin.models import Order

TAG = Tag(name="orders", description="Orders and their status.")


class OrderQuery(ListQuery):
    """Filters of the order list."""

    status: str | None = Field(default=None, max_length=40,
                               description="Only orders in this status, e.g. `shipped`.")


class TrackingOut(BaseModel):
    """Where a shipment can be followed."""

    number: str
    company: str
    url: str
    estimated_delivery: str


class LineItemOut(BaseModel):
    """One line of an order."""

    title: str
    quantity: int
    price: str = Field(description="A decimal, exact, in the order's currency.")


class OrderOut(BaseModel):
    """An order's latest known state."""

    id: int
    platform_id: str = Field(description="The order's id at Shopify or WooCommerce.")
    number: str
    status: str
    currency: str
    total: str = Field(description="A decimal, exact.")
    payment_gateway: str
    customer_id: int | None
    cod_state: str | None = Field(description="Cash on delivery: asked, confirmed or "
                                  "cancelled; null when not asked.")
    tracking: TrackingOut | None
    created_at: datetime | None
    updated_at: datetime | None


class OrderDetail(OrderOut):
    """An order with its lines."""

    line_items: list[LineItemOut]
    status_url: str


class OrderList(BaseModel):
    """A page of orders, newest first."""

    data: list[OrderOut]
    next_cursor: str | None


# What a list shows of each order: its columns, not the whole snapshot (line items).
LISTED = (Order.id, Order.platform_id, Order.number, Order.status, Order.currency,
          Order.total, Order.payment_gateway, Order.customer_id, Order.cod_state,
          Order.tracking, Order.created_at, Order.updated_at)


def _tracking(raw: object) -> dict[str, str] | None:
    tracking = Tracking.from_snapshot(raw) if raw else None
    if tracking is None:
        return None
    return dict(number=tracking.number, company=tracking.company, url=tracking.url,
                estimated_delivery=tracking.estimated_delivery)


def _out(order: Any) -> dict[str, object]:
    """An order (a row object or a Row of LISTED) as OrderOut's fields."""
    return dict(id=order.id, platform_id=order.platform_id, number=order.number,
                status=order.status, currency=order.currency, total=order.total,
                payment_gateway=order.payment_gateway or "", customer_id=order.customer_id,
                cod_state=order.cod_state, tracking=_tracking(order.tracking),
                created_at=utc(order.created_at), updated_at=utc(order.updated_at))


@blueprint.get("/orders")
@spec.validate(resp=documented(OrderList), tags=[TAG], operation_id="listOrders")
def list_orders(query: OrderQuery) -> OrderList:
    """List orders, newest first"""
    statement = select(*LISTED)
    if query.status:
        statement = statement.where(Order.status == query.status)
    rows, cursor = page(statement, Order, query, columns=True)
    # One validation of the whole page (in pydantic's core) instead of one per order.
    return OrderList.model_validate({"data": [_out(o) for o in rows], "next_cursor": cursor})


@blueprint.get("/orders/<int:order_id>")
@spec.validate(query=StoreQuery, resp=documented(OrderDetail), tags=[TAG],
               operation_id="getOrder")
def get_order(order_id: int) -> OrderDetail:
    """One order, with its lines"""
    order = access.get_or_404(Order, order_id)
    event = event_from_order(order)
    return OrderDetail(**_out(order), status_url=event.status_url, line_items=[
        LineItemOut(title=i.title, quantity=i.quantity, price=str(i.price))
        for i in event.line_items])
