"""Meta's per-user marketing limit (131049): hold the customer, not the message in a loop.

When Meta declines a marketing message to protect a user's experience, sending again soon
fails the same way and counts against the number's quality. So the customer is held: no
marketing to them until `HOLD_SECONDS` have passed (the policy defers theirs until then),
and the message that met the hold waits once, to the hold's end, or is skipped when its
deadline comes first.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from plugin.models import Customer

# Meta asks to wait about a day before marketing to a held user again.
HOLD_SECONDS = 24 * 3600


def hold_until(now: datetime) -> datetime:
    """When a hold that starts `now` (naive UTC) ends."""
    return now + timedelta(seconds=HOLD_SECONDS)


def hold(session: Session, customer_ids: Iterable[int], until: datetime) -> None:
    """Hold marketing to these customers until `until`, never shortening a longer hold."""
    ids = sorted(set(customer_ids))
    if not ids:
        return
    session.execute(update(Customer).where(Customer.id.in_(ids)).values(
        marketing_held_until=func.coalesce(
            func.max(Customer.marketing_held_until, until)
            if session.get_bind().dialect.name == "sqlite"
            else func.greatest(Customer.marketing_held_until, until), until))
        .execution_options(synchronize_session=False))
