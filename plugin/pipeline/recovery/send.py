"""Sending due cart recovery steps: the sweeper claims due timer rows and queues one job per
step; the job sends the step's message, or skips, stops or defers it with the owner's reason.

Everything a step decides and writes happens in one transaction (the step taken back from
its claim first, so two workers never both go on), so a crash leaves nothing or everything.
The one outside call, the store's discount code, is made between two transactions: it is
idempotent per cart (platforms.discounts), so a retry after a crash finds the same code.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from plugin.domain import policy, recovery, recovery_messages
from plugin.domain.errors import ProviderError
from plugin.domain.events import CustomerRef
from plugin.domain.journeys import choose_language
from plugin.domain.phones import wa_recipient
from plugin.domain.recovery_messages import ApprovedTemplate, Outcome, StepFacts, Verdict
from plugin.infra import db, queue
from plugin.models import Checkout, Customer, Order, RecoveryStep, StepState, Store, Template
from plugin.pipeline import consent_log, holdouts, outbox, send_context
from plugin.pipeline.recovery import steps as recovery_steps
from plugin.pipeline.recovery import timers as recovery_timers
from plugin.pipeline.recovery.steps import StepRule
from plugin.platforms import discounts

# Steps claimed per sweep; a larger backlog drains over the following sweeps (seconds apart).
DUE_BATCH = 500
# A store that could not make the discount code: the step waits this long and tries again…
DISCOUNT_RETRY = timedelta(minutes=10)
# …up to this many times in all, then is sent without the discount.
DISCOUNT_TRIES = 3
_TRIED = re.compile(re.escape(recovery_timers.DISCOUNT_FAILED.split("(")[0]) + r"\(try (\d+) ")
_CLAIMED, _SCHEDULED = StepState.CLAIMED.value, StepState.SCHEDULED.value
# The reason a held-out cart's steps carry: it gets nothing, to measure recovery's lift.
HELD_OUT = "held out: no message, to measure the lift (Analytics)"


def enqueue_due(now: datetime | None = None) -> int:
    """Claim due steps (and steps whose claim lapsed: their job was lost) and queue a job
    for each once the claim commits; how many. Run by every worker's sweeper."""
    now = now or db.utcnow()
    with db.transaction() as session:
        step_ids = recovery_timers.claim_due(session, now, DUE_BATCH)
        for step_id in step_ids:
            queue.enqueue_after_commit(session, queue.Job.RECOVERY_STEP, step_id)
    return len(step_ids)


@dataclass(frozen=True, slots=True)
class _CodeNeeded:
    """The step goes out with a discount whose code is not made yet."""

    store_id: int
    checkout_key: str
    discount: recovery.Discount
    tries: int  # failed tries so far


_ASK = "?"  # no code given yet: ask for one when the step carries a discount


def send_step(step_id: int) -> None:
    """Send one claimed step's message, or skip, stop or defer it with the owner's reason.
    Safe to run twice: only a step still claimed is worked on, and its message is written
    once (outbox unique on cause and step)."""
    now = db.utcnow()
    needed = _attempt(step_id, now, _ASK)
    if needed is None:
        return
    with db.transaction() as session:
        store = session.get_one(Store, needed.store_id)
        session.expunge(store)  # read, not held: the store call runs outside any transaction
    expires = now.replace(tzinfo=UTC) + timedelta(hours=needed.discount.hours)
    try:
        code: str | None = discounts.recovery_discount(
            store, needed.checkout_key, needed.discount.percent, expires)
    except ProviderError as error:
        tries = needed.tries + 1
        if tries < DISCOUNT_TRIES:
            _retry_discount(step_id, now, tries, str(error))
            return
        code = None
    except ValueError:
        code = None  # a platform without discounts, or a refused percent: trying cannot help
    _attempt(step_id, db.utcnow(), code)


def _attempt(step_id: int, now: datetime, code: str | None) -> _CodeNeeded | None:
    """One transaction: decide and write. Returns what the discount needs when the step
    carries one and `code` is _ASK (nothing written then but a longer claim)."""
    with db.transaction() as session:
        if not _hold(session, step_id, now):
            return None  # done by another run, or no longer due
        row = session.get_one(RecoveryStep, step_id)
        checkout = session.get_one(Checkout, row.checkout_id)
        store = session.get_one(Store, checkout.store_id)
        rules = {r.step: r for r in recovery_steps.store_steps(session, store.id)}
        rule = rules.get(row.step)
        customer = _customer(session, store, checkout)
        approved = _approved(session, store.id, rule.template) if rule else {}
        context = send_context.for_recipient(
            session, store=store, customer=customer, template=rule.template if rule else None,
            recipient=checkout.phone_e164, now=now, cause=_cause(checkout, row))
        verdict = recovery_messages.verdict(StepFacts(
            step=row.step, store_status=store.status, enabled=rule is not None,
            completed=checkout.completed_at is not None,
            ordered_since=_ordered_since(session, checkout, customer),
            replied=_replied(session, row, customer),
            emptied=checkout.item_count <= 0 or not checkout.items,
            phone=checkout.phone_e164, later_due=_later_due(session, row, now),
            template=rule.template if rule else "", approved=bool(approved),
            policy=policy.decide(context), now=now, local_now=context.local_now))
        if verdict.outcome is Outcome.SEND and _held_out(session, store, checkout, row,
                                                         customer, now):
            verdict = Verdict(Outcome.STOP, HELD_OUT)
        if verdict.outcome is not Outcome.SEND:
            _settle(session, row, checkout, verdict, now)
            return None
        assert rule is not None  # a step without its rule is skipped above
        discount = rule.discount
        if discount is not None and code == _ASK:
            return _CodeNeeded(store.id, str(checkout.id), discount, _tries(row.reason))
        _send(session, row, checkout, store, customer, rule, approved,
              code if discount is not None and code != _ASK else None, context.local_now, now)
    return None


