"""Applying what WhatsApp tells us: statuses move the outbox forward, inbound messages open
the 24-hour window and may change consent, and preference changes take effect at once."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from plugin.domain.consent import OptReading, read_message
from plugin.domain.messaging import (
    ChannelError,
    InboundMessage,
    MarketingPreference,
    Notification,
    NumberUpdate,
    Sender,
    StatusUpdate,
    TemplateUpdate,
)
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Store, Template, WhatsAppAccount
from plugin.pipeline import (
    ad_figures,
    auto_answers,
    carts,
    cod_answers,
    customer_tags,
    number_health,
    opt_out,
    reactions,
    sandbox,
    statuses,
)
from plugin.pipeline import assistant as shop_assistant
from plugin.pipeline import keyword_rules as keyword_answers
from plugin.pipeline.alerts import subscriptions as alert_subscriptions
from plugin.pipeline.csat import answers as csat_answers
from plugin.pipeline.inbox import threads as inbox_threads
from plugin.pipeline.recovery import stops as recovery_stops

log = logging.getLogger(__name__)

# Meta stamps a template's status event in whole seconds, by its own clock: an event up to
# this long before the latest submission still counts as the answer to it.
TEMPLATE_STATUS_CLOCK_SLACK = timedelta(minutes=1)


def apply_notification(session: Session, notification: Notification) -> None:
    """Apply every update of one Meta delivery: its statuses at once, the rest in order."""
    stores: dict[str, int | None] = {}
    # A delivery's statuses at once (Meta batches hundreds at full speed), before the rest.
    statuses.apply_many(session, [i for i in notification.updates if isinstance(i, StatusUpdate)])
    for item in notification.updates:
        if isinstance(item, StatusUpdate):
            continue
        if isinstance(item, InboundMessage):
            store_id = _store_for(session, stores, item.phone_number_id)
            if store_id is not None:
                apply_message(session, store_id, item)
        elif isinstance(item, MarketingPreference):
            store_id = _store_for(session, stores, item.phone_number_id)
            if store_id is not None:
                _record_consent(session, store_id, _customer(session, store_id, item.sender),
                                granted=item.granted, source="whatsapp_preference",
                                text="Marketing messages " + ("resumed" if item.granted
                                                              else "stopped") + " in WhatsApp",
                                at=datetime.fromtimestamp(item.timestamp, UTC)
                                .replace(tzinfo=None))
        elif isinstance(item, TemplateUpdate):
            apply_template_update(session, item)
        elif isinstance(item, NumberUpdate):
            number_health.apply(session, item)
        elif isinstance(item, ChannelError):
            log.warning("WhatsApp reported error %s for number %s: %s %s", item.code,
                        item.phone_number_id, item.title, item.detail)


def _store_for(session: Session, cache: dict[str, int | None], phone_number_id: str) -> int | None:
    if phone_number_id not in cache:
        cache[phone_number_id] = session.scalars(select(WhatsAppAccount.store_id).where(
            WhatsAppAccount.phone_number_id == phone_number_id)).first()
        if cache[phone_number_id] is None:
            # The demo store has no number: its pretend phone's notifications name its key.
            cache[phone_number_id] = sandbox.store_for_number(session, phone_number_id)
        if cache[phone_number_id] is None:
            log.info("ignoring a WhatsApp update for unknown number %s", phone_number_id)
    return cache[phone_number_id]




def apply_status(session: Session, status: StatusUpdate) -> None:
    """Keep the time of every status reported, and move the message forward (never back);
    a failure keeps its code and a reason (plugin.pipeline.statuses)."""
    statuses.apply_many(session, [status])


def _customer(session: Session, store_id: int, sender: Sender) -> Customer:
    """The store's customer for this sender, matched by phone, wa_id or business id."""
    matches = []
    if sender.wa_id:
        matches += [Customer.wa_id == sender.wa_id, Customer.phone_e164 == f"+{sender.wa_id}"]
    if sender.bsuid:
        matches.append(Customer.bsuid == sender.bsuid)
    customer = session.scalars(select(Customer).where(Customer.store_id == store_id,
                                                      or_(*matches))).first() if matches else None
    if customer is None:
        platform_id = f"wa:{sender.wa_id}" if sender.wa_id else f"bsuid:{sender.bsuid}"
        customer = Customer(store_id=store_id, platform_id=platform_id, tags=[],
                            phone_e164=f"+{sender.wa_id}" if sender.wa_id else None)
        session.add(customer)
    customer.wa_id = sender.wa_id or customer.wa_id
    customer.bsuid = sender.bsuid or customer.bsuid
    if sender.profile_name and not customer.first_name:
        customer.first_name = sender.profile_name[:120]
    session.flush()
    return customer


