"""The opt-in form in the widget panel: a phone number and the owner's consent text.

A submission writes a consent-log entry (source "widget", the text shown, the page, time,
IP). Nothing is sent to the number here: messages go out only through automations that
check consent. Abuse is refused with a per-address rate limit and a honeypot field bots
fill in. A refusal names each field that is wrong with a code the widget turns into words
in the shopper's language (widget.i18n.OPTIN_KEYS).
"""
from __future__ import annotations

from flask import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugin.domain.errors import RequestRefused
from plugin.domain.phones import to_e164
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Store
from widget import counters
from widget.counters import clean_path

HONEYPOT_FIELD = "website"
PHONE_MAX_LENGTH = 40


class OptInRefused(RequestRefused):
    """The submission is not a valid opt-in: `fields` maps each wrong field to its code."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {code}" for name, code in fields.items()))
        self.fields = fields


def problems(phone_typed: str, consent: str | None, country: str | None) -> dict[str, str]:
    """Field → error code for everything wrong with a submission (all at once, so the
    shopper fixes both fields in one go); empty when it is valid."""
    found = {}
    if not phone_typed.strip():
        found["phone"] = "phone_missing"
    elif to_e164(phone_typed[:PHONE_MAX_LENGTH], country) is None:
        found["phone"] = "phone_invalid"
    if consent != "1":
        found["consent"] = "consent_missing"
    return found


def record(store: Store, optin: dict[str, str], request: Request) -> ConsentEntry | None:
    """Write the consent entry for a valid submission; None for a honeypot hit (ignored
    without telling the bot). Raises OptInRefused naming the wrong fields."""
    form = request.form
    if form.get(HONEYPOT_FIELD, ""):
        return None
    typed = form.get("phone", "")
    wrong = problems(typed, form.get("consent"), store.country)
    phone = to_e164(typed[:PHONE_MAX_LENGTH], store.country)
    if wrong or phone is None:
        raise OptInRefused(wrong or {"phone": "phone_invalid"})
    page = clean_path(form.get("page"))
    try:
        entry = _write(store, phone, optin, request.remote_addr, page)
    except IntegrityError:  # the same number opted in twice at once: the customer exists now
        entry = _write(store, phone, optin, request.remote_addr, page)
    # The Analytics page counts opt-ins per page and product with the opens and clicks.
    counters.count(store, counters.OPTIN, page or "", counters.clean_product(
        form.get("sku")))
    return entry


def _write(store: Store, phone: str, optin: dict[str, str], ip: str | None,
           page: str | None) -> ConsentEntry:
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
                             text_shown=optin["text"], ip=ip, page=page)
        session.add(entry)
    return entry