def _held_out(session: Session, store: Store, checkout: Checkout, row: RecoveryStep,
              customer: Customer | None, now: datetime) -> bool:
    """Whether this cart's sequence is in the store's holdout: decided (and recorded, with
    the messaged ones) when its first step would go out; a sequence that already sent a
    step stays messaged whatever the share is now."""
    unit = holdouts.recovery_unit(checkout.id, row.cycle)
    if store.recovery_holdout_percent <= 0 or session.scalar(select(RecoveryStep.id).where(
            RecoveryStep.checkout_id == checkout.id, RecoveryStep.cycle == row.cycle,
            RecoveryStep.state == StepState.SENT.value).limit(1)) is not None:
        return False
    customer = customer or _new_customer(session, store, checkout)
    if checkout.customer_id is None and customer is not None:
        checkout.customer_id = customer.id
    window = timedelta(days=store.recovery_attribution_days or recovery.DEFAULT_ATTRIBUTION_DAYS)
    return holdouts.decide(session, store.id, holdouts.RECOVERY, unit,
                           customer.id if customer else None, store.recovery_holdout_percent,
                           now, window)


def _hold(session: Session, step_id: int, now: datetime) -> bool:
    """Take the step from its claim for this run (a fresh lease): the first write, so a
    second run waits for this transaction and then finds it no longer claimed."""
    result = session.execute(
        update(RecoveryStep).where(RecoveryStep.id == step_id, RecoveryStep.state == _CLAIMED)
        .values(lease_until=now + recovery_timers.CLAIM_LEASE)
        .execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


def _cause(checkout: Checkout, row: RecoveryStep) -> str:
    """The outbox cause of every step of one sequence (cart and cycle): the weekly marketing
    cap leaves the sequence's own earlier steps out by it."""
    return f"checkout:{checkout.id}:{row.cycle}"


def _customer(session: Session, store: Store, checkout: Checkout) -> Customer | None:
    """The checkout's customer, else the store's customer with its phone (consent, caps and
    the window live on the customer); None when the shopper is not known yet."""
    if checkout.customer_id is not None:
        found = session.get(Customer, checkout.customer_id)
        if found is not None:
            return found
    if not checkout.phone_e164:
        return None
    return session.scalars(select(Customer).where(
        Customer.store_id == store.id, Customer.phone_e164 == checkout.phone_e164)
        .order_by(Customer.id)).first()


def _approved(session: Session, store_id: int, name: str) -> dict[str, ApprovedTemplate]:
    """The template's approved languages, by language."""
    return {t.language: ApprovedTemplate(name=t.name, language=t.language,
                                         components=list(t.components or []),
                                         named=t.parameter_format == "NAMED")
            for t in session.scalars(select(Template).where(
                Template.store_id == store_id, Template.name == name,
                Template.status == "APPROVED"))}


def _ordered_since(session: Session, checkout: Checkout, customer: Customer | None) -> bool:
    """An order from this shopper (the customer, or any customer with the cart's phone)
    stored since the cart was."""
    who = []
    if customer is not None:
        who.append(Order.customer_id == customer.id)
    if checkout.phone_e164:
        who.append(Order.customer_id.in_(select(Customer.id).where(
            Customer.store_id == checkout.store_id,
            Customer.phone_e164 == checkout.phone_e164)))
    if not who:
        return False
    return session.scalar(select(Order.id).where(
        Order.store_id == checkout.store_id, Order.created_at >= checkout.created_at,
        or_(*who)).limit(1)) is not None


def _replied(session: Session, row: RecoveryStep, customer: Customer | None) -> bool:
    """The shopper wrote to us after the first message of this cycle was sent."""
    if customer is None or customer.last_inbound_at is None:
        return False
    first = session.scalar(select(func.min(RecoveryStep.sent_at)).where(
        RecoveryStep.checkout_id == row.checkout_id, RecoveryStep.cycle == row.cycle))
    return first is not None and customer.last_inbound_at > first


def _later_due(session: Session, row: RecoveryStep, now: datetime) -> int | None:
    """The latest later step of this cycle that is due too (a worker that was behind)."""
    return session.scalar(select(func.max(RecoveryStep.step)).where(
        RecoveryStep.checkout_id == row.checkout_id, RecoveryStep.cycle == row.cycle,
        RecoveryStep.step > row.step, RecoveryStep.due_at <= now,
        RecoveryStep.state.in_((_SCHEDULED, _CLAIMED))))


def _tries(reason: str | None) -> int:
    """How many times the step's discount code failed so far (kept in its reason)."""
    match = _TRIED.match(reason or "")
    return int(match.group(1)) if match else 0


def _settle(session: Session, row: RecoveryStep, checkout: Checkout, verdict: Verdict,
            now: datetime) -> None:
    """Write a step that is not sent: skipped, stopped with the rest of its cycle, or back
    to scheduled for later."""
    values: dict[str, object] = {"reason": verdict.reason[:120], "lease_until": None,
                                 "updated_at": now}
    if verdict.outcome is Outcome.DEFER:
        values.update(state=_SCHEDULED, due_at=verdict.due_at)
    elif verdict.outcome is Outcome.STOP:
        values["state"] = StepState.STOPPED.value
        recovery_timers.end_rest(session, checkout.id, row.cycle, StepState.STOPPED,
                                 verdict.reason, now)
    else:
        values["state"] = StepState.SKIPPED.value
        if verdict.outcome is Outcome.COMPLETE:
            # An order since the cart, even one that does not name it, ends its recovery.
            checkout.completed_at = checkout.completed_at or now
            recovery_timers.end_rest(session, checkout.id, row.cycle, StepState.SKIPPED,
                                     verdict.reason, now)
    for key, value in values.items():
        setattr(row, key, value)


def _retry_discount(step_id: int, now: datetime, tries: int, error: str) -> None:
    """The store could not make the code: the step waits DISCOUNT_RETRY and tries again."""
    reason = recovery_timers.DISCOUNT_FAILED.format(attempt=tries, tries=DISCOUNT_TRIES) + error
    with db.transaction() as session:
        session.execute(update(RecoveryStep)
                        .where(RecoveryStep.id == step_id, RecoveryStep.state == _CLAIMED)
                        .values(state=_SCHEDULED, due_at=now + DISCOUNT_RETRY,
                                reason=reason[:120], lease_until=None, updated_at=now)
                        .execution_options(synchronize_session=False))


def _send(session: Session, row: RecoveryStep, checkout: Checkout, store: Store,
          customer: Customer | None, rule: StepRule, approved: dict[str, ApprovedTemplate],
          code: str | None, local_now: datetime | None, now: datetime) -> None:
    """Write the step's message to the outbox and the step as sent (or skip it when the
    message cannot be made), and queue the send once this commits."""
    phone = checkout.phone_e164
    assert phone  # a step without a phone is stopped before
    token = secrets.token_urlsafe(16)
    link = current_app.config["STORECHAT"].public_url.rstrip("/") + "/t/" + token
    discount = rule.discount
    expires = ((local_now or now) + timedelta(hours=discount.hours)) if discount else None
    cart = recovery.cart_view(checkout, link_url=link, discount_code=code or "",
                              discount=discount, discount_expires_at=expires)
    preferred = [customer.locale if customer else None, checkout.locale, store.locale]
    language = choose_language(rule.template, preferred,
                               {(rule.template, lang) for lang in approved}, rule.language)
    planned = recovery_messages.plan(approved[language], rule.variables, cart, token)
    if isinstance(planned, str):
        _settle(session, row, checkout, Verdict(Outcome.SKIP, planned), now)
        return
    try:
        header = ([messages.media_link_parameter("image", planned.header_image)]
                  if planned.header_image else [])
        payload = messages.template(wa_recipient(phone), planned.template, planned.language,
                                    header=header, body=planned.body, buttons=planned.buttons,
                                    parameter_names=planned.parameter_names)
    except messages.MessageLimitError as error:
        reason = f"not sent: the message breaks a WhatsApp limit ({error})"
        _settle(session, row, checkout, Verdict(Outcome.SKIP, reason), now)
        return
    customer = customer or _new_customer(session, store, checkout)
    if checkout.customer_id is None and customer is not None:
        checkout.customer_id = customer.id
    message_id = outbox.write(
        session, store_id=store.id, customer_id=customer.id if customer else None,
        cause=_cause(checkout, row), step=rule.journey, to=phone,
        template=planned.template, payload=payload)
    if message_id is None:
        # Its message exists: written by a run that then lost this step (cannot commit one
        # without the other), so this only guards against sending it a second time.
        _settle(session, row, checkout, Verdict(Outcome.SKIP, "already sent"), now)
        return
    for key, value in {"state": StepState.SENT.value, "message_id": message_id,
                       "sent_at": now, "link_token": token, "discount_code": code,
                       "reason": None, "lease_until": None, "updated_at": now}.items():
        setattr(row, key, value)
    queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)


def _new_customer(session: Session, store: Store, checkout: Checkout) -> Customer | None:
    """The shopper as a customer of the store, known by phone ("phone:+34…") as the
    checkout consent is: the message, its consent, cap and window belong to someone."""
    return consent_log.upsert_customer(session, store, CustomerRef(
        platform_id="", first_name=checkout.first_name, phone=checkout.phone_e164,
        email=checkout.email, locale=checkout.locale))