def apply_message(session: Session, store_id: int, message: InboundMessage) -> Customer:
    """An inbound message: the sender's window opens, ads are remembered, STOP/START count."""
    customer = _customer(session, store_id, message.sender)
    # Kept in the customer's conversation for the team inbox, whatever else it does.
    inbox_threads.record(session, store_id, customer, message)
    at = datetime.fromtimestamp(message.timestamp, UTC).replace(tzinfo=None)
    previous_inbound_at = customer.last_inbound_at
    # A reply to the last message they received (the Analytics page's figure), before our
    # answers to this one are written.
    reactions.replied(session, store_id, customer.id, at)
    if customer.last_inbound_at is None or at > customer.last_inbound_at:
        customer.last_inbound_at = at
        # A message ends the silence `at_risk` counts.
        customer_tags.recompute(session, store_id, [customer.id])
    # Their number wrote: "Notify me" subscriptions given on a form before now count.
    alert_subscriptions.confirm(session, store_id, customer, message)
    if message.referral and not customer.ad_source:
        customer.ad_source = dict(message.referral)
        ad_figures.note_conversation(session, store_id, customer.ad_source, at)
    _answer(session, store_id, customer, message, previous_inbound_at)
    # After the answer: a STOP has already stopped the carts' steps as an opt-out.
    recovery_stops.shopper_replied(session, store_id, customer, at)
    return customer


def _answer(session: Session, store_id: int, customer: Customer, message: InboundMessage,
            previous_inbound_at: datetime | None) -> None:
    """What the message asks of us: an order answer, a survey score, a catalog cart, a
    consent change, then the first of the automatic answers that has something to say: a
    keyword rule, the shop assistant, the greeting or away message."""
    if cod_answers.handle_button(session, store_id, customer, message):
        return  # a Confirm/Cancel tap answers an order; it says nothing on consent
    if csat_answers.handle_reply(session, store_id, customer, message):
        return  # a survey tap or score: no question for the bot, no greeting
    if carts.handle_order(session, store_id, customer, message):
        return  # a cart from the catalog becomes a checkout with its pay link
    reading = read_message(message.text, message.payload)
    store = session.get(Store, store_id)
    if (reading is OptReading.ASK and store is not None
            and shop_assistant.claims_cancel(session, store, message)):
        reading = OptReading.NONE  # "cancel my order" asks to cancel an order, not messages
    if reading is OptReading.ASK:
        # A sentence that names STOP is not obeyed silently: the shopper confirms with a tap.
        opt_out.ask_to_confirm(session, store_id, customer, message)
    elif reading is not OptReading.NONE:
        granted = reading is OptReading.OPT_IN
        _record_consent(session, store_id, customer, granted=granted,
                        source="whatsapp_start" if granted else "whatsapp_stop",
                        text=message.text or message.payload,
                        at=datetime.fromtimestamp(message.timestamp, UTC).replace(tzinfo=None))
    if store is None:
        return
    asks = reading is not OptReading.NONE
    if keyword_answers.answer(session, store, customer, message, asks_about_consent=asks):
        return  # a keyword rule replied: no assistant, greeting or away on top
    if not asks and shop_assistant.answer(session, store, customer, message):
        return  # the shop assistant answered: no greeting or away on top
    auto_answers.answer(session, store, customer, message,
                        previous_inbound_at=previous_inbound_at, asks_about_consent=asks)


def _record_consent(session: Session, store_id: int, customer: Customer, *, granted: bool,
                    source: str, text: str, at: datetime | None = None) -> None:
    session.add(ConsentEntry(store_id=store_id, customer_id=customer.id, purpose="marketing",
                             granted=granted, source=source, text_shown=text[:1000],
                             created_at=db.utcnow()))
    if not granted:
        recovery_stops.shopper_opted_out(session, store_id, customer)
        # Put down to the message before it (the Analytics page's opt-outs after a message).
        reactions.opted_out(session, store_id, customer.id, at or db.utcnow())


def apply_template_update(session: Session, update_: TemplateUpdate) -> None:
    """Keep synced templates' status (with Meta's reason), category and quality in step with
    Meta's notifications; a components change waits for the next template sync."""
    values: dict[str, object]
    if update_.field == "message_template_status_update":
        # An approval clears an earlier rejection's reason; other events keep Meta's words.
        values = {"status": update_.event[:20], "reason": update_.reason[:255] or None}
    elif update_.field == "template_category_update":
        values = {"category": update_.event[:20]}
    elif update_.field == "message_template_quality_update":
        values = {"quality": update_.event[:20]}
    else:
        return
    stores = select(WhatsAppAccount.store_id).where(WhatsAppAccount.waba_id == update_.waba_id)
    statement = update(Template).where(Template.store_id.in_(stores),
                                       Template.name == update_.name,
                                       Template.language == update_.language)
    if update_.field == "message_template_status_update" and update_.at:
        # A status from before the template's latest submission (a late or redelivered
        # REJECTED of the previous review) must not undo the review that followed it.
        happened = datetime.fromtimestamp(update_.at, UTC).replace(tzinfo=None)
        statement = statement.where(or_(
            Template.submitted_at.is_(None),
            Template.submitted_at <= happened + TEMPLATE_STATUS_CLOCK_SLACK))
    session.execute(statement.values(**values))
