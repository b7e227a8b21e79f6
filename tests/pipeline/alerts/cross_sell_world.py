"""What the cross-sell tests add to the alerts' worlds: the approved cross_sell template,
the flow switched on (or left off), the days after delivery passing, and looks at the
pairs, the offers and the suggestions the fake Graph received."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from plugin.domain import cross_sell
from plugin.infra import db
from plugin.models import CrossSellOffer, Message, Store, Template
from plugin.pipeline.alerts import cross_sell as counting
from plugin.pipeline.alerts import cross_sell_send, flows
from tests.pipeline.alerts.world import AlertsWorld

# The starter's English body as Meta holds it once approved (positional {{1}}, {{2}}).
BODY = ("Hi {{1}}, we hope you're enjoying your order! Shoppers who bought the same also "
        "loved {{2}}.\n\nTap below to take a look.")


def approve_template(world: AlertsWorld) -> None:
    """The store's cross_sell template is approved at Meta (with its URL button)."""
    with world.app.app_context(), db.transaction() as session:
        session.add(Template(store_id=world.store_id, name="cross_sell", language="en",
                             category="MARKETING", status="APPROVED",
                             parameter_format="POSITIONAL",
                             components=[{"type": "BODY", "text": BODY},
                                         {"type": "BUTTONS", "buttons": [
                                             {"type": "URL", "text": "Take a look",
                                              "url": "http://127.0.0.1:8000/t/{{1}}"}]}]))


def switch(world: AlertsWorld, on: bool, delay_days: int = cross_sell.DEFAULT_DELAY_DAYS) -> None:
    """The owner switches the cross-sell flow on (or off), `delay_days` after delivery."""
    with world.app.app_context(), db.transaction() as session:
        row = flows.rule(session, session.get(Store, world.store_id), cross_sell.JOURNEY)
        row.enabled, row.delay_seconds = on, delay_days * 86400


def days_pass(world: AlertsWorld, days: float) -> int:
    """`days` pass: the housekeeping sweep writes the suggestions then due; how many."""
    world.app.extensions["storechat.limiter"].storage.reset()
    with world.app.app_context():
        return cross_sell_send.send_due(db.utcnow() + timedelta(days=days))


def pairs(world: AlertsWorld) -> dict[tuple[str, str], int]:
    """The store's bought-together counts."""
    with world.app.app_context(), db.transaction() as session:
        return counting.counts(session, world.store_id)


def offers(world: AlertsWorld) -> list[CrossSellOffer]:
    """The store's offers, detached, oldest first."""
    with world.app.app_context(), db.transaction() as session:
        rows = list(session.scalars(select(CrossSellOffer).where(
            CrossSellOffer.store_id == world.store_id).order_by(CrossSellOffer.id)))
        session.expunge_all()
    return rows


def suggestions(world: AlertsWorld) -> list[dict[str, Any]]:
    """The cross_sell templates the fake Graph received, with their recipient."""
    return [s.payload for s in world.graph.sent if s.payload.get("type") == "template"
            and s.payload["template"]["name"] == "cross_sell"]


def body_of(payload: dict[str, Any]) -> list[str]:
    """A template message's body parameters."""
    return [p["text"] for c in payload["template"]["components"] if c["type"] == "body"
            for p in c["parameters"]]


def button_token(payload: dict[str, Any]) -> str:
    """A template message's URL button parameter (the /t/ token)."""
    [token] = [p["text"] for c in payload["template"]["components"] if c["type"] == "button"
               for p in c["parameters"]]
    return str(token)


def messages(world: AlertsWorld) -> list[Message]:
    """The store's cross-sell messages in the outbox, detached."""
    with world.app.app_context(), db.transaction() as session:
        rows = list(session.scalars(select(Message).where(
            Message.store_id == world.store_id,
            Message.cause.startswith(cross_sell.CAUSE_PREFIX)).order_by(Message.id)))
        session.expunge_all()
    return rows
