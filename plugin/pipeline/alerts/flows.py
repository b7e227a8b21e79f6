"""The product flows as automations: back in stock, price drop, cross-sell and the
post-delivery satisfaction survey (plugin.pipeline.csat), each one
`Automation` row per store (journey = the flow's name), edited in the Automations section
with the order journeys' editor. Written with StoreChat's defaults the first time a store's
flows are read (alerts on, as they always were; cross-sell and the survey off until the
owner turns them on).

The pipeline reads a flow's row here: whether it is on, its template and language, which
flow field fills each {{n}} of the template (`variables`), and its delay. Its `trigger` is
no order event (a flow is never planned by the order journeys' engine).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.domain import alerts, cross_sell, csat, price_drops
from plugin.infra import db
from plugin.infra.sql import insert_ignore
from plugin.models import Automation, Store
from plugin.platforms.starters import starter_language


@dataclass(frozen=True, slots=True)
class Flow:
    """One product flow as StoreChat ships it."""

    journey: str
    trigger: str  # what starts it, in words the order engine never matches
    template: str
    fields: tuple[str, ...]  # the flow fields a template blank may take, in default order
    delay_seconds: int
    enabled: bool


FLOWS: dict[str, Flow] = {
    alerts.STEP: Flow(alerts.STEP, "stock_changed", alerts.TEMPLATE, alerts.VARIABLES, 0, True),
    price_drops.STEP: Flow(price_drops.STEP, "product_changed", price_drops.TEMPLATE,
                           price_drops.VARIABLES, 0, True),
    cross_sell.JOURNEY: Flow(cross_sell.JOURNEY, "cross_sell", cross_sell.TEMPLATE,
                             cross_sell.VARIABLES, cross_sell.DEFAULT_DELAY_DAYS * 86400,
                             False),
    csat.JOURNEY: Flow(csat.JOURNEY, "csat", csat.TEMPLATE, csat.VARIABLES,
                       csat.DEFAULT_DELAY_DAYS * 86400, False),
}
# The longest a flow may wait: cross-sell after delivery up to 60 days; alerts lose their
# point after a day (the product may sell out or change price again).
MAX_DELAY_SECONDS = {alerts.STEP: 86400, price_drops.STEP: 86400,
                     cross_sell.JOURNEY: 60 * 86400, csat.JOURNEY: 60 * 86400}


def is_flow(journey: str) -> bool:
    """Whether the journey is one of the product flows."""
    return journey in FLOWS


def install(session: Session, store: Store) -> int:
    """Write the flows the store lacks with their defaults; how many were new. A flow the
    owner edited is left alone."""
    created = 0
    for flow in FLOWS.values():
        created += insert_ignore(session, Automation, {
            "store_id": store.id, "journey": flow.journey, "trigger": flow.trigger,
            "template": flow.template, "language": starter_language(store.locale),
            "variables": list(flow.fields), "conditions": {},
            "delay_seconds": flow.delay_seconds, "enabled": flow.enabled,
        }, ("store_id", "journey")) is not None
    return created


def rule(session: Session, store: Store, journey: str) -> Automation:
    """The store's row for the flow, written with the defaults first when it has none."""
    found = _row(session, store.id, journey)
    if found is None:
        install(session, store)
        found = _row(session, store.id, journey)
    assert found is not None
    return found


def _row(session: Session, store_id: int, journey: str) -> Automation | None:
    return session.scalars(select(Automation).where(
        Automation.store_id == store_id, Automation.journey == journey)).first()


def body(automation: Automation, values: Mapping[str, str]) -> list[str]:
    """The template's body parameters: the value of the field each {{n}} was mapped to
    ("-" for an unknown field: WhatsApp refuses empty parameters)."""
    return [values.get(str(name)) or "-" for name in automation.variables or ()]


def write_due(ids: list[int], write: Callable[[Session, int, datetime], int],
              now: datetime) -> int:
    """Run `write` (which claims its row, so two sweeps never write one twice) on each due
    row in a transaction of its own, so one row's failure loses no other; how many it wrote."""
    written = 0
    for row_id in ids:
        with db.transaction() as session:
            written += write(session, row_id, now)
    return written



Row = TypeVar("Row")


def claim_due(session: Session, model: type[Row], row_id: int, due: Any, taken: Any) -> Row | None:
    """The row `row_id` moved from state `due` to `taken` by this call, freshly read; None
    when another sweep claimed it first (a conditional update, so never both)."""
    claimed = session.execute(
        update(model).where(model.id == row_id, model.state == due)  # type: ignore[attr-defined]
        .values(state=taken).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(model, row_id, populate_existing=True)
