"""Customers and their consent: list and search, one with its whole consent history, and
recording a consent answer the store collected itself.

A consent answer recorded here goes through plugin.pipeline.consent_log like every other
(append-only, a repeat of the newest answer is not written again) with the source `api`.
An opt-out takes effect at once. An opt-in counts the way a form's does
(plugin.domain.consent.UNCONFIRMED_SOURCES): once the number has written to the store since,
as anyone can type anyone's number into a form or a script.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field
from spectree import Tag
from sqlalchemy import func, or_, select

from plugin.admin import customer_list
from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, StoreQuery, Strict, page, utc
from plugin.admin.api.problems import ApiError, FieldError, ProblemCode
from plugin.auth import roles
from plugin.auth.roles import Role
from plugin.domain.consent import needs_confirmation
from plugin.domain.customer_tags import clean_tag
from plugin.domain.phones import to_e164
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Store
from plugin.pipeline import consent_log, segments

# Customers are an agent's work: reading them and recording what a shopper said.
roles.declare_module(__name__, Role.AGENT)

TAG = Tag(name="customers", description="Shoppers and the consent log.")
# The source consent answers recorded through the API are logged with.
API_SOURCE = "api"
# A customer's history lists at most this many entries, newest first (as the admin page).
HISTORY = 500
Marketing = Literal["opted_in", "opted_out", "unconfirmed", "none"]


class CustomerQuery(ListQuery):
    """Filters of the customer list."""

    phone: str | None = Field(default=None, max_length=40, description="A phone number, "
                              "E.164 or national (read with the store's country).")
    email: str | None = Field(default=None, max_length=255,
                              description="An email address, any case.")
    q: str | None = Field(default=None, max_length=100,
                          description="Search names, emails and phone numbers.")
    tag: str | None = Field(default=None, max_length=40, description="Has this tag.")
    consent: Marketing | None = Field(default=None, description="WhatsApp marketing state.")
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    language: str | None = Field(default=None, pattern=r"^[A-Za-z]{2,3}$")
    last_order: Literal["7", "30", "90", "365", "never"] | None = Field(
        default=None, description="Ordered within this many days, or never.")
    spent_min: Decimal | None = Field(default=None, ge=0, description="In the store's "
                                      "currency.")
    spent_max: Decimal | None = Field(default=None, ge=0)


class ConsentOut(BaseModel):
    """One entry of the consent log."""

    id: int
    purpose: str = Field(description="marketing, order_updates, back_in_stock, "
                         "sms_marketing, …")
    granted: bool
    source: str = Field(description="Where the answer came from: widget, whatsapp_stop, "
                        "woocommerce_checkout, api, …")
    text_shown: str = Field(description="The words the shopper was shown or wrote.")
    ip: str | None
    created_at: datetime | None


class CustomerOut(BaseModel):
    """A shopper of the store."""

    id: int
    platform_id: str
    first_name: str
    last_name: str
    phone: str | None = Field(description="E.164.")
    wa_id: str | None
    email: str | None
    locale: str | None
    tags: list[str] = Field(description="Automatic (new, frequent, at_risk, deal_seeker, "
                            "high_value), manual and keyword tags.")
    country: str | None
    order_count: int
    spent: str = Field(description="Decimal: orders in the store's currency.")
    last_order_at: datetime | None
    last_inbound_at: datetime | None = Field(description="When they last wrote on WhatsApp "
                                             "(their 24-hour window starts there).")
    created_at: datetime | None
    marketing: Marketing = Field(description="What the send policy makes of the newest "
                                 "WhatsApp marketing answer: `unconfirmed` is a form's "
                                 "opt-in that counts once the number writes to the store.")


class CustomerDetail(CustomerOut):
    """A shopper with their consent history, newest first."""

    consent_history: list[ConsentOut]


class CustomerList(BaseModel):
    """A page of customers, newest first."""

    data: list[CustomerOut]
    next_cursor: str | None


class ConsentIn(Strict):
    """A consent answer the store collected (a form of its own, a call, a shop counter)."""

    purpose: Literal["marketing", "order_updates", "back_in_stock"] = "marketing"
    granted: bool = Field(description="true for an opt-in, false for an opt-out.")
    text: str = Field(min_length=1, max_length=1000, description="The exact words the "
                      "shopper agreed to (or used to opt out), as the log keeps them.")


class ConsentRecorded(BaseModel):
    """The customer after the answer; `recorded` is false when it repeated the newest one."""

    recorded: bool
    customer: CustomerDetail


def _marketing(customer: Customer, entry: tuple[bool, str, datetime] | None) -> Marketing:
    if entry is None:
        return "none"
    granted, source, at = entry
    if not granted:
        return "opted_out"
    if needs_confirmation(True, source, at, customer.last_inbound_at):
        return "unconfirmed"
    return "opted_in"


def _newest_marketing(ids: list[int]) -> dict[int, tuple[bool, str, datetime]]:
    """Each customer's newest WhatsApp marketing entry, in one query."""
    newest: dict[int, tuple[bool, str, datetime]] = {}
    if not ids:
        return newest
    rows = db.session().execute(
        select(ConsentEntry.customer_id, ConsentEntry.granted, ConsentEntry.source,
               ConsentEntry.created_at)
        .where(ConsentEntry.customer_id.in_(ids), ConsentEntry.purpose == "marketing")
        .order_by(ConsentEntry.created_at, ConsentEntry.id))
    for customer_id, granted, source, at in rows:
        newest[customer_id] = (granted, source, at)  # later rows replace earlier ones
    return newest


