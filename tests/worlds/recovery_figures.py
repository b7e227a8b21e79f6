"""Cart recovery rows made by hand, as the sender, the click counter and attribution would
leave them: carts in two currencies with 0 and 3 decimals (JPY, KWD), steps in every state,
messages sent, delivered, read and failed, one cart recovered after step 1 and two after
step 2, reasons for steps not sent, a cart without a phone, an old cart outside the period.
The figures these rows must give are written out in EXPECTED, by hand."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from plugin.infra import db
from plugin.models import Checkout, Message, RecoveryStep, Store, Template
from plugin.pipeline.recovery import steps as recovery_steps

SENT, SKIPPED, STOPPED = "sent", "skipped", "stopped"
SCHEDULED, CLAIMED = "scheduled", "due-claimed"
STEP_BODY = "Hi {{1}}, you left {{2}} in your cart ({{3}} items, {{4}}). Tap to finish."
STEP_BUTTON = {"type": "BUTTONS", "buttons": [
    {"type": "URL", "text": "Back to my cart", "url": "https://shop.example/t/{{1}}"}]}
DISCOUNT_BODY = "Hi {{1}}, {{2}} is still waiting: {{3}} off with the code {{4}}."
NO_PHONE_PROBLEM = "national number without a country"
# The figures the rows below make over the last 30 days, counted by hand.
EXPECTED: dict[str, Any] = {
    "carts_seen": 7, "reachable": 6,
    1: {"sent": 4, "delivered": 2, "read": 1, "clicked": 1, "failed": 1, "not_sent": 2,
        "recovered": 1, "revenue": {"JPY": "12800"}},
    2: {"sent": 2, "delivered": 2, "read": 1, "clicked": 1, "failed": 0, "not_sent": 2,
        "recovered": 2, "revenue": {"KWD": "20.000"}},
    3: {"sent": 0, "delivered": 0, "read": 0, "clicked": 0, "failed": 0, "not_sent": 4,
        "recovered": 0, "revenue": {}},
    "reasons": [("no consent", 3), ("recovered before step 2", 2),
                ("recovered before step 3", 2), ("capped", 1),
                (f"no phone: {NO_PHONE_PROBLEM}", 1), ("quiet hours", 1)],
}


def add_templates(session: Session, store_id: int) -> None:
    """The three steps' templates, approved, in English."""
    for name, text in (("cart_recovery_1", STEP_BODY), ("cart_recovery_2", STEP_BODY),
                       ("cart_recovery_3", DISCOUNT_BODY)):
        session.add(Template(store_id=store_id, name=name, language="en", category="MARKETING",
                             components=[{"type": "BODY", "text": text}, STEP_BUTTON]))


def install(app: Flask, store_id: int, enabled: bool = True) -> None:
    """Templates and the default steps (language en), switched on or off."""
    with app.app_context(), db.transaction() as session:
        add_templates(session, store_id)
        store = session.get(Store, store_id)
        assert store is not None
        store.locale = "en"
        recovery_steps.install_steps(session, store, enabled=enabled)


def cart(session: Session, store_id: int, key: str, name: str, phone: str | None,
         total: str, currency: str, active: datetime, **extra: Any) -> Checkout:
    """A checkout with two items (a shirt and a tote) totalling `total`."""
    row = Checkout(store_id=store_id, platform_id=key, first_name=name, phone_e164=phone,
                   items=[{"title": "Linen shirt", "variant_title": "Blue / M", "quantity": 1,
                           "price": total, "variant_id": "v1", "product_id": "p1"},
                          {"title": "Canvas tote", "quantity": 1, "price": "0"}],
                   item_count=2, total=total, currency=currency, activity_at=active,
                   created_at=active, updated_at=active, locale="en", **extra)
    session.add(row)
    session.flush()
    return row


