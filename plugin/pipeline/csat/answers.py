"""The shopper's answer to the satisfaction survey, from the signed WhatsApp webhook: a tap
on the template's button gets the list of scores; a row of the list is the score.

The first score counts: it is stored by a conditional update (only while the survey has
none), so a second answer, or Meta delivering the same reply again, changes nothing. A low
score (≤ 6) opens the shopper's conversation for the team with a private note and hands it
over, so no automatic answer speaks before a person; a high one (≥ 9) is thanked.
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from plugin.domain import csat
from plugin.domain.messaging import InboundMessage
from plugin.domain.phones import wa_recipient
from plugin.infra import db, queue
from plugin.models import CsatSurvey, Customer, Store, SurveyState
from plugin.pipeline import conversation_rollups, outbox
from plugin.pipeline.csat import send
from plugin.pipeline.inbox import handover, manage

# Who the private note of a low score is from.
NOTE_AUTHOR = "Satisfaction survey"


def handle_reply(session: Session, store_id: int, customer: Customer,
                 message: InboundMessage) -> bool:
    """Apply the message when it answers one of this shopper's surveys; whether it did (then
    nothing else answers it)."""
    read = csat.read_payload(message.payload)
    if read is None:
        return False
    survey_id, score = read
    survey = session.get(CsatSurvey, survey_id)
    store = session.get(Store, store_id)
    if (survey is None or store is None or survey.store_id != store_id
            or survey.customer_id != customer.id):
        return True  # our payload, but not this shopper's survey: nothing to say
    if score is None:
        _send_list(session, store, customer, survey)
    elif _record(session, survey, score):
        if csat.is_low(score):
            _open_for_team(session, store, customer, survey, score)
        elif csat.is_high(score):
            _write(session, store, customer, survey, csat.THANKS_STEP, messages.text(
                wa_recipient(customer.phone_e164 or ""),
                csat.thanks(send.language_of(store, customer))))
    return True


def _record(session: Session, survey: CsatSurvey, score: int) -> bool:
    """Store the score if the survey has none yet; whether this answer was the first."""
    stored = session.execute(update(CsatSurvey).where(
        CsatSurvey.id == survey.id, CsatSurvey.score.is_(None))
        .values(score=score, answered_at=db.utcnow(), state=SurveyState.ANSWERED)
        .execution_options(synchronize_session=False))
    session.refresh(survey)
    first = stored.rowcount == 1  # type: ignore[attr-defined]
    if first and survey.answered_at is not None:
        conversation_rollups.scored(session, survey.store_id, score, survey.answered_at)
    return first


def _send_list(session: Session, store: Store, customer: Customer,
               survey: CsatSurvey) -> None:
    if survey.score is not None:
        return  # already answered: the list would ask again for nothing
    _write(session, store, customer, survey, csat.LIST_STEP, send.score_list(
        survey, store, customer, send.number_of(session, survey)))


def _open_for_team(session: Session, store: Store, customer: Customer, survey: CsatSurvey,
                   score: int) -> None:
    conversation = handover.hand_over(session, store.id, customer.id)
    number = send.number_of(session, survey)
    manage.add_note(session, conversation, None, NOTE_AUTHOR,
                    f"Scored {score}/10 in the satisfaction survey"
                    f"{' for order ' + number if number else ''}. Please get in touch.")


def _write(session: Session, store: Store, customer: Customer, survey: CsatSurvey, step: str,
           payload: dict[str, object]) -> None:
    message_id = outbox.write(session, store_id=store.id, customer_id=customer.id,
                              order_id=survey.order_id, cause=csat.reply_cause(survey.id),
                              step=step, to=customer.phone_e164 or "", payload=payload)
    if message_id is not None:
        queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