def _out(customer: Customer, marketing: Marketing) -> dict[str, object]:
    return dict(id=customer.id, platform_id=customer.platform_id,
                first_name=customer.first_name, last_name=customer.last_name,
                phone=customer.phone_e164, wa_id=customer.wa_id, email=customer.email,
                locale=customer.locale, tags=[str(t) for t in customer.tags or []],
                country=customer.country, order_count=customer.order_count,
                spent=str(Decimal(customer.spent_cents) / 100),
                last_order_at=utc(customer.last_order_at),
                last_inbound_at=utc(customer.last_inbound_at),
                created_at=utc(customer.created_at), marketing=marketing)


def detail(customer: Customer) -> CustomerDetail:
    """The customer with their consent history."""
    entries = db.session().scalars(
        access.scoped(select(ConsentEntry), ConsentEntry)
        .where(ConsentEntry.customer_id == customer.id)
        .order_by(ConsentEntry.created_at.desc(), ConsentEntry.id.desc()).limit(HISTORY))
    history = [ConsentOut(id=e.id, purpose=e.purpose, granted=e.granted, source=e.source,
                          text_shown=e.text_shown or "", ip=e.ip, created_at=utc(e.created_at))
               for e in entries]
    marketing = _marketing(customer, _newest_marketing([customer.id]).get(customer.id))
    return CustomerDetail(**_out(customer, marketing), consent_history=history)


@blueprint.get("/customers")
@spec.validate(resp=documented(CustomerList), tags=[TAG], operation_id="listCustomers")
def list_customers(query: CustomerQuery) -> CustomerList:
    """List or search customers

    Newest first; `phone` and `email` narrow the list to that shopper, the other filters
    as the admin's customer list does."""
    statement = select(Customer)
    if query.phone:
        store = db.session().get(Store, access.store_id())
        phone = to_e164(query.phone, store.country if store else None)
        if phone is None:
            raise ApiError(ProblemCode.VALIDATION_FAILED, errors=[FieldError(
                field="phone", location="query", message="Not a phone number we can read.")])
        statement = statement.where(or_(Customer.phone_e164 == phone,
                                        Customer.wa_id == phone.lstrip("+")))
    if query.email:
        statement = statement.where(func.lower(Customer.email) == query.email.lower())
    filters = customer_list.Filters(
        q=query.q or "", tag=clean_tag(query.tag or ""), consent=query.consent,
        country=query.country.upper() if query.country else None,
        language=query.language.lower() if query.language else None,
        last_order=query.last_order, spent_min=query.spent_min, spent_max=query.spent_max)
    if filters.any():
        store = db.session().get(Store, access.store_id())
        statement, state = segments.with_consent_state(statement)
        statement = customer_list.narrowed(statement, state, filters,
                                           store.country if store else None)
    rows, cursor = page(statement, Customer, query)
    newest = _newest_marketing([c.id for c in rows])
    return CustomerList(data=[CustomerOut(**_out(c, _marketing(c, newest.get(c.id))))
                              for c in rows], next_cursor=cursor)


@blueprint.get("/customers/<int:customer_id>")
@spec.validate(query=StoreQuery, resp=documented(CustomerDetail), tags=[TAG],
               operation_id="getCustomer")
def get_customer(customer_id: int) -> CustomerDetail:
    """One customer, with their consent history (newest first)"""
    return detail(access.get_or_404(Customer, customer_id))


@blueprint.post("/customers/<int:customer_id>/consent")
@spec.validate(query=StoreQuery, resp=documented(ConsentRecorded, status=201, write=True,
                                                 extra={"HTTP_200": ConsentRecorded}),
               tags=[TAG], operation_id="recordConsent")
def record_consent(customer_id: int, json: ConsentIn) -> tuple[ConsentRecorded, int]:
    """Record a consent answer the store collected

    Appended to the consent log with source `api`: 201 when written, 200 when it repeats
    the customer's newest answer for that purpose (nothing written). An opt-out takes effect
    at once; a marketing opt-in counts once the number has written to the store since."""
    customer = access.get_or_404(Customer, customer_id)
    session = db.session()
    written = consent_log.record(session, access.store_id(), customer, purpose=json.purpose,
                                 granted=json.granted, source=API_SOURCE, text=json.text,
                                 at=None)
    session.commit()
    return ConsentRecorded(recorded=written, customer=detail(customer)), 201 if written else 200