def step(session: Session, checkout: Checkout, number: int, state: str, at: datetime, *,
         message: str | None = None, clicked: bool = False, reason: str | None = None
         ) -> RecoveryStep:
    """A step row; a sent one with its outbox message in state `message`."""
    row = RecoveryStep(checkout_id=checkout.id, step=number, cycle=1, due_at=at, state=state,
                       reason=reason, updated_at=min(at, db.utcnow()),
                       created_at=min(at, db.utcnow()))
    if state == SENT:
        sent = Message(store_id=checkout.store_id, cause=f"cart:{checkout.id}",
                       step=f"cart_recovery_{number}", to=checkout.phone_e164 or "",
                       template=f"cart_recovery_{number}", state=message or "sent",
                       created_at=at, sent_at=at)
        session.add(sent)
        session.flush()
        row.message_id, row.sent_at = sent.id, at
        row.link_token = f"t{checkout.id}x{number}"
        row.clicked_at = at + timedelta(minutes=5) if clicked else None
    session.add(row)
    return row


def recovered(row: Checkout, at: datetime, total: str, currency: str, after_step: int,
              clicked: bool) -> None:
    """Mark the cart completed and recovered by an order, as attribution does."""
    row.completed_at = row.recovered_at = at
    row.recovered_total, row.recovered_currency = total, currency
    row.recovered_step, row.recovered_clicked = after_step, clicked


def build(app: Flask, store_id: int, other_store_id: int | None = None) -> datetime:
    """The rows of EXPECTED in `store_id` (and noise in `other_store_id`); returns now."""
    with app.app_context(), db.transaction() as session:
        now = db.utcnow()
        day = timedelta(days=1)
        marta = cart(session, store_id, "c1", "Marta", "+819012345678", "12800", "JPY",
                     now - 3 * day)
        step(session, marta, 1, SENT, now - 3 * day, message="read", clicked=True)
        for n in (2, 3):
            step(session, marta, n, SKIPPED, now - 2 * day, reason="recovered before step 2")
        recovered(marta, now - 2 * day, "12800", "JPY", 1, True)

        yousef = cart(session, store_id, "c2", "Yousef", "+96550000002", "12.345", "KWD",
                      now - 4 * day)
        step(session, yousef, 1, SENT, now - 4 * day, message="delivered")
        step(session, yousef, 2, SENT, now - 3 * day, message="read")
        step(session, yousef, 3, SKIPPED, now - 2 * day, reason="recovered before step 3")
        recovered(yousef, now - 2 * day, "12.345", "KWD", 2, False)

        leonor = cart(session, store_id, "c3", "Leonor", "+96550000003", "7.655", "KWD",
                      now - 5 * day)
        step(session, leonor, 1, SENT, now - 5 * day, message="sent")
        step(session, leonor, 2, SENT, now - 4 * day, message="delivered", clicked=True)
        step(session, leonor, 3, SKIPPED, now - 3 * day, reason="recovered before step 3")
        recovered(leonor, now - 3 * day, "7.655", "KWD", 2, True)

        ana = cart(session, store_id, "c4", "Ana", "+351912000004", "49.90", "EUR",
                   now - day)
        step(session, ana, 1, SENT, now - day / 2, message="failed")
        step(session, ana, 2, SCHEDULED, now + day, reason="quiet hours until 09:00")
        step(session, ana, 3, SCHEDULED, now + 3 * day)

        rui = cart(session, store_id, "c5", "Rui", "+351912000005", "20.00", "EUR", now - day)
        for n in (1, 2, 3):
            step(session, rui, n, STOPPED, now - day, reason="no consent")

        cart(session, store_id, "c6", "Nuno", None, "15.00", "EUR", now - day,
             phone_raw="912000006", phone_problem=NO_PHONE_PROBLEM)

        bea = cart(session, store_id, "c7", "Bea", "+351912000007", "30.00", "EUR",
                   now - 2 * day)
        step(session, bea, 1, SKIPPED, now - 2 * day, reason="capped")
        step(session, bea, 2, CLAIMED, now)
        step(session, bea, 3, SCHEDULED, now + 2 * day)

        old = cart(session, store_id, "c8", "Olga", "+351912000008", "99.00", "EUR",
                   now - 60 * day)
        step(session, old, 1, SENT, now - 60 * day, message="read", clicked=True)
        recovered(old, now - 59 * day, "99.00", "EUR", 1, True)

        if other_store_id is not None:
            theirs = cart(session, other_store_id, "x1", "Bartholomew", "+351919999999",
                          "99999", "JPY", now - day)
            step(session, theirs, 1, SENT, now - day, message="read", clicked=True)
            recovered(theirs, now - day, "99999", "JPY", 1, True)
        return now
