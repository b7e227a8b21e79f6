"""What the satisfaction survey tests add to the alerts' worlds: the approved csat
template, the survey switched on, the days after delivery passing, the shopper's tap and
list reply through Meta's signed webhook, and looks at the surveys and what was sent."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from plugin.domain import csat
from plugin.infra import db
from plugin.models import (
    Conversation,
    ConversationNote,
    CsatSurvey,
    Customer,
    Message,
    Store,
    Template,
)
from plugin.pipeline.alerts import flows
from plugin.pipeline.csat import send
from tests.pipeline.alerts.world import APP_SECRET, AlertsWorld
from tests.pipeline.catalog.e2e_world import PNID

# The starter's English body as Meta holds it once approved (positional {{1}}, {{2}}).
BODY = ("Hi {{1}}, your order {{2}} was delivered a few days ago. How did we do?\n\n"
        "Tap below to give us a score from 1 to 10. It takes a second.")


def approve_template(world: AlertsWorld) -> None:
    """The store's csat template is approved at Meta (with its quick-reply button)."""
    with world.app.app_context(), db.transaction() as session:
        session.add(Template(store_id=world.store_id, name="csat", language="en",
                             category="MARKETING", status="APPROVED",
                             parameter_format="POSITIONAL",
                             components=[{"type": "BODY", "text": BODY},
                                         {"type": "BUTTONS", "buttons": [
                                             {"type": "QUICK_REPLY",
                                              "text": "Choose a score"}]}]))


def switch(world: AlertsWorld, on: bool, delay_days: int = csat.DEFAULT_DELAY_DAYS) -> None:
    """The owner switches the survey on (or off), `delay_days` after delivery."""
    with world.app.app_context(), db.transaction() as session:
        row = flows.rule(session, session.get(Store, world.store_id), csat.JOURNEY)
        row.enabled, row.delay_seconds = on, delay_days * 86400


def days_pass(world: AlertsWorld, days: float) -> int:
    """`days` pass: the housekeeping sweep writes the surveys then due; how many."""
    world.app.extensions["storechat.limiter"].storage.reset()
    with world.app.app_context():
        return send.send_due(db.utcnow() + timedelta(days=days))


def _deliver(world: AlertsWorld, phone: str, message: dict[str, Any]) -> None:
    wa_id = phone.lstrip("+")
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550000000", "phone_number_id": PNID},
             "contacts": [{"profile": {"name": "Ana"}, "wa_id": wa_id}],
             "messages": [{"from": wa_id, "timestamp": str(int(time.time())), **message}]}
    body = json.dumps({"object": "whatsapp_business_account", "entry": [
        {"id": "WABA", "changes": [{"field": "messages", "value": value}]}]}).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = world.app.test_client().post("/webhooks/whatsapp", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})
    assert response.status_code == 200
    world.app.extensions["storechat.limiter"].storage.reset()


def taps_button(world: AlertsWorld, phone: str, payload: str, wamid: str) -> None:
    """The shopper taps the template's quick reply (Meta's signed `button` message)."""
    _deliver(world, phone, {"id": wamid, "type": "button",
                            "button": {"payload": payload, "text": "Choose a score"}})


def picks(world: AlertsWorld, phone: str, row_id: str, wamid: str) -> None:
    """The shopper picks a row of the list (Meta's signed `list_reply`)."""
    _deliver(world, phone, {"id": wamid, "type": "interactive", "interactive": {
        "type": "list_reply", "list_reply": {"id": row_id, "title": row_id.split(":")[-1]}}})


def sent(world: AlertsWorld) -> list[dict[str, Any]]:
    """Every survey message the fake Graph received (invitation, list, thanks), in order."""
    return [s.payload for s in world.graph.sent
            if (s.payload.get("type") == "template"
                and s.payload["template"]["name"] == "csat")
            or (s.payload.get("type") == "interactive"
                and s.payload["interactive"]["type"] == "list")
            or (s.payload.get("type") == "text" and s.payload["text"]["body"]
                == csat.thanks("en"))]


def surveys(world: AlertsWorld) -> list[CsatSurvey]:
    """The store's surveys, detached, oldest first."""
    with world.app.app_context(), db.transaction() as session:
        rows = list(session.scalars(select(CsatSurvey).where(
            CsatSurvey.store_id == world.store_id).order_by(CsatSurvey.id)))
        session.expunge_all()
    return rows


def messages(world: AlertsWorld) -> list[tuple[str, str, str]]:
    """(cause, step, state) of the store's survey messages in the outbox, oldest first."""
    with world.app.app_context(), db.transaction() as session:
        return [(m.cause, m.step, m.state) for m in session.scalars(select(Message).where(
            Message.store_id == world.store_id,
            Message.cause.startswith(csat.CAUSE_PREFIX)).order_by(Message.id))]


def conversation(world: AlertsWorld, phone: str) -> tuple[str, list[str], bool]:
    """(status, private notes, silenced?) of the shopper's conversation."""
    with world.app.app_context(), db.transaction() as session:
        customer = session.scalars(select(Customer).where(
            Customer.store_id == world.store_id, Customer.phone_e164 == phone)).one()
        row = session.scalars(select(Conversation).where(
            Conversation.customer_id == customer.id)).one()
        notes = list(session.scalars(select(ConversationNote.body).where(
            ConversationNote.conversation_id == row.id).order_by(ConversationNote.id)))
        return row.status, notes, row.bot_silenced_until is not None
