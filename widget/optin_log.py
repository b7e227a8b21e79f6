"""The widget's opt-ins as the owner reads them on the widget page: newest first, each with
its time, the page it was given on, what it was for, a masked number, and whether that
number has written to the store since (only then does a form opt-in count; see
plugin.domain.consent.needs_confirmation).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from plugin.auth import tenancy
from plugin.domain.consent import needs_confirmation
from plugin.domain.phones import masked
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Store

# The widget page lists this many of the newest opt-ins; the Customers page has them all.
RECENT_OPTINS = 20


@dataclass(frozen=True, slots=True)
class OptIn:
    """One widget opt-in, with nothing more of the shopper than the last digits."""

    at: datetime
    page: str
    purpose: str
    phone: str
    confirmed: bool


def recent(store: Store, limit: int = RECENT_OPTINS) -> list[OptIn]:
    """The store's newest opt-ins given in the widget (the caller's stores only)."""
    rows = db.session().execute(
        tenancy.scoped(select(ConsentEntry, Customer), ConsentEntry)
        .join(Customer, Customer.id == ConsentEntry.customer_id)
        .where(ConsentEntry.store_id == store.id, ConsentEntry.source == "widget",
               ConsentEntry.granted.is_(True))
        .order_by(ConsentEntry.created_at.desc(), ConsentEntry.id.desc()).limit(limit)).all()
    return [OptIn(at=entry.created_at, page=entry.page or "", purpose=entry.purpose,
                  phone=masked(customer.phone_e164) if customer.phone_e164 else "",
                  confirmed=not needs_confirmation(True, "widget", entry.created_at,
                                                   customer.last_inbound_at))
            for entry, customer in rows]
