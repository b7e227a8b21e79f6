"""Scheduling the satisfaction survey when an order is delivered: one survey row per order,
due the flow's delay later, written only while the survey flow is on.

Once per order: the row is inserted with ON CONFLICT DO NOTHING on (store, order), so a
redelivered webhook, a later "delivered" update or two workers racing schedule nothing new.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain import csat
from plugin.domain.events import EventKind, OrderEvent
from plugin.infra import db
from plugin.infra.sql import insert_ignore
from plugin.models import CsatSurvey, Order, Store, SurveyState
from plugin.pipeline.alerts import flows


def note_order(session: Session, store: Store, event: OrderEvent, order: Order) -> bool:
    """Schedule the order's survey when this event says it was delivered (flow on, order
    with a customer); whether a new survey was scheduled."""
    if event.kind is not EventKind.ORDER_DELIVERED or order.customer_id is None:
        return False
    flow = flows.rule(session, store, csat.JOURNEY)
    if not flow.enabled:
        return False  # off by default: a delivery asks nothing
    now = db.utcnow()
    return insert_ignore(session, CsatSurvey, {
        "store_id": store.id, "order_id": order.id, "customer_id": order.customer_id,
        "state": SurveyState.SCHEDULED, "delivered_at": now,
        "due_at": now + timedelta(seconds=int(flow.delay_seconds or 0)), "created_at": now,
    }, ("store_id", "order_id")) is not None


def due(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of scheduled surveys whose time has come, oldest first (any store)."""
    return list(session.scalars(select(CsatSurvey.id).where(
        CsatSurvey.state == SurveyState.SCHEDULED, CsatSurvey.due_at <= now)
        .order_by(CsatSurvey.due_at, CsatSurvey.id).limit(limit)))
