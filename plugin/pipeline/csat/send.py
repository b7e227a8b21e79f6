"""Sending the satisfaction survey when due, and its list when the shopper taps the
template's button.

How it is asked. WhatsApp sends a list message only inside the 24-hour service window, and
a template cannot carry a list. So: with the window open when the survey is due, the list
itself (scores 1–10) goes; otherwise the flow's template goes (starter `csat`: the question
with one quick-reply button "Choose a score" whose payload names the survey), and the tap
opens the window, in which the list follows at once (plugin.pipeline.csat.answers). One tap
more outside the window, but the question reaches everyone and the scores stay a real list
(ten quick replies would not fit in a template: it holds three per message).

The window is judged again when the message is sent, not only when it is written: the list
carries the template as its fallback, so a list held back by quiet hours or the send rate
until the window has closed (or refused by Meta with 131047) goes as the template instead.
With no approved template the list is all there is, and the send policy skips it once the
window has closed; `settle` then marks the survey skipped with the send's reason, as it
does for any invitation the policy skipped (no opt-in, STOP) or Meta refused.

Category: a survey is not an update about the transaction (Meta's utility category is for
confirming, changing or reporting on one); it asks the shopper to act, which Meta counts as
marketing. So the starter is MARKETING, and the invitation (list or template) is sent as
marketing: only to shoppers who opted in, never after STOP, outside quiet hours and within
the weekly cap (plugin.pipeline.send_context asks plugin.domain.csat.is_invitation). The
list after a tap and the thank-you answer the shopper's own message, and are not. Where the
number is onboarded to the Marketing Messages API, only a MARKETING template goes through
its endpoint: the list, or an owner's UTILITY template, goes to /messages (still with the
opt-in and caps).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from plugin.domain import csat
from plugin.domain.alerts import first_name_or_fallback
from plugin.domain.journeys import choose_language
from plugin.domain.outbox import MessageState
from plugin.domain.phones import wa_recipient
from plugin.domain.policy import window_open
from plugin.infra import db, queue
from plugin.models import (
    Automation,
    CsatSurvey,
    Customer,
    Message,
    Order,
    Store,
    SurveyState,
    Template,
)
from plugin.pipeline import outbox
from plugin.pipeline.alerts import flows
from plugin.pipeline.csat import schedule
from plugin.platforms.starters import starter_language

# Surveys written per sweep run: a bounded batch, the rest wait for the next run.
BATCH = 200
# Outbox states in which an invitation will never reach the shopper.
_NOT_SENT = (MessageState.SKIPPED.value, MessageState.FAILED.value)


def send_due(now: datetime) -> int:
    """Settle the surveys whose invitation was not sent after all, then write the
    invitation of every survey that came due (a bounded batch); how many were written."""
    with db.transaction() as session:
        settle(session)
        ids = schedule.due(session, now, BATCH)
    return flows.write_due(ids, write_survey, now)


def settle(session: Session) -> int:
    """Mark skipped, with the send's own reason, the surveys whose invitation the send
    policy skipped (no opt-in, STOP, the window closed with no template, …) or Meta
    refused: the owner reads why a survey never reached the shopper; how many."""
    rows = list(session.execute(
        select(CsatSurvey.id, Message.state, Message.reason)
        .join(Message, Message.id == CsatSurvey.message_id)
        .where(CsatSurvey.state == SurveyState.SENT,
               Message.state.in_(_NOT_SENT)).limit(BATCH)))
    for survey_id, state, reason in rows:
        session.execute(update(CsatSurvey).where(
            CsatSurvey.id == survey_id, CsatSurvey.state == SurveyState.SENT).values(
            state=SurveyState.SKIPPED,
            reason=f"the invitation was {state}: {reason or 'no reason given'}"[:255])
            .execution_options(synchronize_session=False))
    return len(rows)


def write_survey(session: Session, survey_id: int, now: datetime) -> int:
    """Write one due survey's invitation (1), or record why it has none (0). Claimed by a
    conditional update, so two sweeps never write one survey twice."""
    survey = flows.claim_due(session, CsatSurvey, survey_id, SurveyState.SCHEDULED,
                             SurveyState.SENT)
    if survey is None:
        return 0
    store = session.get(Store, survey.store_id)
    customer = session.get(Customer, survey.customer_id)
    if store is None or customer is None or not customer.phone_e164:
        return _skip(survey, "the customer has no WhatsApp number")
    flow = flows.rule(session, store, csat.JOURNEY)
    if not flow.enabled:
        return _skip(survey, "the survey was switched off before it was due")
    order = session.get(Order, survey.order_id)
    number = f"#{order.number}" if order is not None and order.number else ""
    invitation, template = _invitation(session, store, customer, flow, survey, number)
    fallback: dict[str, object] | None = None
    if window_open(customer.last_inbound_at, now):
        payload: dict[str, object] | None = score_list(survey, store, customer, number)
        if template is not None:
            # The window may close before the list goes (quiet hours, the send rate, Meta
            # answering 131047): the send job then sends the template instead.
            fallback = {"template": template, "payload": invitation}
        template = None
    else:
        payload = invitation
    if payload is None:
        return _skip(survey, f"no approved “{flow.template}” template to carry it")
    message_id = outbox.write(session, store_id=store.id, customer_id=customer.id,
                              order_id=survey.order_id, cause=csat.cause(survey.id),
                              step=csat.JOURNEY, to=customer.phone_e164,
                              template=template, payload=payload, fallback=fallback)
    survey.message_id = message_id
    if message_id is not None:
        queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
    return 1


def language_of(store: Store, customer: Customer) -> str:
    """The starter language the shopper is asked and answered in."""
    return starter_language(customer.locale or store.locale)


def score_list(survey: CsatSurvey, store: Store, customer: Customer,
               number: str) -> dict[str, object]:
    """The list message with the scores 1–10, each row naming the survey."""
    language = language_of(store, customer)
    rows = [messages.Row(id=csat.row_id(survey.id, score), title=str(score))
            for score in reversed(csat.SCORES)]
    return messages.interactive_list(
        wa_recipient(customer.phone_e164 or ""), csat.question(language, number),
        csat.button(language), [messages.Section(rows=rows)])


def number_of(session: Session, survey: CsatSurvey) -> str:
    """The survey's order number as the shopper knows it ("#1001"), or ''."""
    order = session.get(Order, survey.order_id)
    return f"#{order.number}" if order is not None and order.number else ""


