"""Asking before opting out: a shopper's sentence that names an opt-out word ("stop sending
me the wrong size") is not obeyed silently; StoreChat asks, with two reply buttons, whether
they want no more messages. The "Stop messages" button carries STORECHAT_OPT_OUT, which
plugin.domain.consent reads as an opt-out; "Keep messages" changes nothing.

The question goes through the outbox like every reply: written in the transaction that
stores the inbound message, unique on (store, "opt-out:<wamid>", step), so a redelivered
message asks once; its send job is queued after that transaction commits.
"""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from plugin.domain.consent import KEEP_PAYLOAD, confirm_texts
from plugin.domain.messaging import InboundMessage
from plugin.domain.phones import wa_recipient
from plugin.infra import queue
from plugin.models import Customer, Store
from plugin.pipeline import consent_log, outbox

log = logging.getLogger(__name__)

STEP = "opt_out_confirm"
STOP_PAYLOAD = "STORECHAT_OPT_OUT"


def ask_to_confirm(session: Session, store_id: int, customer: Customer,
                   message: InboundMessage) -> int | None:
    """Write the confirmation question to the outbox and queue its send after commit; the
    message id, or None when it was already asked, the shopper has already opted out, or
    there is no number to answer."""
    phone = f"+{message.sender.wa_id}" if message.sender.wa_id else customer.phone_e164
    if not phone:
        log.info("cannot ask customer %s to confirm an opt-out: no phone number", customer.id)
        return None
    if _opted_out(session, customer.id):
        return None  # nothing to confirm: marketing is already off
    store = session.get(Store, store_id)
    question, stop, keep = confirm_texts(customer.locale or (store.locale if store else None))
    message_id = outbox.write(
        session, store_id=store_id, customer_id=customer.id,
        cause=f"opt-out:{message.wamid}"[:120], step=STEP, to=phone,
        # Free-form: the shopper has just written, so their 24-hour window is open.
        payload=messages.reply_buttons(wa_recipient(phone), question, (
            messages.ReplyButton(id=STOP_PAYLOAD, title=stop),
            messages.ReplyButton(id=KEEP_PAYLOAD, title=keep))))
    if message_id is not None:
        queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
    return message_id


def _opted_out(session: Session, customer_id: int) -> bool:
    entry = consent_log.newest(session, customer_id, "marketing")
    return entry is not None and entry.granted is False
