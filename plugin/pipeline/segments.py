"""Segments in SQL: who a definition matches, who of them can be reached with marketing, and
why the others cannot. One query answers the counts; campaigns take the reachable ids in
batches of one query each. No customer is filtered in Python.

Reachable follows the send policy (plugin.domain.policy, plugin.pipeline.send_context): a
WhatsApp number; the newest marketing entry of the consent log an opt-in, and not a form's
opt-in its number has not confirmed by writing since; not a +1 (US) number.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from plugin.domain import segments as domain
from plugin.domain.consent import UNCONFIRMED_SOURCES
from plugin.domain.segments import Definition
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, CustomerTag

# Reachable ids a campaign takes per query.
BATCH = 1000


@dataclass(frozen=True, slots=True)
class Audience:
    """A segment's counts: matched, reachable, and the matched left out by reason."""

    matched: int
    reachable: int
    left_out: dict[str, int]


class _second(FunctionElement[datetime]):
    """A time cut to its whole second (Meta stamps messages in whole seconds)."""

    type = DateTime()
    inherit_cache = True


@compiles(_second, "postgresql")
def _second_pg(element: _second, compiler: Any, **kw: Any) -> str:
    return f"date_trunc('second', {compiler.process(element.clauses, **kw)})"


@compiles(_second, "sqlite")
def _second_sqlite(element: _second, compiler: Any, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' text, which compares in time order.
    return f"strftime('%Y-%m-%d %H:%M:%S.000000', {compiler.process(element.clauses, **kw)})"


def _newest(purpose: str) -> Any:
    """The customer's newest consent entry for `purpose` (the one in force), as an alias
    joined on the id a correlated subquery picks."""
    entry = aliased(ConsentEntry)
    newest_id = (select(ConsentEntry.id)
                 .where(ConsentEntry.customer_id == Customer.id, ConsentEntry.purpose == purpose)
                 .order_by(ConsentEntry.created_at.desc(), ConsentEntry.id.desc())
                 .limit(1).correlate(Customer).scalar_subquery())
    return entry, newest_id


def _reason(entry: Any) -> ColumnElement[str]:
    """Why a customer cannot get marketing (domain.LEFT_OUT), or domain.REACHABLE."""
    us = or_(Customer.phone_e164.like("+1%"),
             and_(Customer.phone_e164.is_(None), Customer.wa_id.like("1%")))
    unconfirmed = and_(entry.source.in_(sorted(UNCONFIRMED_SOURCES)),
                       or_(Customer.last_inbound_at.is_(None),
                           Customer.last_inbound_at < _second(entry.created_at)))
    return case(
        (and_(Customer.phone_e164.is_(None), Customer.wa_id.is_(None)), domain.NO_NUMBER),
        (entry.id.is_(None), domain.NO_OPT_IN),
        (entry.granted.is_(False), domain.OPTED_OUT),
        (unconfirmed, domain.UNCONFIRMED),
        (us, domain.US_NUMBER),
        else_=domain.REACHABLE)


# The marketing consent states the customer list filters on, as the API names them.
CONSENT_STATES = ("opted_in", "opted_out", "unconfirmed", "none")


def with_consent_state(statement: Select[Any]) -> tuple[Select[Any], ColumnElement[str]]:
    """`statement` (over Customer) joined to each customer's newest marketing entry, and
    that entry's state as the send policy reads it (one of CONSENT_STATES)."""
    entry, newest_id = _newest("marketing")
    reason = _reason(entry)
    state = case((entry.id.is_(None), "none"), (entry.granted.is_(False), "opted_out"),
                 (reason == domain.UNCONFIRMED, "unconfirmed"), else_="opted_in")
    return statement.outerjoin(entry, entry.id == newest_id), state


def _has_tag(store_id: int, tag: str) -> ColumnElement[bool]:
    return exists().where(CustomerTag.customer_id == Customer.id,
                          CustomerTag.store_id == store_id, CustomerTag.tag == tag)


def _consented(purpose: str) -> ColumnElement[bool]:
    entry, newest_id = _newest(purpose)
    return exists().where(entry.id == newest_id, entry.granted.is_(True))


def _criteria(store_id: int, d: Definition, now: datetime) -> list[ColumnElement[bool]]:
    """Each criterion of the definition as a condition on Customer."""
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    found = [_has_tag(store_id, tag) for tag in d.tags_include]
    if d.spend_min is not None or d.spend_max is not None:
        found.append(and_(
            Customer.spent_cents >= int(d.spend_min * 100) if d.spend_min is not None else true(),
            Customer.spent_cents <= int(d.spend_max * 100) if d.spend_max is not None else true()))
    if d.orders_min is not None or d.orders_max is not None:
        found.append(and_(
            Customer.order_count >= d.orders_min if d.orders_min is not None else true(),
            Customer.order_count <= d.orders_max if d.orders_max is not None else true()))
    if d.last_order_within_days is not None:
        found.append(Customer.last_order_at >= days(d.last_order_within_days))
    if d.last_order_before_days is not None:
        found.append(Customer.last_order_at < days(d.last_order_before_days))
    if d.interaction_within_days is not None:
        cutoff = days(d.interaction_within_days)
        found.append(or_(Customer.last_order_at >= cutoff, Customer.last_inbound_at >= cutoff))
    if d.interaction_before_days is not None:
        cutoff = days(d.interaction_before_days)
        found.append(and_(
            or_(Customer.last_order_at.is_not(None), Customer.last_inbound_at.is_not(None)),
            or_(Customer.last_order_at.is_(None), Customer.last_order_at < cutoff),
            or_(Customer.last_inbound_at.is_(None), Customer.last_inbound_at < cutoff)))
    if d.countries:
        found.append(Customer.country.in_(d.countries))
    if d.languages:
        locale = func.lower(Customer.locale)
        found.append(or_(*(or_(locale == code, locale.like(f"{code}-%"),
                               locale.like(f"{code}\\_%", escape="\\"))
                           for code in d.languages)))
    if d.consent_purpose:
        found.append(_consented(d.consent_purpose))
    return found


def matching(store_id: int, definition: Definition,
             now: datetime | None = None) -> ColumnElement[bool]:
    """The condition on Customer that a customer of `store_id` matches the definition."""
    criteria = _criteria(store_id, definition, now or db.utcnow())
    joined: ColumnElement[bool] = true()
    if criteria:
        joined = and_(*criteria) if definition.match == domain.MATCH_ALL else or_(*criteria)
    excluded = [~_has_tag(store_id, tag) for tag in definition.tags_exclude]
    return and_(Customer.store_id == store_id, joined, *excluded)


def _audience(store_id: int, definition: Definition, now: datetime | None) -> Select[Any]:
    entry, newest_id = _newest("marketing")
    reason = _reason(entry).label("reason")
    return (select(Customer.id, reason)
            .outerjoin(entry, entry.id == newest_id)
            .where(matching(store_id, definition, now)))


def count(session: Session, store_id: int, definition: Definition,
          now: datetime | None = None) -> Audience:
    """Matched, reachable and left-out counts, in one query."""
    inner = _audience(store_id, definition, now).subquery()
    rows = session.execute(select(inner.c.reason, func.count()).group_by(inner.c.reason))
    by_reason = {reason: int(n) for reason, n in rows}
    reachable = by_reason.pop(domain.REACHABLE, 0)
    return Audience(matched=reachable + sum(by_reason.values()), reachable=reachable,
                    left_out={reason: by_reason.get(reason, 0) for reason in domain.LEFT_OUT})


def reachable_ids(session: Session, store_id: int, definition: Definition, after_id: int,
                  limit: int = BATCH, now: datetime | None = None) -> list[int]:
    """Up to `limit` reachable customer ids above `after_id`, in id order, in one query."""
    inner = _audience(store_id, definition, now).where(Customer.id > after_id).subquery()
    return list(session.scalars(
        select(inner.c.id).where(inner.c.reason == domain.REACHABLE)
        .order_by(inner.c.id).limit(limit)))


def reachable_batches(session: Session, store_id: int, definition: Definition,
                      batch: int = BATCH, now: datetime | None = None) -> Iterator[list[int]]:
    """Every reachable customer id in id order, a batch (one query) at a time; `now` is
    fixed for the whole walk so day windows do not move under it."""
    now = now or db.utcnow()
    after = 0
    while ids := reachable_ids(session, store_id, definition, after, batch, now):
        yield ids
        after = ids[-1]


def reachable_select(store_id: int, definition: Definition,
                     now: datetime | None = None) -> Select[Any]:
    """A SELECT of every reachable customer id (to count or filter by, in one query)."""
    inner = _audience(store_id, definition, now).subquery()
    return select(inner.c.id).where(inner.c.reason == domain.REACHABLE)


def matched_ids(session: Session, store_id: int, definition: Definition,
                limit: int, now: datetime | None = None) -> list[int]:
    """The first `limit` matched customer ids (any reachability), newest first."""
    return list(session.scalars(select(Customer.id).where(
        matching(store_id, definition, now)).order_by(Customer.id.desc()).limit(limit)))


__all__ = ["Audience", "count", "matched_ids", "matching", "reachable_batches",
           "reachable_ids", "reachable_select"]
