"""The customer list's query: search, filters and cursor paging over a store's customers,
answered by SQL (no customer filtered in Python), plus what each listed row shows.

Shared by the admin page (plugin.admin.customers) and the API (plugin.admin.api.customers).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from plugin.domain.customer_tags import clean_tag
from plugin.domain.phones import to_e164
from plugin.infra import db
from plugin.models import Customer, CustomerTag, Order
from plugin.pipeline import customer_tags, segments

# Rows per page of the admin list.
PAGE = 50
# The "last order" filter's windows, in days; "never" is customers without an order.
LAST_ORDER_WINDOWS = (7, 30, 90, 365)


@dataclass(frozen=True, slots=True, kw_only=True)
class Filters:
    """The list's search and filters, as read from a query string (bad values ignored)."""

    q: str = ""
    tag: str | None = None
    consent: str | None = None
    country: str | None = None
    language: str | None = None
    last_order: str | None = None  # a window in days, or "never"
    spent_min: Decimal | None = None
    spent_max: Decimal | None = None

    @classmethod
    def read(cls, args: Any) -> Filters:
        """Filters from request args; a value that cannot be read is left out."""
        consent = args.get("consent") or None
        last = args.get("last_order") or None
        country = (args.get("country") or "").strip().upper()[:2]
        language = (args.get("language") or "").strip().lower()[:3]
        return cls(q=(args.get("q") or "").strip()[:100],
                   tag=clean_tag(args.get("tag") or ""),
                   consent=consent if consent in segments.CONSENT_STATES else None,
                   country=country if len(country) == 2 and country.isalpha() else None,
                   language=language if language.isalpha() else None,
                   last_order=last if last in {"never", *map(str, LAST_ORDER_WINDOWS)}
                   else None,
                   spent_min=_money(args.get("spent_min")),
                   spent_max=_money(args.get("spent_max")))

    def any(self) -> bool:
        """True when anything narrows the list."""
        return any(getattr(self, name) for name in ("q", "tag", "consent", "country",
                                                    "language", "last_order")) or \
            self.spent_min is not None or self.spent_max is not None


def _money(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip()) if value not in (None, "") else None
    except InvalidOperation:
        return None
    return amount if amount is not None and amount.is_finite() and amount >= 0 else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One customer as the list shows it."""

    customer: Customer
    consent: str
    tags: list[tuple[str, str]]
    spent: dict[str, Decimal] = field(default_factory=dict)  # per currency


def search(session: Session, store_id: int, filters: Filters, before: int | None = None,
           limit: int | None = None,
           country: str | None = None) -> tuple[list[Row], int | None]:
    """A page of the store's customers, newest first, and the cursor of the next (None at
    the end); `country` reads a phone search without its country code."""
    statement, state = segments.with_consent_state(
        select(Customer).where(Customer.store_id == store_id))
    statement = narrowed(statement.add_columns(state), state, filters, country)
    limit = limit or PAGE
    if before is not None:
        statement = statement.where(Customer.id < before)
    found = session.execute(statement.order_by(Customer.id.desc()).limit(limit + 1)).all()
    more = len(found) > limit
    found = found[:limit]
    ids = [c.id for c, _ in found]
    tags = customer_tags.tags_by_customer(session, ids)
    spent = spent_by_currency(session, ids)
    rows = [Row(customer=c, consent=s, tags=tags.get(c.id, []), spent=spent.get(c.id, {}))
            for c, s in found]
    return rows, (ids[-1] if more and ids else None)


def narrowed(statement: Select[Any], state: ColumnElement[str], filters: Filters,
             country: str | None = None) -> Select[Any]:
    """`statement` (over Customer, joined by segments.with_consent_state, whose `state` it
    is) narrowed by the filters."""
    if filters.q:
        like = f"%{filters.q.lower()}%"
        phone = to_e164(filters.q, country) if any(c.isdigit() for c in filters.q) else None
        statement = statement.where(or_(
            func.lower(Customer.first_name + " " + Customer.last_name).like(like),
            func.lower(Customer.email).like(like),
            Customer.phone_e164 == phone if phone else Customer.phone_e164.like(
                f"%{''.join(c for c in filters.q if c.isdigit()) or '-'}%")))
    if filters.tag:
        statement = statement.where(select(CustomerTag.id).where(
            CustomerTag.customer_id == Customer.id, CustomerTag.tag == filters.tag).exists())
    if filters.consent:
        statement = statement.where(state == filters.consent)
    if filters.country:
        statement = statement.where(Customer.country == filters.country)
    if filters.language:
        locale = func.lower(Customer.locale)
        statement = statement.where(or_(locale == filters.language,
                                        locale.like(f"{filters.language}-%"),
                                        locale.like(f"{filters.language}\\_%", escape="\\")))
    if filters.last_order == "never":
        statement = statement.where(Customer.last_order_at.is_(None))
    elif filters.last_order:
        since = db.utcnow() - timedelta(days=int(filters.last_order))
        statement = statement.where(Customer.last_order_at >= since)
    if filters.spent_min is not None:
        statement = statement.where(Customer.spent_cents >= int(filters.spent_min * 100))
    if filters.spent_max is not None:
        statement = statement.where(Customer.spent_cents <= int(filters.spent_max * 100))
    return statement


def spent_by_currency(session: Session, ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """What each customer spent per currency (orders that count), in one query."""
    found: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if not ids:
        return found
    for customer_id, currency, total in session.execute(
            select(Order.customer_id, Order.currency, Order.total)
            .where(Order.customer_id.in_(ids),
                   Order.status.not_in(customer_tags.VOID_STATUSES))):
        try:
            amount = Decimal(total or "0")
        except InvalidOperation:
            continue
        spent = found[customer_id]
        spent[currency] = spent.get(currency, Decimal("0")) + amount
    return found


def language_of(locale: str | None) -> str:
    """'pt' for 'pt-BR' or 'pt_BR'; '' for none."""
    return (locale or "").replace("-", "_").split("_")[0].lower()


def last_seen(customer: Customer) -> datetime | None:
    """The customer's last order or message, whichever is later."""
    moments = [t for t in (customer.last_order_at, customer.last_inbound_at) if t]
    return max(moments) if moments else None