def _invitation(session: Session, store: Store, customer: Customer, flow: Automation,
                survey: CsatSurvey, number: str) -> tuple[dict[str, object] | None, str | None]:
    """The flow's template with its quick-reply payload naming the survey; (None, None)
    when the store has no approved template of that name."""
    templates = {t.language: t for t in session.scalars(select(Template).where(
        Template.store_id == store.id, Template.name == flow.template,
        Template.status == "APPROVED"))}
    if not templates:
        return None, None
    language = choose_language(flow.template, [customer.locale, store.locale],
                               {(flow.template, lang) for lang in templates}, flow.language)
    template = templates[language]
    values = {"first_name": first_name_or_fallback(customer.first_name or "", language),
              "order_number": number}
    buttons = [messages.TemplateButton(index=i, sub_type="quick_reply",
                                       value=csat.cause(survey.id))
               for i in range(_quick_replies(template))]
    parameter_names = (tuple(flow.variables or ())
                       if template.parameter_format == "NAMED" else ())
    try:
        return messages.template(wa_recipient(customer.phone_e164 or ""), flow.template,
                                 language, body=flows.body(flow, values), buttons=buttons,
                                 parameter_names=parameter_names), flow.template
    except messages.MessageLimitError:
        return None, None


def _quick_replies(template: Template) -> int:
    for component in template.components or []:
        if isinstance(component, dict) and str(component.get("type", "")).upper() == "BUTTONS":
            return sum(1 for b in component.get("buttons") or []
                       if isinstance(b, dict) and str(b.get("type", "")).upper()
                       == "QUICK_REPLY")
    return 0


def _skip(survey: CsatSurvey, reason: str) -> int:
    survey.state, survey.reason = SurveyState.SKIPPED, reason[:255]
    return 0
