"""Applying WhatsApp updates: statuses forward only, the window, consent, identities."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from adapters.whatsapp.notifications import parse_notification
from plugin.domain.messaging import (
    DeliveryStatus,
    InboundKind,
    InboundMessage,
    MarketingPreference,
    Notification,
    Sender,
    StatusUpdate,
    TemplateUpdate,
)
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Message, Template, WhatsAppAccount
from plugin.pipeline.conversations import apply_notification
from tests.conftest import DemoPlatform, order_payload

NUMBER = "106540352242922"


def _connect(app: Flask, demo: DemoPlatform) -> None:
    with app.app_context(), db.transaction() as session:
        session.add(WhatsAppAccount(store_id=demo.store_id, phone_number_id=NUMBER,
                                    waba_id="WABA1"))


def _apply(app: Flask, *updates: object) -> None:
    with app.app_context(), db.transaction() as session:
        apply_notification(session, Notification(updates=tuple(updates)))  # type: ignore[arg-type]


def _status(wamid: str, status: DeliveryStatus, **extra: object) -> StatusUpdate:
    return StatusUpdate(wamid=wamid, phone_number_id=NUMBER, recipient="351912345678",
                        status=status, timestamp=int(time.time()), **extra)  # type: ignore[arg-type]


def _inbound(text: str = "hi", sender: Sender | None = None, **extra: object) -> InboundMessage:
    return InboundMessage(wamid=f"wamid.in.{text}", phone_number_id=NUMBER,
                          sender=sender or Sender(wa_id="351912345678", profile_name="Ana"),
                          kind=InboundKind.TEXT, timestamp=int(time.time()), text=text,
                          **extra)  # type: ignore[arg-type]


def _message(app: Flask) -> Message:
    with app.app_context():
        return db.session().scalars(select(Message)).one()


def test_statuses_move_forward_and_a_late_sent_changes_nothing(app: Flask,
                                                              demo: DemoPlatform) -> None:
    demo.post("orders/create", order_payload())
    wamid = _message(app).wamid
    _apply(app, _status(wamid, DeliveryStatus.DELIVERED), _status(wamid, DeliveryStatus.READ))
    _apply(app, _status(wamid, DeliveryStatus.SENT))
    message = _message(app)
    assert message.state == "read" and message.read_at and message.delivered_at


def test_a_late_status_keeps_its_time_while_the_state_stays(app: Flask,
                                                          demo: DemoPlatform) -> None:
    demo.post("orders/create", order_payload())
    message = _message(app)
    wamid, sent_at = message.wamid, message.sent_at
    read = StatusUpdate(wamid=wamid, phone_number_id=NUMBER, recipient="351912345678",
                        status=DeliveryStatus.READ, timestamp=1_800_000_100)
    delivered = StatusUpdate(wamid=wamid, phone_number_id=NUMBER, recipient="351912345678",
                             status=DeliveryStatus.DELIVERED, timestamp=1_800_000_050)
    _apply(app, read)
    _apply(app, delivered)  # Meta's delivered arrives after its read
    _apply(app, _status(wamid, DeliveryStatus.SENT))
    _apply(app, StatusUpdate(**{**{f: getattr(delivered, f) for f in delivered.__slots__},
                                "timestamp": 1_800_000_099}))  # a redelivery later on
    message = _message(app)
    assert message.state == "read"
    assert message.read_at == datetime(2027, 1, 15, 8, 1, 40)
    assert message.delivered_at == datetime(2027, 1, 15, 8, 0, 50)
    assert message.sent_at == sent_at  # our own send time is not overwritten


def test_a_failure_keeps_its_time(app: Flask, demo: DemoPlatform) -> None:
    demo.post("orders/create", order_payload())
    wamid = _message(app).wamid
    _apply(app, StatusUpdate(wamid=wamid, phone_number_id=NUMBER, recipient="351912345678",
                             status=DeliveryStatus.FAILED, timestamp=1_800_000_000,
                             error_code=131026))
    failed = _message(app)
    assert (failed.state, failed.failed_at) == ("failed", datetime(2027, 1, 15, 8, 0, 0))


def test_a_failure_keeps_its_code_and_a_readable_reason(app: Flask, demo: DemoPlatform) -> None:
    demo.post("orders/create", order_payload())
    message = _message(app)
    _apply(app, _status("wamid.unknown-to-us", DeliveryStatus.FAILED, error_code=131026,
                        error_title="Message undeliverable",
                        error_detail="The recipient is not on WhatsApp",
                        callback_data=f"storechat:{message.id}"))
    failed = _message(app)
    assert (failed.state, failed.error_code) == ("failed", 131026)
    assert failed.reason == "Message undeliverable: The recipient is not on WhatsApp"


def test_an_inbound_message_opens_the_window_and_matches_the_customer(
        app: Flask, demo: DemoPlatform) -> None:
    demo.post("orders/create", order_payload())  # Ana exists with phone +351912345678
    _connect(app, demo)
    _apply(app, _inbound("where is my order?"))
    with app.app_context():
        [customer] = db.session().scalars(select(Customer)).all()
    assert customer.wa_id == "351912345678" and customer.last_inbound_at is not None


def test_a_sender_without_a_phone_number_is_a_customer_too(app: Flask,
                                                          demo: DemoPlatform) -> None:
    _connect(app, demo)
    referral = {"source_url": "https://fb.me/ad", "source_id": "ad-1", "source_type": "ad"}
    _apply(app, _inbound("hello", Sender(bsuid="US.13491208655302741918", profile_name="Bo"),
                         referral=referral))
    with app.app_context():
        customer = db.session().scalars(select(Customer).where(
            Customer.bsuid == "US.13491208655302741918")).one()
    assert (customer.phone_e164, customer.wa_id, customer.first_name) == (None, None, "Bo")
    assert customer.ad_source == referral


def test_stop_and_start_are_logged_with_their_words(app: Flask, demo: DemoPlatform) -> None:
    _connect(app, demo)
    _apply(app, _inbound("STOP"))
    _apply(app, _inbound("START"))
    _apply(app, MarketingPreference(phone_number_id=NUMBER, sender=Sender(wa_id="351912345678"),
                                    granted=False, timestamp=int(time.time())))
    with app.app_context():
        log = [(e.granted, e.source, e.text_shown) for e in
               db.session().scalars(select(ConsentEntry).where(ConsentEntry.purpose == "marketing")
                                    .order_by(ConsentEntry.id))]
    assert log == [(False, "whatsapp_stop", "STOP"), (True, "whatsapp_start", "START"),
                   (False, "whatsapp_preference", "Marketing messages stopped in WhatsApp")]


def test_updates_for_an_unknown_number_are_ignored(app: Flask, demo: DemoPlatform) -> None:
    _apply(app, _inbound("STOP"))
    with app.app_context():
        assert db.session().scalars(select(ConsentEntry).where(
            ConsentEntry.purpose == "marketing")).all() == []


def test_template_status_updates_reach_the_synced_templates(app: Flask,
                                                            demo: DemoPlatform) -> None:
    _connect(app, demo)
    _apply(app, TemplateUpdate(waba_id="WABA1", name="order_shipped", language="en",
                               event="PAUSED", field="message_template_status_update"))
    _apply(app, TemplateUpdate(waba_id="OTHER", name="order_delivered", language="en",
                               event="REJECTED", field="message_template_status_update"))
    with app.app_context():
        statuses = dict(db.session().execute(select(Template.name, Template.status)).all())
    assert statuses["order_shipped"] == "PAUSED"
    assert statuses["order_delivered"] == "APPROVED"


def test_a_status_from_before_the_latest_submission_does_not_undo_its_review(
        app: Flask, demo: DemoPlatform) -> None:
    """Resubmitted at 12:00 and approved: a REJECTED of the previous review, stamped 11:00
    and delivered late (Meta redelivers for days), leaves the template approved."""
    _connect(app, demo)
    submitted = datetime(2026, 12, 5, 12, 0, 0)
    with app.app_context(), db.transaction() as session:
        row = session.scalars(select(Template).where(Template.name == "order_shipped")).one()
        row.status, row.submitted_at = "PENDING", submitted
    stamp = int(submitted.replace(tzinfo=UTC).timestamp())

    def status(event: str, at: int) -> TemplateUpdate:
        return TemplateUpdate(waba_id="WABA1", name="order_shipped", language="en",
                              event=event, field="message_template_status_update", at=at)

    def now_status() -> str:
        with app.app_context():
            return db.session().scalars(select(Template.status).where(
                Template.name == "order_shipped")).one()

    _apply(app, status("APPROVED", stamp))  # the same second as the submission: counts
    assert now_status() == "APPROVED"
    _apply(app, status("REJECTED", stamp - 3600))
    assert now_status() == "APPROVED"
    _apply(app, status("PAUSED", stamp + 7200))  # a later event still applies
    assert now_status() == "PAUSED"


def test_the_entry_time_of_a_template_webhook_is_read() -> None:
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": "WABA1", "time": 1764936000, "changes": [{
            "field": "message_template_status_update", "value": {
                "event": "APPROVED", "message_template_name": "order_shipped",
                "message_template_language": "en", "reason": "NONE"}}]}]}).encode()
    update_ = parse_notification(body).updates[0]
    assert isinstance(update_, TemplateUpdate) and update_.at == 1764936000
