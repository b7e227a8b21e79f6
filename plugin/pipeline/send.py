"""The send job: lease a message, check policy again, send it, record what happened."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from plugin.domain import policy
from plugin.domain.errors import (
    AccountError,
    HeldError,
    NeedsTemplateError,
    PermanentError,
    RetryableError,
    SendError,
)
from plugin.domain.outbox import MessageState
from plugin.infra import db, queue, ratelimit
from plugin.infra.leases import claim_message
from plugin.models import Message, Store, WhatsAppAccount
from plugin.pipeline import marketing_holds, outbox, sandbox, send_context, transports

log = logging.getLogger(__name__)

# Retryable failures back off exponentially from this, up to the cap, then give up.
RETRY_BASE_SECONDS = 5
RETRY_CAP_SECONDS = 15 * 60
MAX_SEND_ATTEMPTS = 8
# When a number's per-second throughput is used up, try again this much later.
THROTTLE_PAUSE_SECONDS = 1
# At least this long between two messages to the same shopper from one number.
RECIPIENT_SPACING_SECONDS = ratelimit.RECIPIENT_SPACING_SECONDS
# Meta asks to wait a day after holding a message (131049).
HOLD_SECONDS = marketing_holds.HOLD_SECONDS


def send_message(message_id: int) -> None:
    """Send one outbox message if it is due and nobody else holds it; safe to run twice."""
    settings = current_app.config["STORECHAT"]
    now = db.utcnow()
    with db.transaction() as session:
        if not claim_message(session, message_id, now, settings.lease_seconds,
                             settings.reconcile_grace_seconds):
            return
        message = session.get(Message, message_id)
        store = session.get(Store, message.store_id)
        account = session.scalars(
            select(WhatsAppAccount).where(WhatsAppAccount.store_id == store.id).limit(1)
        ).first()
        context = send_context.load(session, message, store, now)
        if (message.template is None and message.fallback
                and not policy.window_open(context.last_inbound_at, now)):
            # The shopper's window has closed since this reply was written: send its template.
            use_fallback(message)
            context = send_context.load(session, message, store, now)
        payload = dict(message.payload, biz_opaque_callback_data=f"storechat:{message.id}")
        attempts = message.attempts
        decision = policy.decide(context)
        if not decision.send and decision.defer is None:
            outbox.finish(session, message_id, MessageState.SKIPPED, reason=decision.reason)
            return
        transport = transports.for_account(session, account, store)
        receipts = sandbox.plays_receipts(store.platform, transport.name)
        throughput = account.throughput_mps if account else 80
        recipient = message.to
        about_an_order = message.order_id is not None
        marketing = send_context.marketing_endpoint(session, message, context)

    if decision.defer is not None:
        _retry_later(message_id, decision.defer.total_seconds(), decision.reason, None)
        return
    if not ratelimit.allow_send(transport.sender_id, throughput):
        _retry_later(message_id, THROTTLE_PAUSE_SECONDS, "waiting for the number's send rate",
                     None)
        return
    if transport.name != "sandbox" and not ratelimit.allow_recipient(transport.sender_id,
                                                                     recipient):
        # Meta limits messages to one user (131056): space them, queued, never dropped.
        _retry_later(message_id, RECIPIENT_SPACING_SECONDS, "spacing messages to this shopper",
                     None)
        return
    try:
        wamid = (transport.send_marketing(payload) if marketing else transport.send(payload))
    except SendError as error:
        _handle_failure(message_id, error, attempts)
        return
    with db.transaction() as session:
        sent = outbox.mark_sent(session, message_id, wamid=wamid, transport=transport.name,
                                payload=payload, now=db.utcnow())
        # Meta's `sent` status may have come first and recorded it (reconciliation).
        sent = sent or outbox.adopt_reported(session, [(message_id, wamid)],
                                             transport=transport.name) == 1
        if not sent:
            # Our lease ran out mid-send and another worker took over: a duplicate may
            # follow. Leases are sized to make this rare; log it so it is never silent.
            log.warning("message %s was sent after its lease expired", message_id)
        else:
            if about_an_order:
                # Noted on the order in the store's admin by its own job: never holds up sends.
                queue.enqueue_after_commit(session, queue.Job.AUDIT_MESSAGE, message_id)
            if receipts:
                sandbox.queue_receipts(session, message_id)


def use_fallback(message: Message) -> None:
    """Turn a free-form message into the template it carries for a closed window."""
    assert message.fallback is not None
    message.template = message.fallback["template"]
    message.payload = message.fallback["payload"]
    message.fallback = None


def _fell_back(message_id: int) -> bool:
    """After a 131047: switch to the message's template and try again at once, if it has one."""
    now = db.utcnow()
    with db.transaction() as session:
        message = session.get(Message, message_id)
        if message is None or message.template is not None or not message.fallback:
            return False
        use_fallback(message)
        session.flush()
        released = outbox.release(session, message_id, not_before=now, now=now, code=131047,
                                  reason="outside the 24-hour window: sending its template")
        if released:
            queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
    return released


