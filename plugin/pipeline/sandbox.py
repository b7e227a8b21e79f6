"""The sandbox's pretend phone for the demo store: what WhatsApp would report back.

A message the sandbox "sends" reaches no one, so no status webhook follows and no shopper
taps a button. For the demo store the sandbox plays both: a moment after a send it reports
the message delivered, then read; and a tap on a quick-reply button in the demo phone
becomes the button reply Meta would deliver. Each is stored as an inbound WhatsApp
notification (adapters.whatsapp.simulated) and processed like one: parsed, then applied by
`conversations.apply_notification`, so the ticks move and COD answers run exactly as they
do for a real number. Real stores without a token are never pretended to: their messages
stay "sent", since no real shopper got them.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.whatsapp import simulated
from plugin.domain.errors import RequestRefused
from plugin.infra import db, queue
from plugin.models import Customer, Message, Store, Template
from plugin.pipeline.inbound import Recorded, record_event

# The demo store's pretend phone number id: this prefix and the store's key.
NUMBER_PREFIX = "sandbox."
# How long after a send the demo shopper's phone reports it delivered, then read: long
# enough to watch each tick appear.
DELIVERED_AFTER_SECONDS = 1.5
READ_AFTER_SECONDS = 4.0
# The only platform whose shopper the sandbox plays (see the module's docstring).
DEMO_PLATFORM = "demo"


class NotTappable(RequestRefused):
    """The message has no quick-reply button there, or was never sent."""


def number_for(store: Store) -> str:
    """The demo store's pretend phone number id (what its notifications are routed by)."""
    return NUMBER_PREFIX + store.key


def store_for_number(session: Session, phone_number_id: str) -> int | None:
    """The demo store a pretend number belongs to; None for any other number."""
    if not phone_number_id.startswith(NUMBER_PREFIX):
        return None
    return session.scalars(select(Store.id).where(
        Store.key == phone_number_id[len(NUMBER_PREFIX):],
        Store.platform == DEMO_PLATFORM)).first()


def plays_receipts(store_platform: str, transport_name: str) -> bool:
    """True when a send's receipts are the sandbox's to report (the demo store's only)."""
    return transport_name == "sandbox" and store_platform == DEMO_PLATFORM


def queue_receipts(session: Session, message_id: int) -> None:
    """After this commit, report the message delivered and then read, a moment apart."""
    queue.enqueue_after_commit(session, queue.Job.SANDBOX_DELIVERED, message_id,
                               DELIVERED_AFTER_SECONDS)
    queue.enqueue_after_commit(session, queue.Job.SANDBOX_READ, message_id,
                               READ_AFTER_SECONDS)


def report_delivered(message_id: int) -> None:
    """Job: the demo phone reports the message delivered, as Meta's status webhook would."""
    _report(message_id, "delivered")


def report_read(message_id: int) -> None:
    """Job: the demo phone reports the message read, as Meta's status webhook would."""
    _report(message_id, "read")


def _report(message_id: int, status: str) -> None:
    with db.transaction() as session:
        message = session.get(Message, message_id)
        store = session.get(Store, message.store_id) if message else None
        if message is None or store is None or not message.wamid:
            return
        body = simulated.status_notification(
            phone_number_id=number_for(store), wamid=message.wamid, status=status,
            timestamp=_now(), recipient=message.to.lstrip("+"),
            callback_data=f"storechat:{message.id}")
        wamid = message.wamid
    # One report per message and status, however often the job runs (Meta's own dedupe).
    record_event(source="whatsapp", dedupe_key=f"sandbox:{wamid}:{status}",
                 topic="notification", body=body)


def tap(session: Session, message: Message, index: int) -> Recorded:
    """The demo shopper taps the quick-reply button at `index` under a sent message: the
    reply Meta would deliver, stored to be processed like one. Raises NotTappable."""
    store = session.get(Store, message.store_id)
    if store is None or store.platform != DEMO_PLATFORM or not message.wamid:
        raise NotTappable("only a sent message of the demo store can be answered")
    payload = _quick_reply_payload(message.payload or {}, index)
    if payload is None:
        raise NotTappable(f"the message has no quick-reply button {index}")
    customer = session.get(Customer, message.customer_id) if message.customer_id else None
    wamid = f"wamid.sandbox.in.{uuid.uuid4().hex}"
    body = simulated.quick_reply_notification(
        phone_number_id=number_for(store), wamid=wamid, sender=message.to.lstrip("+"),
        profile_name=(customer.first_name or "") if customer else "", payload=payload,
        text=_label(session, message, index), context_wamid=message.wamid,
        timestamp=_now())
    return record_event(source="whatsapp", dedupe_key=f"sandbox:{wamid}",
                        topic="notification", body=body)


def _quick_reply_payload(payload: dict[str, Any], index: int) -> str | None:
    """The payload the sent template carries for its quick-reply button at `index`."""
    for component in (payload.get("template") or {}).get("components", []):
        if (isinstance(component, dict) and component.get("sub_type") == "quick_reply"
                and str(component.get("index")) == str(index)):
            for parameter in component.get("parameters") or []:
                if parameter.get("type") == "payload":
                    return str(parameter.get("payload", ""))
    return None


def _label(session: Session, message: Message, index: int) -> str:
    """The button's label, as the tap's text (Meta sends the label the shopper saw)."""
    language = ((message.payload or {}).get("template") or {}).get("language", {}).get("code")
    template = session.scalars(select(Template).where(
        Template.store_id == message.store_id, Template.name == message.template,
        Template.language == language)).first()
    for component in (template.components or []) if template else []:
        if str(component.get("type", "")).upper() == "BUTTONS":
            buttons = component.get("buttons") or []
            if 0 <= index < len(buttons):
                return str(buttons[index].get("text", ""))
    return ""


def _now() -> int:
    return int(time.time())
