"""The opt-in form in the widget panel: a phone number and the owner's consent text.

A submission writes a consent-log entry (source "widget", the text shown, time, IP). Nothing
is sent to the number here: messages go out only through automations that check consent.
Abuse is refused with a per-address rate limit and a honeypot field bots fill in.
"""
from __future__ import annotations

from flask import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugin.domain.errors import RequestRefused
from plugin.domain.phones import to_e164
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Store

HONEYPOT_FIELD = "website"


class OptInRefused(RequestRefused):
    """The submission is not a valid opt-in (the message says why, for the log)."""


def record(store: Store, optin: dict[str, str], request: Request) -> ConsentEntry | None:
    """Write the consent entry for a valid submission; None for a honeypot hit (ignored
    without telling the bot). Raises OptInRefused for a bad phone or an unticked box."""
    form = request.form
    if form.get(HONEYPOT_FIELD, ""):
        return None
    if form.get("consent") != "1":
        raise OptInRefused("consent box not ticked")
    phone = to_e164(form.get("phone", "")[:40], store.country)
    if phone is None:
        raise OptInRefused("not a valid phone number for the store's country")
    try:
        return _write(store, phone, optin, request.remote_addr)
    except IntegrityError:  # the same number opted in twice at once: the customer exists now
        return _write(store, phone, optin, request.remote_addr)


def _write(store: Store, phone: str, optin: dict[str, str], ip: str | None) -> ConsentEntry:
    with db.transaction() as session:
        customer = session.scalars(select(Customer).where(
            Customer.store_id == store.id, Customer.phone_e164 == phone)).first()
        if customer is None:
            customer = Customer(store_id=store.id, platform_id=f"widget:{phone}",
                                phone_e164=phone, tags=[])
            session.add(customer)
            session.flush()
        entry = ConsentEntry(store_id=store.id, customer_id=customer.id,
                             purpose=optin["purpose"], granted=True, source="widget",
                             text_shown=optin["text"], ip=ip)
        session.add(entry)
    return entry