def handle_failure(message_id: int, error: SendError, attempts: int) -> None:
    """After a failed send of a leased message: retry it later, fall back to its template,
    hold its customer (131049), or end it as failed, as the error's class says."""
    _handle_failure(message_id, error, attempts)


def _handle_failure(message_id: int, error: SendError, attempts: int) -> None:
    if isinstance(error, NeedsTemplateError) and _fell_back(message_id):
        return
    if isinstance(error, RetryableError) and attempts < MAX_SEND_ATTEMPTS:
        delay = min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_CAP_SECONDS)
        _retry_later(message_id, delay, error.reason, error.code)
        return
    if isinstance(error, HeldError) and _held(message_id, error):
        return
    reason = error.reason
    if isinstance(error, RetryableError):
        reason = f"gave up after {attempts} attempts: {error.reason}"
    elif isinstance(error, AccountError):
        reason = f"the WhatsApp account needs to be reconnected: {error.reason}"
    elif isinstance(error, NeedsTemplateError):
        reason = f"outside the 24-hour window, a template is needed: {error.reason}"
    elif not isinstance(error, PermanentError):
        reason = f"{error.__class__.__name__}: {error.reason}"
    with db.transaction() as session:
        outbox.finish(session, message_id, MessageState.FAILED, reason=reason, code=error.code)
        if isinstance(error, AccountError):
            _flag_account(session, message_id)


def _held(message_id: int, error: SendError) -> bool:
    """After a 131049: hold the customer's marketing, and let the message wait once for the
    hold's end, or skip it when its deadline comes first. False when it is gone."""
    now = db.utcnow()
    until = marketing_holds.hold_until(now)
    with db.transaction() as session:
        message = session.get(Message, message_id)
        if message is None:
            return False
        if message.customer_id is not None:
            marketing_holds.hold(session, [message.customer_id], until)
        if message.send_by is not None and message.send_by <= until:
            outbox.finish(session, message_id, MessageState.SKIPPED,
                          reason=f"{policy.DEADLINE_PASSED} while Meta held it: {error.reason}",
                          code=error.code)
            return True
    _retry_later(message_id, HOLD_SECONDS, error.reason, error.code)
    return True


def _flag_account(session, message_id: int) -> None:  # type: ignore[no-untyped-def]
    message = session.get(Message, message_id)
    for account in session.scalars(
        select(WhatsAppAccount).where(WhatsAppAccount.store_id == message.store_id)
    ):
        account.needs_reauth = True


def _retry_later(message_id: int, delay: float, reason: str, code: int | None) -> None:
    now = db.utcnow()
    with db.transaction() as session:
        released = outbox.release(session, message_id, not_before=now + timedelta(seconds=delay),
                                  reason=reason, code=code, now=now)
        if released:
            queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id, delay)
